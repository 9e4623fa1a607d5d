import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { inRegion, scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, Sql, sql } from '../common/persistence/sql';
import { ApplicationStatus, VoucherApplication } from './voucher.entity';

@Injectable()
export class ApplicationRepository {
  constructor(private readonly db: Database) {}

  insert(application: VoucherApplication): Promise<void> {
    return this.db.insert(VoucherApplication, [application]);
  }

  async get(id: string): Promise<VoucherApplication | undefined> {
    return (await this.db.select(VoucherApplication, 'a', sql`WHERE a.id = ${id}`))[0];
  }

  lock(id: string): Promise<VoucherApplication | null> {
    return this.db.lock(VoucherApplication, { id });
  }

  /** Records a decision on an application still in `from`; false when someone decided it first. */
  async decide(
    id: string,
    from: ApplicationStatus,
    d: Pick<
      VoucherApplication,
      | 'status'
      | 'approvedFen'
      | 'voucherId'
      | 'policyId'
      | 'reason'
      | 'reviewedBy'
      | 'decidedAt'
      | 'firstApprovedBy'
      | 'firstApprovedFen'
      | 'firstApprovedKey'
      | 'firstApprovedSession'
    >,
  ): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE voucher_application SET status = ${d.status}, approved_fen = ${d.approvedFen}, voucher_id = ${d.voucherId},
          policy_id = ${d.policyId}, reason = ${d.reason}, reviewed_by = ${d.reviewedBy}, decided_at = ${d.decidedAt},
          first_approved_by = ${d.firstApprovedBy}, first_approved_fen = ${d.firstApprovedFen}, first_approved_key = ${d.firstApprovedKey},
          first_approved_session = ${d.firstApprovedSession}
          WHERE id = ${id} AND status = ${from}`,
    );
    return changed === 1;
  }

  /**
   * The first approvals a bureau user gave that still wait for a second, taken back (awaiting_second_approval →
   * pending_review, the first approver, key and amount cleared) when the user is disabled or their sign-in reset, as
   * ClaimRepository.withdrawFirstApprovalsBy does for claims; answers the applications taken back, as they were.
   */
  withdrawFirstApprovalsBy(userId: string, bureauRegion: string): Promise<VoucherApplication[]> {
    return this.withdrawFirstApprovals(bureauRegion, sql`first_approved_by = ${userId}`);
  }

  /** The same for those given through an API key, when the key is revoked. */
  withdrawFirstApprovalsThrough(keyId: string, bureauRegion: string): Promise<VoucherApplication[]> {
    return this.withdrawFirstApprovals(bureauRegion, sql`first_approved_key = ${keyId}`);
  }

  /** The same for those a user gave in a session other than `sessionId` (or in none recorded), when they change the password. */
  withdrawFirstApprovalsOutside(userId: string, sessionId: string, bureauRegion: string): Promise<VoucherApplication[]> {
    return this.withdrawFirstApprovals(bureauRegion, outsideSession(userId, sessionId));
  }

  /** The bureau's regions read through the (region, status) index, the rows locked for the unit (as for claims). */
  private async withdrawFirstApprovals(bureauRegion: string, given: Sql): Promise<VoucherApplication[]> {
    const waiting = await this.db.select(
      VoucherApplication,
      'a',
      sql`WHERE ${inRegion('a.issuing_region_code', bureauRegion)} AND a.status = 'awaiting_second_approval'
          AND ${given} ORDER BY a.id${this.db.forUpdate}`,
    );
    if (waiting.length === 0) return [];
    const changed = await this.db.execute(
      sql`UPDATE voucher_application SET status = 'pending_review', first_approved_by = NULL, first_approved_fen = NULL,
          first_approved_key = NULL, first_approved_session = NULL
          WHERE id IN (${join(waiting.map((a) => a.id))}) AND status = 'awaiting_second_approval' AND ${given}`,
    );
    if (changed !== waiting.length) throw new Error(`first approvals withdrawn: ${changed} of ${waiting.length} locked applications`);
    return waiting;
  }

  async list(
    scope: ListScope,
    q: { status?: string; issuingRegionCode?: string; limit: number; offset: number },
  ): Promise<Page<VoucherApplication>> {
    const where = sql`WHERE 1 = 1${q.status ? sql` AND a.status = ${q.status}` : empty}${
      q.issuingRegionCode ? sql` AND a.issuing_region_code = ${q.issuingRegionCode}` : empty
    }${scopeCondition(scope, {
      region: 'a.issuing_region_code',
      orgs: ['a.enterprise_id'],
    })}`;
    return this.db.page(VoucherApplication, 'a', where, sql`a.created_at DESC, a.id DESC`, q);
  }
}

/**
 * A person's first approvals given in a session (no key) other than this one, or in one not recorded (before
 * FirstApprovalSessions): those a password change or two-factor enabled from this session withdraws (claims too).
 */
export const outsideSession = (userId: string, sessionId: string): Sql =>
  sql`first_approved_by = ${userId} AND first_approved_key IS NULL AND (first_approved_session IS NULL OR first_approved_session <> ${sessionId})`;
