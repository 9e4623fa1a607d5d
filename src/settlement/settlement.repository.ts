import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { reserveCounter } from '../common/persistence/serial-counter';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, raw, Sql, sql } from '../common/persistence/sql';
import { heldBackSql, sanctionedSql } from '../oversight/sanction.time-rules';
import { Settlement, SettlementLine } from './settlement.entity';
import { noBankChangePendingSql } from '../organizations/organization.repository';

/** A paid settlement line as a clearing run took it in, with its batch. */
export interface ClearedLine {
  settlementId: string;
  batchNo: string | null;
  regionCode: string;
  paymentRef: string | null;
  payeeId: string;
  payeeName: string;
  issuingProvinceCode: string;
  payeeProvinceCode: string;
  amountFen: number;
  paidAt: string;
}

/**
 * Whether a bank account is on file in `column`: an organization's own, or the copy a settlement line took of it. The
 * profile stores none as NULL, and '' is none too. One rule for both, so that a batch being prepared leaves out exactly
 * the payees a batch being paid would hold back.
 */
export const bankAccountOnFileSql = (column: string): Sql => sql`(COALESCE(${raw(column)}, '') <> '')`;

@Injectable()
export class SettlementRepository {
  constructor(private readonly db: Database) {}

  async insert(settlement: Settlement, lines: SettlementLine[]): Promise<void> {
    await this.db.insert(Settlement, [settlement]);
    await this.db.insert(SettlementLine, lines);
  }

  /**
   * The next batch number of a region and year (340100-2026-0007), from the same counter table as voucher serials,
   * in the caller's transaction: gapless, and one upsert takes the row's lock so two batches never share a number.
   */
  async nextBatchNo(regionCode: string, year: number): Promise<string> {
    const n = await reserveCounter(this.db, `S${regionCode}`, year, 1);
    return `${regionCode}-${year}-${String(n).padStart(4, '0')}`;
  }

  async get(id: string): Promise<Settlement | undefined> {
    return (await this.db.select(Settlement, 's', sql`WHERE s.id = ${id}`))[0];
  }

  lock(id: string): Promise<Settlement | null> {
    return this.db.lock(Settlement, { id });
  }

  /**
   * open → paid, once, with the payment reference and its key; its lines carry the payment instant (clearing selects
   * lines by it). 'refUsed' when another batch of the region committed with the key meanwhile: the unique key on
   * (region_code, payment_ref_key) decides between two payments racing with one reference, and the failed statement
   * alone is undone (the caller throws, undoing the rest).
   */
  async markPaid(id: string, paymentRef: string, paymentRefKey: string, paidAt: string): Promise<'paid' | 'notOpen' | 'refUsed'> {
    let changed: number;
    try {
      changed = await this.db.execute(
        sql`UPDATE settlement SET status = 'paid', payment_ref = ${paymentRef}, payment_ref_key = ${paymentRefKey}, paid_at = ${paidAt}
            WHERE id = ${id} AND status = 'open'`,
      );
    } catch (e) {
      if (isUniqueViolation(e)) return 'refUsed';
      throw e;
    }
    if (changed !== 1) return 'notOpen';
    await this.db.execute(sql`UPDATE settlement_line SET paid_at = ${paidAt} WHERE settlement_id = ${id}`);
    return 'paid';
  }

  /**
   * open → voided, once, with who and why: the guarded update decides between a void and a payment (or another void)
   * at once; false when the batch is no longer open. Its lines stay as its record, carrying no payment.
   */
  async markVoided(id: string, voidedBy: string, voidedAt: string, reason: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE settlement SET status = 'voided', voided_at = ${voidedAt}, voided_by = ${voidedBy}, void_reason = ${reason}
            WHERE id = ${id} AND status = 'open'`,
      )) === 1
    );
  }

  /**
   * The region's batch paid with this payment reference (its key), if any. `latest`: read under a lock, as after 'refUsed':
   * a locking read sees the newest committed row whatever the unit's isolation (units run at READ COMMITTED, whose plain
   * reads would see it too; a snapshot's would not).
   */
  async paidWithRef(regionCode: string, paymentRefKey: string, latest = false): Promise<Settlement | undefined> {
    if (latest) return (await this.db.lock(Settlement, { regionCode, paymentRefKey })) ?? undefined;
    return (await this.db.select(Settlement, 's', sql`WHERE s.region_code = ${regionCode} AND s.payment_ref_key = ${paymentRefKey}`))[0];
  }

  /** Of the batch's lines, the payees' with no bank account (none on file when it was prepared): the treasury cannot pay them. */
  async payeesWithoutAccount(settlementId: string): Promise<{ id: string; name: string }[]> {
    return this.db.rows<{ id: string; name: string }>(
      sql`SELECT l.payee_id AS id, l.payee_name AS name FROM settlement_line l
          WHERE l.settlement_id = ${settlementId} AND NOT ${bankAccountOnFileSql('l.payee_bank_account')}
          ORDER BY l.payee_province_code, l.payee_name, l.payee_id`,
    );
  }

  /**
   * Of the batch's lines with an account, the payees' whose account is no longer the one the line was prepared with, or
   * with a change waiting for the bureau: the treasury would pay an account the payee has asked to replace. One
   * statement, so that a change confirmed meanwhile is read either as waiting or as confirmed: held back both ways.
   */
  async payeesWithAccountChanged(settlementId: string): Promise<{ id: string; name: string }[]> {
    return this.db.rows<{ id: string; name: string }>(
      sql`SELECT l.payee_id AS id, l.payee_name AS name FROM settlement_line l JOIN organization o ON o.id = l.payee_id
          WHERE l.settlement_id = ${settlementId} AND ${bankAccountOnFileSql('l.payee_bank_account')}
          AND (NOT ${noBankChangePendingSql('o')} OR COALESCE(o.bank_account, '') <> l.payee_bank_account
            OR COALESCE(o.bank_name, '') <> COALESCE(l.payee_bank_name, ''))
          ORDER BY l.payee_province_code, l.payee_name, l.payee_id`,
    );
  }

  /**
   * Of the batch's payees, those suspended or under a sanction in force on `today`, and why: held back at payment.
   * Read from the batch's lines (one per payee), not its claims: a batch of 100,000 claims has a few hundred lines.
   */
  async heldBackPayees(settlementId: string, now: string, today: string): Promise<{ id: string; sanctioned: boolean }[]> {
    const rows = await this.db.rows<{ id: string; sanctioned: unknown }>(
      sql`SELECT o.id, CASE WHEN ${sanctionedSql('o', today)} THEN 1 ELSE 0 END AS sanctioned
          FROM settlement_line l JOIN organization o ON o.id = l.payee_id WHERE l.settlement_id = ${settlementId}
          AND ${heldBackSql('o', now, today)}`,
    );
    return rows.map((r) => ({ id: r.id, sanctioned: Number(r.sanctioned) === 1 }));
  }

  /** Drops the payees' lines from an open batch and lowers its total by what they carried; returns that amount. */
  async dropLines(settlementId: string, payeeIds: string[]): Promise<number> {
    if (payeeIds.length === 0) return 0;
    const row = await this.db.row<{ fen: unknown }>(
      sql`SELECT SUM(amount_fen) AS fen FROM settlement_line WHERE settlement_id = ${settlementId} AND payee_id IN (${join(payeeIds)})`,
    );
    const fen = Number(row?.fen ?? 0);
    await this.db.execute(sql`DELETE FROM settlement_line WHERE settlement_id = ${settlementId} AND payee_id IN (${join(payeeIds)})`);
    await this.db.execute(sql`UPDATE settlement SET total_fen = total_fen - ${fen} WHERE id = ${settlementId} AND status = 'open'`);
    return fen;
  }

  /** A batch's lines (only `payeeId`'s, when given), by payee province, name and id. */
  lines(settlementId: string, payeeId?: string): Promise<SettlementLine[]> {
    return this.db.select(
      SettlementLine,
      'l',
      sql`WHERE l.settlement_id = ${settlementId}${payeeId ? sql` AND l.payee_id = ${payeeId}` : empty}
          ORDER BY l.payee_province_code, l.payee_name, l.payee_id`,
    );
  }

  /** A batch's lines (only `payeeId`'s, when given) with each payee's credit code, for its statement. */
  async statementLines(settlementId: string, payeeId?: string): Promise<(SettlementLine & { payeeCreditCode: string })[]> {
    const rows = await this.db.rows(
      sql`SELECT ${this.db.columns(SettlementLine, 'l')}, o.credit_code AS payee_credit_code FROM settlement_line l JOIN organization o ON o.id = l.payee_id
          WHERE l.settlement_id = ${settlementId}${payeeId ? sql` AND l.payee_id = ${payeeId}` : empty}
          ORDER BY l.payee_province_code, l.payee_name, l.payee_id`,
    );
    return rows.map((row) => ({ ...this.db.hydrate(SettlementLine, row, 'l'), payeeCreditCode: row.payee_credit_code as string }));
  }

  /** Batches in the scope; an organization's scope is the batches with a line for it. */
  async list(scope: ListScope, q: { regionCode?: string; status?: string; limit: number; offset: number }): Promise<Page<Settlement>> {
    const where = sql`WHERE 1 = 1${q.regionCode ? sql` AND s.region_code = ${q.regionCode}` : empty}${
      q.status ? sql` AND s.status = ${q.status}` : empty
    }${
      'organizationId' in scope
        ? sql` AND EXISTS (SELECT 1 FROM settlement_line l WHERE l.settlement_id = s.id AND l.payee_id = ${scope.organizationId})`
        : scopeCondition(scope, { region: 's.region_code', orgs: [] })
    }`;
    return this.db.page(Settlement, 's', where, sql`s.created_at DESC, s.id DESC`, q);
  }

  /** Paid lines from `from` (inclusive) to `end` (exclusive) that cross provinces, summed per province pair. */
  async crossProvinceFlows(from: string, end: string): Promise<{ fromProvinceCode: string; toProvinceCode: string; amountFen: number }[]> {
    const rows = await this.db.rows<{ f: string; t: string; fen: unknown }>(
      sql`SELECT l.issuing_province_code AS f, l.payee_province_code AS t, SUM(l.amount_fen) AS fen FROM settlement_line l
          WHERE l.paid_at >= ${from} AND l.paid_at < ${end} AND l.issuing_province_code <> l.payee_province_code
          GROUP BY l.issuing_province_code, l.payee_province_code`,
    );
    return rows.map((r) => ({ fromProvinceCode: r.f, toProvinceCode: r.t, amountFen: Number(r.fen) }));
  }

  /**
   * Gives `runId` the lines paid across provinces before `end` (exclusive) that no run has taken in yet: of two runs of
   * overlapping periods, the guarded update lets each line go to one.
   */
  claimForClearing(runId: string, end: string): Promise<number> {
    return this.db.execute(sql`UPDATE settlement_line SET clearing_run_id = ${runId} WHERE ${unclearedBefore(end)}`);
  }

  /**
   * What a clearing run recorded now up to `end` (exclusive) would take in, read only: the lines paid across provinces
   * that no run has taken in, per province pair, with how many and how much of them were paid before `from` (caught up).
   */
  async unclearedFlows(
    from: string,
    end: string,
  ): Promise<
    { fromProvinceCode: string; toProvinceCode: string; amountFen: number; lines: number; caughtUpLines: number; caughtUpFen: number }[]
  > {
    const rows = await this.db.rows<{ f: string; t: string; fen: unknown; n: unknown; early: unknown; early_fen: unknown }>(
      sql`SELECT l.issuing_province_code AS f, l.payee_province_code AS t, SUM(l.amount_fen) AS fen, COUNT(*) AS n,
            SUM(CASE WHEN l.paid_at < ${from} THEN 1 ELSE 0 END) AS early,
            SUM(CASE WHEN l.paid_at < ${from} THEN l.amount_fen ELSE 0 END) AS early_fen
          FROM settlement_line l
          WHERE ${unclearedBefore(end, 'l.')}
          GROUP BY l.issuing_province_code, l.payee_province_code`,
    );
    return rows.map((r) => ({
      fromProvinceCode: r.f,
      toProvinceCode: r.t,
      amountFen: Number(r.fen),
      lines: Number(r.n),
      caughtUpLines: Number(r.early),
      caughtUpFen: Number(r.early_fen),
    }));
  }

  /**
   * The first payment instant of a line paid across provinces that no run took in, within any of `ranges` (instants,
   * [start, end), start null: unbounded): null when there is none.
   */
  async earliestUncleared(ranges: { start: string | null; end: string }[]): Promise<string | null> {
    if (ranges.length === 0) return null;
    const within = join(
      ranges.map((r) => (r.start === null ? sql`l.paid_at < ${r.end}` : sql`(l.paid_at >= ${r.start} AND l.paid_at < ${r.end})`)),
      ' OR ',
    );
    const [row] = await this.db.rows<{ first: string | null }>(
      sql`SELECT MIN(l.paid_at) AS first FROM settlement_line l
          WHERE ${uncleared('l.')} AND (${within})`,
    );
    return row?.first ?? null;
  }

  /** A voided run's lines go back to be cleared by a later run: how many. Its record of them stays (keepVoidedLines). */
  releaseFromClearing(runId: string): Promise<number> {
    return this.db.execute(sql`UPDATE settlement_line SET clearing_run_id = NULL WHERE clearing_run_id = ${runId}`);
  }

  /** The ids of the lines claimForClearing would take in up to `end` (exclusive), read only: a proposal's fingerprint. */
  async unclearedLineIds(end: string): Promise<string[]> {
    return (await this.db.rows<{ id: string }>(sql`SELECT l.id FROM settlement_line l WHERE ${unclearedBefore(end, 'l.')}`)).map(
      (r) => r.id,
    );
  }

  /** The ids of the lines run `runId` holds. */
  async lineIdsOfRun(runId: string): Promise<string[]> {
    return (await this.db.rows<{ id: string }>(sql`SELECT l.id FROM settlement_line l WHERE ${linesOf(runId, false)}`)).map((r) => r.id);
  }

  /** What the lines a clearing run took in (a voided run: had taken in) add up to per province pair. */
  async flowsOfRun(runId: string, voided = false): Promise<{ fromProvinceCode: string; toProvinceCode: string; amountFen: number }[]> {
    const rows = await this.db.rows<{ f: string; t: string; fen: unknown }>(
      sql`SELECT l.issuing_province_code AS f, l.payee_province_code AS t, SUM(l.amount_fen) AS fen FROM settlement_line l
          WHERE ${linesOf(runId, voided)} GROUP BY l.issuing_province_code, l.payee_province_code`,
    );
    return rows.map((r) => ({ fromProvinceCode: r.f, toProvinceCode: r.t, amountFen: Number(r.fen) }));
  }

  /**
   * The lines a clearing run took in, each with its batch (number, region, payment reference), in the order they were
   * paid: what the run's gross flows add up from, for the clearing officer to reconcile a run with the batches behind it.
   */
  async linesOfRun(runId: string, voided = false, provinceCode?: string): Promise<ClearedLine[]> {
    const rows = await this.db.rows(
      sql`SELECT l.settlement_id, s.batch_no, s.region_code, s.payment_ref, l.payee_id, l.payee_name, l.issuing_province_code,
            l.payee_province_code, l.amount_fen, l.paid_at
          FROM settlement_line l JOIN settlement s ON s.id = l.settlement_id
          WHERE ${linesOf(runId, voided)}${ofProvince(provinceCode)} ORDER BY l.paid_at, s.batch_no, l.settlement_id, l.payee_id`,
    );
    return rows.map((r) => ({
      settlementId: r.settlement_id as string,
      batchNo: (r.batch_no as string | null) ?? null,
      regionCode: r.region_code as string,
      paymentRef: (r.payment_ref as string | null) ?? null,
      payeeId: r.payee_id as string,
      payeeName: r.payee_name as string,
      issuingProvinceCode: r.issuing_province_code as string,
      payeeProvinceCode: r.payee_province_code as string,
      amountFen: Number(r.amount_fen),
      paidAt: r.paid_at as string,
    }));
  }

  /** How many lines of the run a province issued or was paid by (a province's notice counts its own). */
  async countLinesOfRun(runId: string, voided: boolean, provinceCode: string): Promise<number> {
    const [row] = await this.db.rows<{ n: number | string }>(
      sql`SELECT COUNT(*) AS n FROM settlement_line l WHERE ${linesOf(runId, voided)}${ofProvince(provinceCode)}`,
    );
    return Number(row.n);
  }

  /** The regions that have batches, for the ledger check's pages. */
  async regions(): Promise<string[]> {
    return (await this.db.rows<{ region: string }>(sql`SELECT DISTINCT region_code AS region FROM settlement ORDER BY region_code`)).map(
      (r) => r.region,
    );
  }

  /**
   * One region's batches with each of their lines (a batch without any, once, with a null payee) and the payee's home
   * province, for the ledger check: a batch's total is its lines', a line's figures and provinces are its claims' and
   * its parties', and it is paid (what clearing selects it by) when its batch is.
   */
  async linesOfRegion(regionCode: string): Promise<
    {
      settlementId: string;
      batchNo: string | null;
      totalFen: number;
      batchPaid: boolean;
      batchVoided: boolean;
      payeeId: string | null;
      amountFen: number;
      issuingProvinceCode: string | null;
      payeeProvinceCode: string | null;
      payeeHomeProvinceCode: string | null;
      batchPaidAt: string | null;
      linePaidAt: string | null;
    }[]
  > {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT s.id AS sid, s.batch_no AS batch, s.total_fen AS total, s.status AS status, l.payee_id AS payee, l.amount_fen AS fen,
          l.issuing_province_code AS issuing, l.payee_province_code AS province, o.province_code AS home, s.paid_at AS batch_paid, l.paid_at AS line_paid
          FROM settlement s LEFT JOIN settlement_line l ON l.settlement_id = s.id LEFT JOIN organization o ON o.id = l.payee_id
          WHERE s.region_code = ${regionCode} ORDER BY s.id, l.payee_id`,
    );
    return rows.map((r) => ({
      settlementId: r.sid as string,
      batchNo: (r.batch as string | null) ?? null,
      totalFen: Number(r.total),
      batchPaid: r.status === 'paid',
      batchVoided: r.status === 'voided',
      payeeId: (r.payee as string | null) ?? null,
      amountFen: Number(r.fen ?? 0),
      issuingProvinceCode: (r.issuing as string | null) ?? null,
      payeeProvinceCode: (r.province as string | null) ?? null,
      payeeHomeProvinceCode: (r.home as string | null) ?? null,
      batchPaidAt: (r.batch_paid as string | null) ?? null,
      linePaidAt: (r.line_paid as string | null) ?? null,
    }));
  }

  /** Paid batches: all of them, or one issuing region's, with when they were paid (the ledger check and the backfill). */
  async paid(regionCode?: string): Promise<{ id: string; regionCode: string; paidAt: string }[]> {
    return this.db.rows(
      sql`SELECT s.id AS id, s.region_code AS "regionCode", s.paid_at AS "paidAt" FROM settlement s WHERE s.status = 'paid'${
        regionCode === undefined ? empty : sql` AND s.region_code = ${regionCode}`
      } ORDER BY s.id`,
    );
  }
}

/**
 * The lines a clearing run recorded now up to `end` (exclusive) takes in: paid across provinces, and in no run yet. One
 * rule for the run (claimForClearing) and its preview (unclearedFlows), so that the preview shows what the run takes.
 * `l` prefixes the columns: '' in an UPDATE of settlement_line, 'l.' where the table has that alias.
 */
const unclearedBefore = (end: string, l: '' | 'l.' = '') => sql`${uncleared(l)} AND ${raw(l)}paid_at < ${end}`;
/** Paid across provinces and taken in by no run (each range of earliestUncleared bounds `paid_at`, so it was paid). */
const uncleared = (l: '' | 'l.') =>
  sql`${raw(l)}clearing_run_id IS NULL AND ${raw(l)}issuing_province_code <> ${raw(l)}payee_province_code`;

/** The lines (alias l) a clearing run holds, or, voided, held: the voided run's record of them. */
const linesOf = (runId: string, voided: boolean) =>
  voided ? sql`l.id IN (SELECT v.line_id FROM clearing_run_voided_line v WHERE v.run_id = ${runId})` : sql`l.clearing_run_id = ${runId}`;
/** A province's own lines, those it issued or was paid by; every line when none is named. */
const ofProvince = (provinceCode?: string) =>
  provinceCode ? sql` AND (l.issuing_province_code = ${provinceCode} OR l.payee_province_code = ${provinceCode})` : empty;
