import { Injectable } from '@nestjs/common';
import type { User } from '../auth/user.entity';
import type { Claim } from '../claims/claim.entity';
import { ClaimRepository } from '../claims/claim.repository';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import type { CredentialEndCause } from '../webhooks/webhook.rules';
import { applicationEntry } from '../vouchers/application.entry';
import { ApplicationRepository } from '../vouchers/application.repository';
import type { VoucherApplication } from '../vouchers/voucher.entity';
import type { ApiKey } from './api-key.repository';

/** Why first approvals were withdrawn: their approver disabled, or the sign-in or API key they were given with ended. */
export type WithdrawalCause = 'user.disabled' | 'api_key.revoked' | CredentialEndCause;

/** What FirstApprovals took back, counted in the user's or key's audit entry; nothing for those who do not approve. */
export type Withdrawn = { firstApprovalsWithdrawn?: number };

/** Two withdrawals of one unit counted as one (a sign-in reset's through the person's keys, then the rest of theirs). */
export const withdrawnTogether = (a: Withdrawn, b: Withdrawn): Withdrawn =>
  a.firstApprovalsWithdrawn === undefined && b.firstApprovalsWithdrawn === undefined
    ? {}
    : { firstApprovalsWithdrawn: (a.firstApprovalsWithdrawn ?? 0) + (b.firstApprovalsWithdrawn ?? 0) };

/**
 * Maker-checker (双人复核) counts two people who act, through credentials that are still trusted: the first approvals
 * still waiting for a second are withdrawn in the caller's unit when their bureau user is disabled (they no longer act
 * for the bureau) or their sign-in is reset (whoever held the account may have given them), and those given through an
 * API key when the key is revoked (by an admin, a leaked key; or with its maker's password change, two-factor enabled
 * or reset: whoever held the password may have made it), and those given in the person's other sessions when they
 * change their password (whoever held a stolen session may have given them). Each application or claim waits for a first approval again,
 * and its audit entry (and event) says so; no money had moved. An API key's approvals are also its maker's (personOf),
 * so they go with the maker's too.
 */
@Injectable()
export class FirstApprovals {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly claims: ClaimRepository,
    private readonly applications: ApplicationRepository,
  ) {}

  async withdraw(user: Pick<User, 'id' | 'role' | 'regionCode'>, cause: WithdrawalCause): Promise<Withdrawn> {
    if (user.role !== 'bureau' || !user.regionCode) return {};
    const applications = await this.applications.withdrawFirstApprovalsBy(user.id, user.regionCode);
    const claims = await this.claims.withdrawFirstApprovalsBy(user.id, user.regionCode);
    return this.recorded(applications, claims, cause);
  }

  /** Called once the key is revoked, in the same unit (its row is locked, so no approval through it is under way). */
  async withdrawThrough(key: Pick<ApiKey, 'id' | 'role' | 'regionCode'>, cause: WithdrawalCause): Promise<Withdrawn> {
    if (key.role !== 'bureau' || !key.regionCode) return {};
    const applications = await this.applications.withdrawFirstApprovalsThrough(key.id, key.regionCode);
    const claims = await this.claims.withdrawFirstApprovalsThrough(key.id, key.regionCode);
    return this.recorded(applications, claims, cause);
  }

  /**
   * Those a person gave in a session other than `sessionId` (or in one not recorded), when they change their password
   * from it: whoever held a stolen session may have given them, and only this session proved the password. In the
   * caller's unit, after the person's other sessions ended and their keys' approvals went (keys before records).
   */
  async withdrawOutside(user: Pick<User, 'id' | 'role' | 'regionCode'>, sessionId: string, cause: WithdrawalCause): Promise<Withdrawn> {
    if (user.role !== 'bureau' || !user.regionCode) return {};
    const applications = await this.applications.withdrawFirstApprovalsOutside(user.id, sessionId, user.regionCode);
    const claims = await this.claims.withdrawFirstApprovalsOutside(user.id, sessionId, user.regionCode);
    return this.recorded(applications, claims, cause);
  }

  private recorded(applications: VoucherApplication[], claims: Claim[], cause: WithdrawalCause): Withdrawn {
    const given = (x: VoucherApplication | Claim) => ({
      firstApprovedBy: x.firstApprovedBy,
      firstApprovedFen: x.firstApprovedFen,
      ...(x.firstApprovedKey ? { firstApprovedKey: x.firstApprovedKey } : {}),
      ...(x.firstApprovedSession ? { firstApprovedSession: x.firstApprovedSession } : {}),
      cause,
    });
    for (const a of applications) this.uow.record(applicationEntry(a, 'application.first_approval_withdrawn', given(a)));
    for (const c of claims) {
      this.uow.record({
        action: 'claim.first_approval_withdrawn',
        entityType: 'claim',
        entityId: c.id,
        regionCode: c.issuingRegionCode,
        organizationId: c.claimantId,
        summary: given(c),
      });
    }
    return { firstApprovalsWithdrawn: applications.length + claims.length };
  }
}
