import { Injectable } from '@nestjs/common';
import { beijingDayStart } from '../common/clock';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { organizationActive } from '../organizations/organization.time-rules';
import { heldBackSql, sanctionedSql } from '../oversight/sanction.time-rules';
import { inRegion, scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, Sql, sql } from '../common/persistence/sql';
import { bankAccountOnFileSql } from '../settlement/settlement.repository';
import { noBankChangePendingSql } from '../organizations/organization.repository';
import { outsideSession } from '../vouchers/application.repository';
import { Claim, ClaimedInvoice, ClaimStatus } from './claim.entity';

/** A claim holding an invoice number, as a refusal of the same invoice names it. */
export interface InvoiceHolder {
  id: string;
  finalRejection: boolean;
  createdAt: string;
  claimedFen: number;
}

@Injectable()
export class ClaimRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the claim; false when its invoice is on another standing claim of the claimant that committed meanwhile:
   * the unique key on (claimant, invoice) decides, the only unique key a new claim with a random id can break. The
   * failed statement alone is undone; the caller answers with a refusal.
   */
  async insert(claim: Claim): Promise<boolean> {
    try {
      await this.db.insert(Claim, [claim]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /**
   * Takes the claim's invoice under each lab that issued it; false when another claim holds it under one of them (the
   * primary key decides, also between two racing). The claim is written already: the caller throws, undoing both.
   */
  async takeInvoice(claimId: string, providerIds: string[], invoiceKey: string): Promise<boolean> {
    try {
      await this.db.insert(
        ClaimedInvoice,
        providerIds.map((providerId) => ({ providerId, invoiceKey, claimId })),
      );
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** The claimant's claim holding this invoice, if any: one not rejected, or rejected for good. */
  async invoiceClaimed(claimantId: string, invoiceKey: string): Promise<InvoiceHolder | undefined> {
    const row = await this.db.row<{ id: string; final: unknown; created_at: string; claimed_fen: unknown }>(
      sql`SELECT id, final_rejection AS final, created_at, claimed_fen FROM claim WHERE claimant_id = ${claimantId} AND invoice_key = ${invoiceKey}`,
    );
    return (
      row && { id: row.id, finalRejection: Boolean(Number(row.final)), createdAt: row.created_at, claimedFen: Number(row.claimed_fen) }
    );
  }

  async get(id: string): Promise<Claim | undefined> {
    return (await this.db.select(Claim, 'c', sql`WHERE c.id = ${id}`))[0];
  }

  lock(id: string): Promise<Claim | null> {
    return this.db.lock(Claim, { id });
  }

  /**
   * A decision on a claim still in `from`, by one guarded statement; false when another decision came first (of a
   * rejection for good racing an approval, or two of them, exactly one changes the row). A rejected claim lets go of
   * its invoice, which may then be claimed again once corrected; one rejected for good keeps it: an invoice the bureau
   * found wanting is not claimed again with other services.
   */
  async decide(
    id: string,
    from: ClaimStatus,
    d: Pick<
      Claim,
      | 'status'
      | 'approvedFen'
      | 'reason'
      | 'reviewedBy'
      | 'decidedAt'
      | 'firstApprovedBy'
      | 'firstApprovedFen'
      | 'firstApprovedKey'
      | 'firstApprovedSession'
    > &
      Partial<Pick<Claim, 'finalRejection'>>,
  ): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE claim SET status = ${d.status}, approved_fen = ${d.approvedFen}, reason = ${d.reason}, reviewed_by = ${d.reviewedBy},
          decided_at = ${d.decidedAt}, first_approved_by = ${d.firstApprovedBy}, first_approved_fen = ${d.firstApprovedFen},
          first_approved_key = ${d.firstApprovedKey}, first_approved_session = ${d.firstApprovedSession}${
            d.status === 'rejected'
              ? d.finalRejection
                ? sql`, final_rejection = 1`
                : sql`, invoice_key = NULL, final_rejection = 0`
              : empty
          } WHERE id = ${id} AND status = ${from}`,
    );
    if (changed === 1 && d.status === 'rejected' && !d.finalRejection)
      await this.db.execute(sql`DELETE FROM claimed_invoice WHERE claim_id = ${id}`);
    return changed === 1;
  }

  /**
   * The first approvals a bureau user gave that still wait for a second, taken back (awaiting_second_approval →
   * submitted, the first approver, key, amount and cut reason cleared) when the user is disabled or their sign-in reset:
   * a person who no longer acts, or whose account someone else may have used, is nobody's first pair of eyes. Answers
   * the claims taken back, as they were.
   */
  withdrawFirstApprovalsBy(userId: string, bureauRegion: string): Promise<Claim[]> {
    return this.withdrawFirstApprovals(bureauRegion, sql`first_approved_by = ${userId}`);
  }

  /** The same for those given through an API key, when the key is revoked (whoever held a leaked key may have given them). */
  withdrawFirstApprovalsThrough(keyId: string, bureauRegion: string): Promise<Claim[]> {
    return this.withdrawFirstApprovals(bureauRegion, sql`first_approved_key = ${keyId}`);
  }

  /** The same for those a user gave in a session other than `sessionId` (or in none recorded), when they change the password. */
  withdrawFirstApprovalsOutside(userId: string, sessionId: string, bureauRegion: string): Promise<Claim[]> {
    return this.withdrawFirstApprovals(bureauRegion, outsideSession(userId, sessionId));
  }

  /**
   * Only the regions the bureau covers are read, through the (region, status) index, the rows locked for the unit: a
   * second approval that locked one first has approved it by then, and is not undone.
   */
  private async withdrawFirstApprovals(bureauRegion: string, given: Sql): Promise<Claim[]> {
    const waiting = await this.db.select(
      Claim,
      'c',
      sql`WHERE ${inRegion('c.issuing_region_code', bureauRegion)} AND c.status = 'awaiting_second_approval'
          AND ${given} ORDER BY c.id${this.db.forUpdate}`,
    );
    if (waiting.length === 0) return [];
    const changed = await this.db.execute(
      sql`UPDATE claim SET status = 'submitted', first_approved_by = NULL, first_approved_fen = NULL, first_approved_key = NULL,
          first_approved_session = NULL, reason = NULL
          WHERE id IN (${join(waiting.map((c) => c.id))}) AND status = 'awaiting_second_approval' AND ${given}`,
    );
    if (changed !== waiting.length) throw new Error(`first approvals withdrawn: ${changed} of ${waiting.length} locked claims`);
    return waiting;
  }

  /**
   * The claim's own write into its redemptions when it is rejected for good: each captured one is annulled (captured →
   * cancelled, as a dispute resolved at zero annuls a capture) with no captured subsidy left, and stays bound to this
   * claim, so that no later claim takes it. Guarded on `captured`; returns how many it annulled.
   */
  annulRedemptions(claimId: string, updatedAt: string): Promise<number> {
    return this.db.execute(
      sql`UPDATE redemption SET status = 'cancelled', captured_subsidy_fen = 0, updated_at = ${updatedAt}
          WHERE claim_id = ${claimId} AND status = 'captured'`,
    );
  }

  async list(
    scope: ListScope,
    q: { status?: string; issuingRegionCode?: string; settlementId?: string; limit: number; offset: number },
  ): Promise<Page<Claim>> {
    const where = sql`WHERE 1 = 1${q.status ? sql` AND c.status = ${q.status}` : empty}${
      q.issuingRegionCode ? sql` AND c.issuing_region_code = ${q.issuingRegionCode}` : empty
    }${q.settlementId ? sql` AND c.settlement_id = ${q.settlementId}` : empty}${scopeCondition(scope, {
      region: 'c.issuing_region_code',
      orgs: ['c.claimant_id'],
    })}`;
    return this.db.page(Claim, 'c', where, sql`c.created_at DESC, c.id DESC`, q);
  }

  // ---- Settlement's writes into claims: named, with checked results. ----

  /**
   * Puts every approved claim of the region that is in no batch (approved before `decidedBefore`, when given) into the
   * batch; returns how many. Claims of a payee that is suspended or under a sanction in force on `today` stay out
   * until it is clear, and so do those of a payee with no bank account on file until it puts one there, or with a change
   * of account waiting for its bureau until the bureau decides. The guarded
   * UPDATE is what keeps a claim in one batch: a concurrent run waits for the row locks, then finds settlement_id set
   * and takes nothing.
   */
  markSettled(regionCode: string, settlementId: string, decidedBefore: string | undefined, now: string, today: string): Promise<number> {
    return this.db.execute(
      sql`UPDATE claim SET settlement_id = ${settlementId}
          WHERE issuing_region_code = ${regionCode} AND status = 'approved' AND settlement_id IS NULL${
            decidedBefore ? sql` AND decided_at < ${decidedBefore}` : empty
          } AND claimant_id IN (SELECT o.id FROM organization o WHERE ${organizationActive.sql('o', now)}
            AND NOT ${sanctionedSql('o', today)} AND ${bankAccountOnFileSql('o.bank_account')} AND ${noBankChangePendingSql('o')})`,
    );
  }

  /**
   * The payees whose approved claims a batch made now (with `decidedBefore`) leaves out for want of a bank account on
   * file, active and clear otherwise: per payee, how many claims and how much. They wait, in no batch, for a later one.
   */
  async waitingForAccount(
    regionCode: string,
    decidedBefore: string | undefined,
    now: string,
    today: string,
  ): Promise<{ payeeId: string; claims: number; fen: number }[]> {
    const rows = await this.db.rows<{ payee: string; n: unknown; fen: unknown }>(
      sql`SELECT c.claimant_id AS payee, COUNT(*) AS n, SUM(c.approved_fen) AS fen FROM claim c JOIN organization o ON o.id = c.claimant_id
          WHERE c.issuing_region_code = ${regionCode} AND c.status = 'approved' AND c.settlement_id IS NULL${
            decidedBefore ? sql` AND c.decided_at < ${decidedBefore}` : empty
          } AND ${organizationActive.sql('o', now)} AND NOT ${sanctionedSql('o', today)} AND NOT ${bankAccountOnFileSql('o.bank_account')}
          GROUP BY c.claimant_id ORDER BY c.claimant_id`,
    );
    return rows.map((r) => ({ payeeId: r.payee, claims: Number(r.n), fen: Number(r.fen) }));
  }

  /** Takes the payees' claims out of the batch again: they wait, approved, for a later one. */
  unmarkSettled(settlementId: string, payeeIds: string[]): Promise<number> {
    if (payeeIds.length === 0) return Promise.resolve(0);
    return this.db.execute(
      sql`UPDATE claim SET settlement_id = NULL WHERE settlement_id = ${settlementId} AND claimant_id IN (${join(payeeIds)})`,
    );
  }

  /** Takes every claim out of a voided batch: they wait, approved, for a later one. How many. */
  unmarkBatch(settlementId: string): Promise<number> {
    return this.db.execute(sql`UPDATE claim SET settlement_id = NULL WHERE settlement_id = ${settlementId}`);
  }

  /**
   * Claims on a region's vouchers submitted in a calendar year (Beijing's), per status: how many, what was claimed and
   * what was approved, so the report shows what review cut or refused.
   */
  async decisionsInRegion(
    regionCode: string,
    year: number,
  ): Promise<{ status: ClaimStatus; count: number; cutCount: number; claimedFen: number; approvedFen: number }[]> {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT c.status AS status, COUNT(*) AS n, SUM(CASE WHEN c.approved_fen < c.claimed_fen THEN 1 ELSE 0 END) AS cut,
          SUM(c.claimed_fen) AS claimed, SUM(c.approved_fen) AS approved FROM claim c
          WHERE c.created_at >= ${beijingDayStart(`${year}-01-01`)} AND c.created_at < ${beijingDayStart(`${year + 1}-01-01`)} AND ${inRegion('c.issuing_region_code', regionCode)}
          GROUP BY c.status`,
    );
    return rows.map((r) => ({
      status: r.status as ClaimStatus,
      count: Number(r.n ?? 0),
      cutCount: Number(r.cut ?? 0),
      claimedFen: Number(r.claimed ?? 0),
      approvedFen: Number(r.approved ?? 0),
    }));
  }

  /** When the batch's last claim was approved: the period a batch made without periodEnd reaches to. */
  async lastDecidedIn(settlementId: string): Promise<string> {
    const rows = await this.db.rows<{ at: string }>(sql`SELECT MAX(decided_at) AS at FROM claim WHERE settlement_id = ${settlementId}`);
    return String(rows[0].at);
  }

  /** Approved claims of the region in no batch whose payee is held back (suspended or sanctioned): how many and how much. */
  async heldBack(regionCode: string, now: string, today: string): Promise<{ claims: number; fen: number }> {
    const row = await this.db.row<{ n: unknown; fen: unknown }>(
      sql`SELECT COUNT(*) AS n, SUM(c.approved_fen) AS fen FROM claim c JOIN organization o ON o.id = c.claimant_id
          WHERE c.issuing_region_code = ${regionCode} AND c.status = 'approved' AND c.settlement_id IS NULL
          AND ${heldBackSql('o', now, today)}`,
    );
    return { claims: Number(row?.n ?? 0), fen: Number(row?.fen ?? 0) };
  }

  /** A batch's total per payee, summed by the database, with the payee's name, credit code and province. */
  async batchTotals(settlementId: string): Promise<
    {
      payeeId: string;
      payeeName: string;
      payeeCreditCode: string;
      payeeProvinceCode: string;
      payeeBankName: string | null;
      payeeBankAccount: string | null;
      amountFen: number;
      claims: number;
    }[]
  > {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT c.claimant_id AS payee, o.name, o.credit_code AS code, o.province_code AS province, o.bank_name AS bank, o.bank_account AS account,
          SUM(c.approved_fen) AS fen, COUNT(*) AS n
          FROM claim c JOIN organization o ON o.id = c.claimant_id WHERE c.settlement_id = ${settlementId}
          GROUP BY c.claimant_id, o.name, o.credit_code, o.province_code, o.bank_name, o.bank_account`,
    );
    return rows.map((r) => ({
      payeeId: r.payee as string,
      payeeName: r.name as string,
      payeeCreditCode: r.code as string,
      payeeProvinceCode: r.province as string,
      payeeBankName: (r.bank as string | null) ?? null,
      payeeBankAccount: (r.account as string | null) ?? null,
      amountFen: Number(r.fen),
      claims: Number(r.n),
    }));
  }

  /** A batch's claims (only `payeeId`'s, when given), for the statement's schedule: by payee, then as approved. */
  inBatch(settlementId: string, payeeId?: string): Promise<Claim[]> {
    return this.db.select(
      Claim,
      'c',
      sql`WHERE c.settlement_id = ${settlementId}${payeeId ? sql` AND c.claimant_id = ${payeeId}` : empty}
          ORDER BY c.claimant_id, c.decided_at, c.id`,
    );
  }

  /** A batch's claims by payee, in id order. */
  async idsInBatch(settlementId: string): Promise<Map<string, string[]>> {
    const rows = await this.db.rows<{ id: string; payee: string }>(
      sql`SELECT c.id, c.claimant_id AS payee FROM claim c WHERE c.settlement_id = ${settlementId} ORDER BY c.id`,
    );
    const byPayee = new Map<string, string[]>();
    for (const r of rows) {
      const ids = byPayee.get(r.payee);
      if (ids) ids.push(r.id);
      else byPayee.set(r.payee, [r.id]);
    }
    return byPayee;
  }

  /** The sum of approved claims per issuing region and payee (`region:payee`), for the ledger check. */
  async approvedByPayee(): Promise<Map<string, bigint>> {
    const rows = await this.db.rows<{ region: string; payee: string; fen: unknown }>(
      sql`SELECT c.issuing_region_code AS region, c.claimant_id AS payee, SUM(c.approved_fen) AS fen FROM claim c WHERE c.status = 'approved'
          GROUP BY c.issuing_region_code, c.claimant_id`,
    );
    return new Map(rows.map((r) => [`${r.region}:${r.payee}`, BigInt(String((r.fen as string | number | null) ?? 0))]));
  }

  /**
   * The claims in batches (of any region) that are on one region's vouchers, per batch and payee (`batch:payee`): what
   * they approved and how many of them are not approved, for the ledger check to hold each line to.
   */
  async batchedOfRegion(regionCode: string): Promise<Map<string, { fen: bigint; notApproved: number }>> {
    const rows = await this.db.rows<{ batch: string; payee: string; fen: unknown; bad: unknown }>(
      sql`SELECT c.settlement_id AS batch, c.claimant_id AS payee, SUM(COALESCE(c.approved_fen, 0)) AS fen,
          SUM(CASE WHEN c.status = 'approved' THEN 0 ELSE 1 END) AS bad
          FROM claim c WHERE c.issuing_region_code = ${regionCode} AND c.settlement_id IS NOT NULL GROUP BY c.settlement_id, c.claimant_id`,
    );
    return new Map(
      rows.map((r) => [
        `${String(r.batch).trim()}:${r.payee}`,
        { fen: BigInt(String((r.fen as string | number | null) ?? 0)), notApproved: Number(r.bad ?? 0) },
      ]),
    );
  }
}
