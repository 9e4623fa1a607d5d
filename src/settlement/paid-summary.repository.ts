import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { inRegion } from '../common/persistence/scope.sql';
import { join, sql } from '../common/persistence/sql';
import type { PaidSummaryRow } from '../oversight/stats.rules';

const UPSERT_ROWS = 500;

@Injectable()
export class PaidSummaryRepository {
  constructor(private readonly db: Database) {}

  /**
   * Adds a payment's rows in the caller's transaction, in key order (concurrent payments lock shared rows in one order).
   * One upsert per batch takes each row's exclusive lock directly, as the serial counter does (STACK.md).
   */
  async add(rows: PaidSummaryRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += UPSERT_ROWS) {
      const values = join(
        rows
          .slice(i, i + UPSERT_ROWS)
          .map((r) => sql`(${r.budgetYear}, ${r.regionCode}, ${r.hoursTenths}, ${r.span}, ${r.redemptions}, ${r.approvedFen})`),
      );
      const insert = sql`INSERT INTO paid_summary (budget_year, region_code, hours_tenths, span, redemptions, approved_fen) VALUES ${values}`;
      await this.db.execute(
        this.db.dialect === 'sqlite'
          ? sql`${insert} ON CONFLICT (budget_year, region_code, hours_tenths, span) DO UPDATE SET
                redemptions = redemptions + excluded.redemptions, approved_fen = approved_fen + excluded.approved_fen`
          : sql`${insert} ON DUPLICATE KEY UPDATE
                redemptions = redemptions + VALUES(redemptions), approved_fen = approved_fen + VALUES(approved_fen)`,
      );
    }
  }

  /** A region's paid figures of a budget year (a province's include its cities'), per tenth of an hour and span. */
  async inRegion(
    regionCode: string,
    year: number,
  ): Promise<{ hoursTenths: number; span: number; redemptions: number; approvedFen: number }[]> {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT p.hours_tenths AS tenths, p.span AS span, SUM(p.redemptions) AS n, SUM(p.approved_fen) AS fen FROM paid_summary p
          WHERE p.budget_year = ${year} AND ${inRegion('p.region_code', regionCode)} GROUP BY p.hours_tenths, p.span`,
    );
    return rows.map((r) => ({ hoursTenths: Number(r.tenths), span: Number(r.span), redemptions: Number(r.n), approvedFen: Number(r.fen) }));
  }

  /** Every row of one issuing region (exactly that region), for the ledger check. */
  async ofRegion(regionCode: string): Promise<PaidSummaryRow[]> {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT p.budget_year AS year, p.hours_tenths AS tenths, p.span AS span, p.redemptions AS n, p.approved_fen AS fen
          FROM paid_summary p WHERE p.region_code = ${regionCode}`,
    );
    return rows.map((r) => ({
      regionCode,
      budgetYear: Number(r.year),
      hoursTenths: Number(r.tenths),
      span: Number(r.span),
      redemptions: Number(r.n),
      approvedFen: Number(r.fen),
    }));
  }

  async regions(): Promise<string[]> {
    return (await this.db.rows<{ r: string }>(sql`SELECT DISTINCT p.region_code AS r FROM paid_summary p`)).map((r) => r.r);
  }
}
