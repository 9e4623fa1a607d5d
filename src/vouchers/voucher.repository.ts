import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { reserveCounter } from '../common/persistence/serial-counter';
import { inRegion, scopeCondition } from '../common/persistence/scope.sql';
import { empty, Sql, sql } from '../common/persistence/sql';
import { Voucher, VoucherStatus } from './voucher.entity';
import { voucherPastValidity } from './voucher.time-rules';

/** A voucher's balances as its row keeps them, beside what the ledger check groups them by. */
export interface VoucherBalances {
  id: string;
  serial: string;
  status: VoucherStatus;
  issuingRegionCode: string;
  budgetYear: number;
  /** With capSubject, whose annual grants the voucher counts toward (grantSubjectsOf). */
  enterpriseId: string;
  capSubject: string;
  faceValueFen: bigint;
  availableFen: bigint;
  heldFen: bigint;
  spentFen: bigint;
  releasedFen: bigint;
}

/**
 * Vouchers and their serial numbers. The balance columns (available, held, spent, released) change only through the
 * ledger (LedgerService): each move is one guarded UPDATE that answers whether its guard held, so no balance goes
 * negative under any concurrency.
 */
@Injectable()
export class VoucherRepository {
  constructor(private readonly db: Database) {}

  insert(voucher: Voucher): Promise<void> {
    return this.db.insert(Voucher, [voucher]);
  }

  async get(id: string): Promise<Voucher | undefined> {
    return (await this.db.select(Voucher, 'v', sql`WHERE v.id = ${id}`))[0];
  }

  /** Locked for the rest of the unit of work: orders concurrent holds, closings and releases of one voucher. */
  lock(id: string): Promise<Voucher | null> {
    return this.db.lock(Voucher, { id });
  }

  /**
   * Several vouchers locked one at a time in id order, the order every unit that takes more than one takes them in
   * (the rest take one). By id; a missing one is left out.
   */
  async lockInIdOrder(ids: string[]): Promise<Map<string, Voucher>> {
    const locked = new Map<string, Voucher>();
    for (const id of [...new Set(ids)].sort()) {
      const voucher = await this.lock(id);
      if (voucher) locked.set(id, voucher);
    }
    return locked;
  }

  /** Codes are base64url, so their case counts: MariaDB's collation would match them without it (the index finds, bytes decide). */
  async byVerificationCode(code: string): Promise<Voucher | undefined> {
    return (
      await this.db.select(Voucher, 'v', sql`WHERE v.verification_code = ${code} AND ${this.db.asciiKey('v.verification_code')} = ${code}`)
    )[0];
  }

  async list(scope: ListScope, q: { status?: string; limit: number; offset: number }): Promise<Page<Voucher>> {
    const today = clock.today();
    let status: Sql = empty;
    if (q.status === 'expired') status = sql` AND (v.status = 'expired' OR ${voucherPastValidity.sql('v', today)})`;
    else if (q.status === 'active' || q.status === 'exhausted')
      status = sql` AND v.status = ${q.status} AND NOT ${voucherPastValidity.sql('v', today)}`;
    else if (q.status) status = sql` AND v.status = ${q.status}`;
    const where = sql`WHERE 1 = 1${status}${scopeCondition(scope, { region: 'v.issuing_region_code', orgs: ['v.enterprise_id'] })}`;
    return this.db.page(Voucher, 'v', where, sql`v.created_at DESC, v.id DESC`, q);
  }

  /** Open vouchers past their last day, for the expiry sweep. */
  async pastValidity(today: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT v.id FROM voucher v WHERE ${voucherPastValidity.sql('v', today)} LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  /** active | exhausted → expired | revoked, once, and when. */
  async close(id: string, status: Extract<VoucherStatus, 'expired' | 'revoked'>, reason: string | null): Promise<boolean> {
    const now = clock.iso();
    return this.changed(
      sql`UPDATE voucher SET status = ${status}, status_reason = ${reason}, updated_at = ${now}, closed_at = ${now}
          WHERE id = ${id} AND status IN ('active', 'exhausted')`,
    );
  }

  /** active ⇄ exhausted by its balances: exhausted ⇔ nothing available and nothing held. */
  async refreshExhausted(id: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE voucher SET status = CASE WHEN available_fen = 0 AND held_fen = 0 THEN 'exhausted' ELSE 'active' END
          WHERE id = ${id} AND status IN ('active', 'exhausted')`,
    );
  }

  // ---- Balance moves: called by LedgerService alone, inside its unit of work. ----

  /** A new voucher receives its face value. */
  fund(id: string, x: number): Promise<boolean> {
    return this.changed(
      sql`UPDATE voucher SET face_value_fen = ${x}, available_fen = ${x} WHERE id = ${id} AND face_value_fen = 0 AND available_fen = 0`,
    );
  }

  /** available → held, on an active voucher. */
  reserve(id: string, x: number): Promise<boolean> {
    return this.changed(
      sql`UPDATE voucher SET available_fen = available_fen - ${x}, held_fen = held_fen + ${x}, updated_at = ${clock.iso()}
          WHERE id = ${id} AND status = 'active' AND available_fen >= ${x}`,
    );
  }

  /** held → spent. */
  spendHeld(id: string, x: number): Promise<boolean> {
    return this.changed(
      sql`UPDATE voucher SET held_fen = held_fen - ${x}, spent_fen = spent_fen + ${x}, updated_at = ${clock.iso()} WHERE id = ${id} AND held_fen >= ${x}`,
    );
  }

  /** held → available, or → released (back to the budget) when the voucher is closed. */
  releaseHeld(id: string, x: number, to: 'available' | 'released'): Promise<boolean> {
    const target = to === 'available' ? sql`available_fen = available_fen + ${x}` : sql`released_fen = released_fen + ${x}`;
    return this.changed(
      sql`UPDATE voucher SET held_fen = held_fen - ${x}, ${target}, updated_at = ${clock.iso()} WHERE id = ${id} AND held_fen >= ${x}`,
    );
  }

  /** All of available → released (expiry, revocation); the guard refuses a stale amount. */
  releaseAvailable(id: string, x: number): Promise<boolean> {
    return this.changed(
      sql`UPDATE voucher SET available_fen = 0, released_fen = released_fen + ${x}, updated_at = ${clock.iso()} WHERE id = ${id} AND available_fen = ${x}`,
    );
  }

  /** spent → released (back to the budget: a claim approved for less) or → available (a capture lowered after a dispute). */
  unspend(id: string, x: number, to: 'available' | 'released'): Promise<boolean> {
    const target = to === 'available' ? sql`available_fen = available_fen + ${x}` : sql`released_fen = released_fen + ${x}`;
    return this.changed(
      sql`UPDATE voucher SET spent_fen = spent_fen - ${x}, ${target}, updated_at = ${clock.iso()} WHERE id = ${id} AND spent_fen >= ${x}`,
    );
  }

  // ---- Reads for the ledger check and statistics. ----

  /**
   * Up to `limit` vouchers after `afterId` in id order, with only what the ledger check compares (it reads them a page
   * at a time): hydrating whole vouchers was 1.4 s of the check's 16 at a year.
   */
  async balancesAfter(afterId: string, limit: number): Promise<VoucherBalances[]> {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT v.id, v.serial, v.status, v.issuing_region_code AS region, v.budget_year AS year, v.enterprise_id AS enterprise,
          v.cap_subject AS subjects, v.face_value_fen AS face, v.available_fen AS available, v.held_fen AS held, v.spent_fen AS spent,
          v.released_fen AS released
          FROM voucher v WHERE v.id > ${afterId} ORDER BY v.id LIMIT ${limit}`,
    );
    const fen = (value: unknown) => BigInt(String(value));
    return rows.map((r) => ({
      id: r.id as string,
      serial: r.serial as string,
      status: r.status as VoucherStatus,
      issuingRegionCode: r.region as string,
      budgetYear: Number(r.year),
      enterpriseId: r.enterprise as string,
      capSubject: r.subjects as string,
      faceValueFen: fen(r.face),
      availableFen: fen(r.available),
      heldFen: fen(r.held),
      spentFen: fen(r.spent),
      releasedFen: fen(r.released),
    }));
  }

  /** Count and balance sums of a region's vouchers of a budget year (a province's include its cities'). */
  async totalsInRegion(
    regionCode: string,
    year: number,
  ): Promise<{ count: number; availableFen: number; heldFen: number; spentFen: number }> {
    const r = await this.db.row<Record<string, unknown>>(
      sql`SELECT COUNT(*) AS n, SUM(v.available_fen) AS available, SUM(v.held_fen) AS held, SUM(v.spent_fen) AS spent
          FROM voucher v WHERE v.budget_year = ${year} AND ${inRegion('v.issuing_region_code', regionCode)}`,
    );
    return {
      count: Number(r?.n ?? 0),
      availableFen: Number(r?.available ?? 0),
      heldFen: Number(r?.held ?? 0),
      spentFen: Number(r?.spent ?? 0),
    };
  }

  /**
   * A region's vouchers of a budget year by the status a reader sees on `today` (past its last day an open voucher counts
   * as expired before the sweep closes it): how many, their face value, how many were used, what went back.
   */
  async yearByStatusInRegion(
    regionCode: string,
    year: number,
    today: string,
  ): Promise<{ status: VoucherStatus; count: number; faceValueFen: number; usedCount: number; spentFen: number; releasedFen: number }[]> {
    const status = sql`CASE WHEN ${voucherPastValidity.sql('v', today)} THEN 'expired' ELSE v.status END`;
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT ${status} AS shown, COUNT(*) AS n, SUM(v.face_value_fen) AS face, SUM(CASE WHEN v.spent_fen > 0 THEN 1 ELSE 0 END) AS used,
          SUM(v.spent_fen) AS spent, SUM(v.released_fen) AS released
          FROM voucher v WHERE v.budget_year = ${year} AND ${inRegion('v.issuing_region_code', regionCode)} GROUP BY shown`,
    );
    return rows.map((r) => ({
      status: r.shown as VoucherStatus,
      count: Number(r.n ?? 0),
      faceValueFen: Number(r.face ?? 0),
      usedCount: Number(r.used ?? 0),
      spentFen: Number(r.spent ?? 0),
      releasedFen: Number(r.released ?? 0),
    }));
  }

  /**
   * Reserves the next `count` serial numbers of a prefix and year and returns the last of them (see reserveCounter).
   */
  reserveSerials(prefix: string, year: number, count: number): Promise<number> {
    return reserveCounter(this.db, prefix, year, count);
  }

  private async changed(q: Sql): Promise<boolean> {
    return (await this.db.execute(q)) === 1;
  }
}
