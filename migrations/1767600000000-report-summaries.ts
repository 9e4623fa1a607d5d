import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { fen, idx, instant, int, ref, region } from './columns';
import type { Query } from './1765100000000-stats-summaries';

/**
 * Rebuilds facility_usage from the captured redemptions, each at what its lab keeps (the approved share once a claim
 * approved it, else what was captured). Exact while no capture runs meanwhile.
 */
export async function rebuildFacilityUsage(query: Query): Promise<void> {
  await query('DELETE FROM facility_usage');
  await query(
    `INSERT INTO facility_usage (budget_year, issuing_region_code, facility_id, redemptions, quantity, fee_fen, subsidy_fen)
     SELECT budget_year, issuing_region_code, facility_id, COUNT(*), SUM(COALESCE(captured_quantity, 0)), SUM(COALESCE(captured_fee_fen, 0)),
     SUM(COALESCE(approved_fen, captured_subsidy_fen, 0)) FROM redemption WHERE status = 'captured'
     GROUP BY budget_year, issuing_region_code, facility_id`,
  );
}

/**
 * Rebuilds usage_dispute from the redemptions with a dispute reason. A dispute resolved before this migration shows
 * when it was resolved as raised_at (the redemption keeps no earlier instant); the report does not read it.
 */
export async function rebuildUsageDisputes(query: Query): Promise<void> {
  await query('DELETE FROM usage_dispute');
  await query(
    `INSERT INTO usage_dispute (redemption_id, budget_year, issuing_region_code, raised_at)
     SELECT id, budget_year, issuing_region_code, COALESCE(usage_decided_at, updated_at) FROM redemption WHERE dispute_reason IS NOT NULL`,
  );
}

/**
 * The annual report at a year's volume: its ten most used facilities read a region's redemptions (57,000 at a tenth,
 * 1.6 s warm) and its disputes scanned every redemption for a dispute reason (0.4 s). facility_usage is kept at capture
 * (and wherever captured_flow changes) and usage_dispute when an enterprise disputes; nothing is added to a hold, and
 * the redemption table gains no index. Both filled here from the data already there. Re-runnable after a node dies
 * midway: the tables are made if missing and rebuilt whole.
 */
export class ReportSummaries1767600000000 implements MigrationInterface {
  name = 'ReportSummaries1767600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'facility_usage',
        columns: [
          { ...int('budget_year'), isPrimary: true },
          { ...region('issuing_region_code'), isPrimary: true },
          { ...ref('facility_id'), isPrimary: true },
          int('redemptions'),
          int('quantity'),
          fen('fee_fen'),
          fen('subsidy_fen'),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'usage_dispute',
        columns: [{ ...ref('redemption_id'), isPrimary: true }, int('budget_year'), region('issuing_region_code'), instant('raised_at')],
        indices: [idx(['budget_year', 'issuing_region_code'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_usage_dispute_redemption',
            columnNames: ['redemption_id'],
            referencedTableName: 'redemption',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
      true,
    );
    await rebuildFacilityUsage((q, p) => queryRunner.query(q, p));
    await rebuildUsageDisputes((q, p) => queryRunner.query(q, p));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_dispute');
    await queryRunner.dropTable('facility_usage');
  }
}
