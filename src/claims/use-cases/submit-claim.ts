import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { DomainError, forbidden, invalidInput, notFound } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refused } from '../../common/use-case';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { SanctionRepository } from '../../oversight/sanction.repository';
import { Redemption } from '../../redemptions/redemption.entity';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { Claim, ClaimEvidence } from '../claim.entity';
import { ClaimRepository } from '../claim.repository';

export interface SubmitClaimCommand {
  actor: Actor;
  redemptionIds: string[];
  evidence: ClaimEvidence;
}

/**
 * The payee claims captured redemptions from their issuing bureau. No money moves at submission. The redemptions are
 * locked before they are checked, so of two claims racing for one the second sees it claimed; the guarded update
 * that marks them is the last line of defence (a Galera node that missed the other's lock fails certification and
 * the unit runs again).
 */
@Injectable()
export class SubmitClaim {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE', 'DUPLICATE', 'SANCTIONED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly claims: ClaimRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly organizations: OrganizationRepository,
    private readonly sanctions: SanctionRepository,
  ) {}

  execute(cmd: SubmitClaimCommand): Promise<Outcome<Claim>> {
    return this.uow.run(async () => {
      const payeeId = cmd.actor.organizationId!;
      const found = new Map((await this.redemptions.lockMany(cmd.redemptionIds)).map((r) => [r.id, r]));
      const redemptions = cmd.redemptionIds.map((id) => this.claimableBy(payeeId, id, found.get(id)));
      const unclaimable = redemptions.find((r): r is Exclude<typeof r, Redemption> => !('id' in r));
      if (unclaimable) return unclaimable;
      const claimed = redemptions as Redemption[];
      const regions = [...new Set(claimed.map((r) => r.issuingRegionCode))];
      if (regions.length > 1)
        throw invalidInput(`redemptionIds: a claim goes to one issuing region, these come from ${regions.join(', ')}`);
      const claimant = (await this.organizations.get(payeeId))!;
      if ((await this.sanctions.inForceAmong([claimant.creditCode], clock.today())).size > 0) {
        return refused('SANCTIONED', `the claimant ${claimant.creditCode} is under a credit sanction and cannot claim subsidies`);
      }
      const now = clock.iso();
      const claim: Claim = {
        id: newId(),
        claimantId: payeeId,
        issuingRegionCode: regions[0],
        claimedFen: claimed.reduce((sum, r) => sum + r.capturedSubsidyFen!, 0),
        approvedFen: null,
        status: 'submitted',
        evidence: { ...cmd.evidence },
        redemptionIds: cmd.redemptionIds,
        reason: null,
        settlementId: null,
        reviewedBy: null,
        createdAt: now,
        decidedAt: null,
      };
      await this.claims.insert(claim);
      if ((await this.redemptions.markClaimed(cmd.redemptionIds, claim.id, payeeId, now)) !== cmd.redemptionIds.length) {
        throw new DomainError('DUPLICATE', 'a redemption of this claim was claimed concurrently');
      }
      this.uow.record({
        action: 'claim.submitted',
        entityType: 'claim',
        entityId: claim.id,
        regionCode: claim.issuingRegionCode,
        organizationId: payeeId,
        summary: {
          claimedFen: claim.claimedFen,
          redemptionIds: claim.redemptionIds,
          contractNo: claim.evidence.contractNo,
          invoiceNo: claim.evidence.invoiceNo,
        },
      });
      return ok(claim);
    });
  }

  /**
   * A requested redemption, captured, unclaimed and payable to the caller. One the caller is no party to does not
   * exist for it (404); one it is party to but not the payee of is 403; the rest are refusals.
   */
  private claimableBy(payeeId: string, id: string, r: Redemption | undefined): Redemption | Outcome<never> {
    if (!r || ![r.payeeId, r.enterpriseId, r.providerId].includes(payeeId)) throw notFound(`redemption ${id}`);
    if (r.payeeId !== payeeId) {
      throw forbidden(
        `redemption ${id} is paid to its ${r.mode === 'provider_redeemed' ? 'provider' : 'enterprise'}, who alone may claim it`,
      );
    }
    if (r.status !== 'captured')
      return refused('INVALID_STATE', `redemption ${id} is ${r.status}; only captured redemptions can be claimed`);
    if (r.claimId) return refused('DUPLICATE', `redemption ${id} is already in claim ${r.claimId}`);
    return r;
  }
}
