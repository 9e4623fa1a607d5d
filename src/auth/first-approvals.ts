import { Injectable } from '@nestjs/common';
import { ClaimRepository } from '../claims/claim.repository';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { applicationEntry } from '../vouchers/application.entry';
import { ApplicationRepository } from '../vouchers/application.repository';
import type { User } from './user.entity';

/** Why a person's first approvals were withdrawn. */
export type WithdrawalCause = 'user.disabled' | 'user.sign_in_reset';

/** What FirstApprovals.withdraw took back, counted in the user's audit entry; nothing for those who do not approve. */
export type Withdrawn = { firstApprovalsWithdrawn?: number };

/**
 * Maker-checker (双人复核) counts two people who act: the first approvals a bureau user gave that still wait for a second
 * are withdrawn in the caller's unit when the user is disabled (they no longer act for the bureau) or their sign-in is
 * reset (whoever held the account may have given them). Each application or claim waits for a first approval again, and
 * its audit entry (and event) says so; no money had moved. An API key's approvals are its maker's (personOf), so they go
 * with the maker's.
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
    for (const a of applications) {
      this.uow.record(
        applicationEntry(a, 'application.first_approval_withdrawn', {
          firstApprovedBy: user.id,
          firstApprovedFen: a.firstApprovedFen,
          cause,
        }),
      );
    }
    for (const c of claims) {
      this.uow.record({
        action: 'claim.first_approval_withdrawn',
        entityType: 'claim',
        entityId: c.id,
        regionCode: c.issuingRegionCode,
        organizationId: c.claimantId,
        summary: { firstApprovedBy: user.id, firstApprovedFen: c.firstApprovedFen, cause },
      });
    }
    return { firstApprovalsWithdrawn: applications.length + claims.length };
  }
}
