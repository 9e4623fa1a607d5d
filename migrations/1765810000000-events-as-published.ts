import { MigrationInterface, QueryRunner } from 'typeorm';

const PAGE = 5_000;

/** Fields naming a person that events carried before: the audit log keeps them, the parties no longer receive them. */
const PERSONAL: { types: string[]; field: string }[] = [
  { types: ['application.decided', 'claim.decided'], field: 'firstApprovedBy' },
  { types: ['facility.qualified'], field: 'by' },
  { types: ['redemption.dispute_resolved'], field: 'by' },
];

/**
 * Stored events as they are published now: a booking made was `booking.booked`, which no subscription could name, and
 * is `booking.created` as API.md says; the facility's provider is party to every booking event (its feed reads them);
 * and the events of decisions and qualifications no longer name the bureau's or provider's user who acted. The audit
 * log keeps its entries as they were chained.
 */
export class EventsAsPublished1765810000000 implements MigrationInterface {
  name = 'EventsAsPublished1765810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE domain_event SET type = 'booking.created' WHERE type = 'booking.booked'`);
    await queryRunner.query(
      `UPDATE domain_event SET counterparty_id = (SELECT b.provider_id FROM booking b WHERE b.id = domain_event.entity_id)
       WHERE entity_type = 'booking' AND counterparty_id IS NULL`,
    );
    for (const { types, field } of PERSONAL) {
      for (let after = ''; ;) {
        const rows: { id: string; data: string }[] = await queryRunner.query(
          `SELECT id, data FROM domain_event WHERE type IN (${types.map(() => '?').join(', ')}) AND data LIKE ? AND id > ?
           ORDER BY id LIMIT ?`,
          [...types, `%"${field}"%`, after, PAGE],
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1].id;
        for (const row of rows) {
          const data = JSON.parse(row.data) as Record<string, unknown>;
          if (!(field in data)) continue;
          delete data[field];
          await queryRunner.query('UPDATE domain_event SET data = ? WHERE id = ?', [JSON.stringify(data), row.id]);
        }
      }
    }
  }

  // The names of people removed are not put back into events, and `booking.booked` is no type a subscription can name.
  async down(): Promise<void> {}
}
