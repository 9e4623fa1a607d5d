import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { int } from './columns';

/**
 * A lab caps the hours one enterprise may have booked on a facility and not yet over (a week of hours unless it sets
 * another): a voucher of 1 fen held an instrument for a month and cancelled it free.
 */
export class BookingHoursCapped1766100000000 implements MigrationInterface {
  name = 'BookingHoursCapped1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('facility_calendar', new TableColumn({ ...int('max_live_hours_per_enterprise'), default: 168 }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    await queryRunner.query('ALTER TABLE facility_calendar DROP COLUMN max_live_hours_per_enterprise');
  }
}
