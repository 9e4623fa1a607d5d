import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { bool, fen, id, idx, instant, int, ref, region, str, text } from './columns';

/**
 * Instrument booking (issue 15): a calendar per hourly facility, bookings that carry their redemption hold, one row
 * per booked facility-hour under a unique key (docs/adr/0008), the enterprises a provider qualified on a facility,
 * and each user's secret iCalendar feed.
 */
export class Booking1764600000000 implements MigrationInterface {
  name = 'Booking1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'facility_calendar',
        columns: [
          { ...ref('facility_id'), isPrimary: true },
          text('opening_hours'),
          text('closures'),
          int('min_notice_hours'),
          int('max_advance_days'),
          int('free_cancellation_hours'),
          int('late_cancellation_fee_bp'),
          bool('requires_qualification'),
          instant('updated_at'),
        ],
        foreignKeys: [
          {
            name: 'fk_facility_calendar_facility',
            columnNames: ['facility_id'],
            referencedTableName: 'facility',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          },
        ],
        checks: [
          {
            name: 'chk_facility_calendar_terms',
            expression:
              'min_notice_hours >= 0 AND max_advance_days >= 1 AND free_cancellation_hours >= 0 AND late_cancellation_fee_bp BETWEEN 0 AND 10000',
          },
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'booking',
        columns: [
          id(),
          ref('facility_id'),
          ref('provider_id'),
          ref('enterprise_id'),
          ref('voucher_id'),
          ref('redemption_id'),
          region('issuing_region_code'),
          instant('start_at'),
          instant('end_at'),
          int('hours'),
          str('status', 16),
          fen('fee_fen'),
          int('free_cancellation_hours'),
          int('late_cancellation_fee_bp'),
          instant('expires_at'),
          fen('late_fee_fen', true),
          int('actual_hours', true),
          str('closed_by', 16, true),
          instant('closed_at', true),
          instant('created_at'),
          instant('updated_at'),
        ],
        indices: [
          idx(['redemption_id'], true),
          idx(['facility_id', 'start_at']),
          idx(['enterprise_id', 'start_at']),
          idx(['provider_id', 'start_at']),
        ],
        foreignKeys: [
          {
            name: 'fk_booking_facility',
            columnNames: ['facility_id'],
            referencedTableName: 'facility',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          },
          {
            name: 'fk_booking_redemption',
            columnNames: ['redemption_id'],
            referencedTableName: 'redemption',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          },
        ],
        checks: [
          {
            name: 'chk_booking_amounts',
            expression:
              'hours > 0 AND fee_fen >= 0 AND (late_fee_fen IS NULL OR late_fee_fen >= 0) AND (actual_hours IS NULL OR actual_hours BETWEEN 0 AND hours)',
          },
        ],
      }),
      true,
    );
    // The primary key is the guarantee: a facility-hour can be inserted once, whatever runs concurrently.
    await queryRunner.createTable(
      new Table({
        name: 'booking_hour',
        columns: [{ ...ref('facility_id'), isPrimary: true }, { ...instant('hour_start'), isPrimary: true }, ref('booking_id')],
        indices: [idx(['booking_id'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'facility_qualification',
        columns: [
          { ...ref('facility_id'), isPrimary: true },
          { ...ref('enterprise_id'), isPrimary: true },
          ref('recorded_by'),
          instant('created_at'),
        ],
        foreignKeys: [
          {
            name: 'fk_facility_qualification_facility',
            columnNames: ['facility_id'],
            referencedTableName: 'facility',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          },
          {
            name: 'fk_facility_qualification_enterprise',
            columnNames: ['enterprise_id'],
            referencedTableName: 'organization',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          },
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'calendar_feed',
        columns: [{ ...ref('user_id'), isPrimary: true }, str('token_hash', 64), instant('created_at')],
        indices: [idx(['token_hash'], true)],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['calendar_feed', 'facility_qualification', 'booking_hour', 'booking', 'facility_calendar']) {
      await queryRunner.dropTable(table, true, true, true);
    }
  }
}
