import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';

/** The indexes GET /api/audit's filters read (AuditRepository.list), each with the scope's region and the day after it. */
export const AUDIT_FILTER_INDEXES = [
  ['action', 'region_code', 'at'],
  ['actor_id', 'region_code', 'at'],
  ['at', 'region_code'],
];

/**
 * GET /api/audit?action=&actorId=&from=&to= had no index to read: its count read the whole log, and its page walked
 * the log backwards from the newest entry until a page matched (a month of one action a year ago: every entry). At a
 * tenth of a year (576,000 entries) each filtered request took 1.2–3.5 s; see docs/performance.md, 2026-12-05. The
 * entries are written by the sealer in batches, not in the transactions that record them (those write audit_pending),
 * so a hold's writes touch no more indexes than before.
 */
export class AuditFiltersIndexed1767300000000 implements MigrationInterface {
  name = 'AuditFiltersIndexed1767300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const columns of AUDIT_FILTER_INDEXES) {
      const table = await queryRunner.getTable('audit_entry');
      if (!table!.indices.some((i) => i.columnNames.join() === columns.join())) {
        await queryRunner.createIndex('audit_entry', idx(columns));
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const columns of AUDIT_FILTER_INDEXES) {
      const table = await queryRunner.getTable('audit_entry');
      const index = table!.indices.find((i) => i.columnNames.join() === columns.join());
      if (index) await queryRunner.dropIndex('audit_entry', index);
    }
  }
}
