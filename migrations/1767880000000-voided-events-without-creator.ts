import { MigrationInterface, QueryRunner } from 'typeorm';

const PAGE = 5_000;

/**
 * `settlement.voided` events stored before a voided batch's `createdBy` was among the person ids events leave out
 * (PERSONAL_FIELDS, ADR 0010) lose it: a follower or a webhook still being retried reads them as they are published now.
 * The audit log keeps its entries as they were chained. Running it again changes nothing.
 */
export class VoidedEventsWithoutCreator1767880000000 implements MigrationInterface {
  name = 'VoidedEventsWithoutCreator1767880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (let after = ''; ;) {
      const rows: { id: string; data: string }[] = await queryRunner.query(
        `SELECT id, data FROM domain_event WHERE type = 'settlement.voided' AND data LIKE ? AND id > ? ORDER BY id LIMIT ?`,
        ['%"createdBy"%', after, PAGE],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      for (const row of rows) {
        const data = JSON.parse(row.data) as Record<string, unknown>;
        if (!('createdBy' in data)) continue;
        delete data.createdBy;
        await queryRunner.query('UPDATE domain_event SET data = ? WHERE id = ?', [JSON.stringify(data), row.id]);
      }
    }
  }

  // A person's id removed from an event is not put back.
  async down(): Promise<void> {}
}
