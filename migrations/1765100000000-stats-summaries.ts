import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { addPaid, PaidSummaryRow } from '../src/oversight/stats.rules';
import { fen, idx, int, region } from './columns';

const VOUCHER_TOTALS = ['budget_year', 'issuing_region_code', 'available_fen', 'held_fen', 'spent_fen'];
const INSERT_ROWS = 500;

/** Runs one SQL statement with `?` parameters (a migration's QueryRunner, or the benchmark's connection). */
export type Query = (sql: string, parameters?: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Fills paid_summary from the paid batches already in the database, with the payment's own rule (addPaid), one
 * issuing region at a time so that memory holds one region's rows. Adds to rows already there: `only` names the batches
 * to add when others are summarised already (the benchmark's bulk-written year).
 */
export async function backfillPaidSummary(query: Query, dialect: 'sqlite' | 'mysql', only?: string[]): Promise<void> {
  const paid = await query(`SELECT id, region_code, paid_at FROM settlement WHERE status = 'paid' ORDER BY region_code, id`);
  const batches = only ? paid.filter((b) => only.includes(b.id as string)) : paid;
  const regions = [...new Set(batches.map((b) => b.region_code as string))];
  for (const regionCode of regions) {
    const rows = new Map<string, PaidSummaryRow>();
    for (const b of batches.filter((x) => x.region_code === regionCode)) {
      const paid = await query(
        `SELECT r.issuing_region_code, r.budget_year, r.captured_at, COUNT(*) AS n, SUM(COALESCE(r.approved_fen, 0)) AS fen
         FROM claim c JOIN redemption r ON r.claim_id = c.id WHERE c.settlement_id = ?
         GROUP BY r.issuing_region_code, r.budget_year, r.captured_at`,
        [b.id],
      );
      const groups = paid.map((r) => ({
        issuingRegionCode: r.issuing_region_code as string,
        budgetYear: Number(r.budget_year),
        capturedAt: r.captured_at as string,
        count: Number(r.n),
        approvedFen: Number(r.fen),
      }));
      addPaid(rows, groups, b.paid_at as string);
    }
    const all = [...rows.values()];
    for (let i = 0; i < all.length; i += INSERT_ROWS) {
      const batch = all.slice(i, i + INSERT_ROWS);
      const upsert =
        dialect === 'sqlite'
          ? ' ON CONFLICT (budget_year, region_code, hours_tenths, span) DO UPDATE SET redemptions = redemptions + excluded.redemptions, approved_fen = approved_fen + excluded.approved_fen'
          : ' ON DUPLICATE KEY UPDATE redemptions = redemptions + VALUES(redemptions), approved_fen = approved_fen + VALUES(approved_fen)';
      await query(
        `INSERT INTO paid_summary (budget_year, region_code, hours_tenths, span, redemptions, approved_fen) VALUES ${batch
          .map(() => '(?, ?, ?, ?, ?, ?)')
          .join(', ')}${upsert}`,
        batch.flatMap((r) => [r.budgetYear, r.regionCode, r.hoursTenths, r.span, r.redemptions, r.approvedFen]),
      );
    }
  }
}

/** Rebuilds captured_flow from the captured redemptions (all in shard 0): exact while no capture runs meanwhile. */
export async function rebuildCapturedFlows(query: Query): Promise<void> {
  await query('DELETE FROM captured_flow');
  await query(
    `INSERT INTO captured_flow (budget_year, issuing_region_code, provider_province_code, shard, redemptions, captured_fen)
     SELECT budget_year, issuing_region_code, provider_province_code, 0, COUNT(*), SUM(COALESCE(captured_subsidy_fen, 0)) FROM redemption
     WHERE status = 'captured' GROUP BY budget_year, issuing_region_code, provider_province_code`,
  );
}

/**
 * Statistics at a year's volume (issue 18): the paid summary the payments keep and the captured flows the captures keep
 * (both filled here from the data already there, so an upgraded deployment shows the same figures), and a covering
 * index for a region's voucher balance sums.
 */
export class StatsSummaries1765100000000 implements MigrationInterface {
  name = 'StatsSummaries1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'paid_summary',
        columns: [
          { ...int('budget_year'), isPrimary: true },
          { ...region('region_code'), isPrimary: true },
          { ...int('hours_tenths'), isPrimary: true },
          { ...int('span'), isPrimary: true },
          int('redemptions'),
          fen('approved_fen'),
        ],
        checks: [{ name: 'chk_paid_summary_amounts', expression: 'redemptions > 0 AND approved_fen >= 0' }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'captured_flow',
        columns: [
          { ...int('budget_year'), isPrimary: true },
          { ...region('issuing_region_code'), isPrimary: true },
          { ...region('provider_province_code'), isPrimary: true },
          { ...int('shard'), isPrimary: true },
          int('redemptions'),
          fen('captured_fen'),
        ],
      }),
    );
    await queryRunner.createIndex('voucher', idx(VOUCHER_TOTALS));
    const dialect = queryRunner.connection.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
    await backfillPaidSummary((q, p) => queryRunner.query(q, p), dialect);
    await rebuildCapturedFlows((q, p) => queryRunner.query(q, p));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const index = (await queryRunner.getTable('voucher'))!.indices.find((i) => i.columnNames.join() === VOUCHER_TOTALS.join());
    if (index) await queryRunner.dropIndex('voucher', index);
    await queryRunner.dropTable('captured_flow');
    await queryRunner.dropTable('paid_summary');
  }
}
