import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';
import type { Query } from './1765100000000-stats-summaries';

const GROSS = ['budget_year', 'status', 'issuing_region_code', 'provider_province_code', 'captured_subsidy_fen'];
const NET = [...GROSS, 'approved_fen'];

/**
 * Rebuilds captured_flow from the captured redemptions (all in shard 0), each at what its lab keeps: the approved share
 * once a claim approved it (less when review cut it), else what was captured. Exact while no capture runs meanwhile.
 */
export async function rebuildNetFlows(query: Query): Promise<void> {
  await query('DELETE FROM captured_flow');
  await query(
    `INSERT INTO captured_flow (budget_year, issuing_region_code, provider_province_code, shard, redemptions, captured_fen)
     SELECT budget_year, issuing_region_code, provider_province_code, 0, COUNT(*), SUM(COALESCE(approved_fen, captured_subsidy_fen, 0))
     FROM redemption WHERE status = 'captured' GROUP BY budget_year, issuing_region_code, provider_province_code`,
  );
}

/**
 * The flows (statistics, the annual report's flows and facilities) counted what a lab captured even where a claim's
 * review cut it: the cut went back to the budget, yet the report's flows exceeded the vouchers' spending by it. Flows
 * now keep the subsidy net of cuts (DecideClaim takes a cut off its flow row), so the summary is rebuilt that way, and the
 * ledger check's covering index gains approved_fen to compare it with the redemptions without a row lookup each.
 */
export class FlowsNetOfCuts1766700000000 implements MigrationInterface {
  name = 'FlowsNetOfCuts1766700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await replaceIndex(queryRunner, GROSS, NET);
    // After the DDL: a run cut short re-runs the rebuild whole (DELETE then INSERT), never adding a cut twice.
    await rebuildNetFlows((q, p) => queryRunner.query(q, p));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceIndex(queryRunner, NET, GROSS);
    await queryRunner.query('DELETE FROM captured_flow');
    await queryRunner.query(
      `INSERT INTO captured_flow (budget_year, issuing_region_code, provider_province_code, shard, redemptions, captured_fen)
       SELECT budget_year, issuing_region_code, provider_province_code, 0, COUNT(*), SUM(COALESCE(captured_subsidy_fen, 0))
       FROM redemption WHERE status = 'captured' GROUP BY budget_year, issuing_region_code, provider_province_code`,
    );
  }
}

async function replaceIndex(queryRunner: QueryRunner, from: string[], to: string[]): Promise<void> {
  const named = async (columns: string[]) =>
    (await queryRunner.getTable('redemption'))!.indices.find((i) => i.columnNames.join() === columns.join());
  if (!(await named(to))) await queryRunner.createIndex('redemption', idx(to));
  const old = await named(from);
  if (old) await queryRunner.dropIndex('redemption', old);
}
