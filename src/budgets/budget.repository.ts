import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import { Database } from '../common/persistence/database';
import { inRegion } from '../common/persistence/scope.sql';
import { sql } from '../common/persistence/sql';
import { Budget } from './budget.entity';

/**
 * Budgets. The balance columns change only through the ledger (LedgerService), each by one guarded UPDATE whose
 * result says whether the guard held.
 */
@Injectable()
export class BudgetRepository {
  constructor(private readonly db: Database) {}

  async get(regionCode: string, year: number): Promise<Budget | undefined> {
    return (await this.db.select(Budget, 'b', sql`WHERE b.region_code = ${regionCode} AND b.year = ${year}`))[0];
  }

  /**
   * The budget row, created at zero when missing, locked. An upsert takes the row's exclusive lock at once: insert
   * ignore would take a shared lock first, and two such transactions then deadlock on the upgrade.
   */
  async lockOrCreate(regionCode: string, year: number): Promise<Budget> {
    const now = clock.iso();
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`INSERT INTO budget (region_code, year, total_fen, available_fen, committed_fen, updated_at)
              VALUES (${regionCode}, ${year}, 0, 0, 0, ${now}) ON CONFLICT (region_code, year) DO NOTHING`
        : sql`INSERT INTO budget (region_code, year, total_fen, available_fen, committed_fen, updated_at)
              VALUES (${regionCode}, ${year}, 0, 0, 0, ${now}) ON DUPLICATE KEY UPDATE updated_at = updated_at`,
    );
    return (await this.db.lock(Budget, { regionCode, year }))!;
  }

  async lock(regionCode: string, year: number): Promise<Budget | null> {
    return this.db.lock(Budget, { regionCode, year });
  }

  /** total changes from `beforeFen` to `totalFen`; the difference lands in (or leaves) available, never below zero. */
  async setTotal(regionCode: string, year: number, beforeFen: number, totalFen: number): Promise<boolean> {
    const delta = totalFen - beforeFen;
    return (
      (await this.db
        .execute(sql`UPDATE budget SET total_fen = ${totalFen}, available_fen = available_fen + ${delta}, updated_at = ${clock.iso()}
        WHERE region_code = ${regionCode} AND year = ${year} AND total_fen = ${beforeFen} AND available_fen + ${delta} >= 0`)) === 1
    );
  }

  /** available → committed (a voucher is funded). */
  async commit(regionCode: string, year: number, x: number): Promise<boolean> {
    return (
      (await this.db
        .execute(sql`UPDATE budget SET available_fen = available_fen - ${x}, committed_fen = committed_fen + ${x}, updated_at = ${clock.iso()}
        WHERE region_code = ${regionCode} AND year = ${year} AND available_fen >= ${x}`)) === 1
    );
  }

  /** committed → available (a voucher gives money back). */
  async uncommit(regionCode: string, year: number, x: number): Promise<boolean> {
    return (
      (await this.db
        .execute(sql`UPDATE budget SET available_fen = available_fen + ${x}, committed_fen = committed_fen - ${x}, updated_at = ${clock.iso()}
        WHERE region_code = ${regionCode} AND year = ${year} AND committed_fen >= ${x}`)) === 1
    );
  }

  all(): Promise<Budget[]> {
    return this.db.select(Budget, 'b', sql`ORDER BY b.region_code, b.year`);
  }

  /** Sums over a region's budgets for a year (a province's include its cities'). */
  async totalsInRegion(regionCode: string, year: number): Promise<{ totalFen: number; availableFen: number; committedFen: number }> {
    const r = await this.db.row<Record<string, unknown>>(
      sql`SELECT SUM(b.total_fen) AS total, SUM(b.available_fen) AS available, SUM(b.committed_fen) AS committed
          FROM budget b WHERE b.year = ${year} AND ${inRegion('b.region_code', regionCode)}`,
    );
    return { totalFen: Number(r?.total ?? 0), availableFen: Number(r?.available ?? 0), committedFen: Number(r?.committed ?? 0) };
  }
}
