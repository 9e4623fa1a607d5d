import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { catalogued } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { SanctionRepository } from '../../oversight/sanction.repository';
import { Redemption } from '../../redemptions/redemption.entity';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { UsageRecord } from '../../redemptions/use-cases/usage';
import { Claim, ClaimEvidence } from '../claim.entity';
import { ClaimRepository, InvoiceHolder } from '../claim.repository';
import { invoiceKey } from '../claim.rules';

export interface SubmitClaimCommand {
  actor: Actor;
  redemptionIds: string[];
  evidence: ClaimEvidence;
}

/**
 * The payee claims captured redemptions whose usage the enterprise confirmed (or let be confirmed by silence) from
 * their issuing bureau, on an invoice it has not claimed before. No money moves at submission. The redemptions are
 * locked before they are checked, so of two claims racing for one the second sees it claimed; the guarded update
 * that marks them is the last line of defence (a Galera node that missed the other's lock fails certification and
 * the unit runs again). The unique key on (claimant, invoice) decides between two claims of one claimant racing on one
 * invoice, ClaimedInvoice's between two claimants (a lab and an enterprise) on one invoice of the lab.
 */
@Injectable()
export class SubmitClaim {
  static readonly refusals = [
    'VALIDATION_FAILED',
    'NOT_FOUND',
    'FORBIDDEN',
    'INVALID_STATE',
    'DUPLICATE',
    'SANCTIONED',
    'USAGE_NOT_CONFIRMED',
    'USAGE_DISPUTED',
    'NOTHING_TO_CLAIM',
    'DUPLICATE_INVOICE',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly claims: ClaimRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly organizations: OrganizationRepository,
    private readonly sanctions: SanctionRepository,
    private readonly usage: UsageRecord,
  ) {}

  execute(cmd: SubmitClaimCommand): Promise<Outcome<Claim>> {
    return this.uow.run(async () => {
      const payeeId = cmd.actor.organizationId!;
      const found = new Map((await this.redemptions.lockMany(cmd.redemptionIds)).map((r) => [r.id, r]));
      const redemptions: (Redemption | Outcome<never>)[] = [];
      for (const id of cmd.redemptionIds) redemptions.push(await this.claimableBy(payeeId, id, found.get(id)));
      const unclaimable = redemptions.find((r): r is Exclude<typeof r, Redemption> => !('id' in r));
      if (unclaimable) return unclaimable;
      const claimed = redemptions as Redemption[];
      const claimedFen = claimed.reduce((sum, r) => sum + r.capturedSubsidyFen!, 0);
      if (claimedFen === 0) return refusedBy(catalogued('NOTHING_TO_CLAIM', 'claims.nothingToClaim'));
      const regions = [...new Set(claimed.map((r) => r.issuingRegionCode))];
      if (regions.length > 1) throw catalogued('VALIDATION_FAILED', 'claims.oneRegion', { regions: regions.join(', ') });
      // After its redemptions, the claimant's row under a shared lock before it and the sanction list are read: a
      // sanction binding it in flight (lockBoundBy) is waited for and read, and none commits before this claim does.
      const claimant = (await this.organizations.share(payeeId))!;
      if ((await this.sanctions.boundAmong([claimant], clock.today())).size > 0) {
        return refusedBy(catalogued('SANCTIONED', 'claims.claimantSanctioned', { creditCode: claimant.creditCode }));
      }
      const key = invoiceKey(cmd.evidence.invoiceNo);
      const earlier = await this.claims.invoiceClaimed(payeeId, key);
      if (earlier) return duplicateInvoice(cmd.evidence.invoiceNo, earlier);
      const now = clock.iso();
      const claim: Claim = {
        id: newId(),
        claimantId: payeeId,
        issuingRegionCode: regions[0],
        claimedFen,
        approvedFen: null,
        status: 'submitted',
        evidence: { ...cmd.evidence },
        redemptionIds: cmd.redemptionIds,
        reason: null,
        settlementId: null,
        reviewedBy: null,
        createdAt: now,
        decidedAt: null,
        invoiceKey: key,
        firstApprovedBy: null,
        firstApprovedFen: null,
        firstApprovedKey: null,
        firstApprovedSession: null,
        finalRejection: false,
      };
      if (!(await this.claims.insert(claim)))
        return refusedBy(catalogued('DUPLICATE_INVOICE', 'claims.duplicateInvoiceMeanwhile', { invoiceNo: cmd.evidence.invoiceNo }));
      // under the labs that issued it: another claimant's claim on it (the lab's, or an enterprise's) is not named here
      const issuers = [...new Set(claimed.map((r) => r.providerId))];
      if (!(await this.claims.takeInvoice(claim.id, issuers, key)))
        throw catalogued('DUPLICATE_INVOICE', 'claims.duplicateInvoiceOfIssuer', { invoiceNo: cmd.evidence.invoiceNo });
      if ((await this.redemptions.markClaimed(cmd.redemptionIds, claim.id, payeeId, now)) !== cmd.redemptionIds.length) {
        throw catalogued('DUPLICATE', 'claims.claimedMeanwhile');
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

  /** The claim a redemption stays bound to, when the issuing bureau rejected it for good. */
  private async finallyRejected(claimId: string): Promise<string | undefined> {
    const claim = await this.claims.get(claimId);
    return claim?.status === 'rejected' && claim.finalRejection ? claim.id : undefined;
  }

  /**
   * A requested redemption, captured, unclaimed, its usage confirmed and payable to the caller. One the caller is no
   * party to does not exist for it (404); one it is party to but not the payee of is 403; one in a claim the issuing bureau
   * rejected for good can never be claimed again (409 INVALID_STATE, saying so in the caller's language); the rest are
   * refusals.
   * Usage whose window closed is confirmed by silence in passing.
   */
  private async claimableBy(payeeId: string, id: string, found: Redemption | undefined): Promise<Redemption | Outcome<never>> {
    const r = found && (await this.usage.settleSilence(found));
    if (!r || ![r.payeeId, r.enterpriseId, r.providerId].includes(payeeId))
      throw catalogued('NOT_FOUND', 'claims.redemptionNotFound', { redemptionId: id });
    if (r.payeeId !== payeeId) {
      throw r.mode === 'provider_redeemed'
        ? catalogued('FORBIDDEN', 'claims.payeeProvider', { redemptionId: id })
        : catalogued('FORBIDDEN', 'claims.payeeEnterprise', { redemptionId: id });
    }
    const finalClaim = r.claimId ? await this.finallyRejected(r.claimId) : undefined;
    if (finalClaim) return claimedForGood(id, finalClaim);
    if (r.status !== 'captured')
      return refusedBy(catalogued('INVALID_STATE', 'claims.notCaptured', { redemptionId: id, status: r.status }));
    if (r.claimId) return refusedBy(catalogued('DUPLICATE', 'claims.duplicate', { redemptionId: id, claimId: r.claimId }));
    // In 通用 the claimant is the enterprise that confirms or disputes: it is told what is its own to do, not to wait for itself.
    const own = r.mode === 'enterprise_reimbursed';
    if (r.usage === 'disputed') {
      const params = { redemptionId: id };
      return refusedBy(
        own
          ? catalogued('USAGE_DISPUTED', 'claims.usageDisputedOwn', params)
          : catalogued('USAGE_DISPUTED', 'claims.usageDisputed', params),
      );
    }
    if (r.usage !== 'confirmed') {
      const params = { redemptionId: id, dueAt: r.usageDueAt! };
      return refusedBy(
        own
          ? catalogued('USAGE_NOT_CONFIRMED', 'claims.usageNotConfirmedOwn', params)
          : catalogued('USAGE_NOT_CONFIRMED', 'claims.usageNotConfirmed', params),
      );
    }
    return r;
  }
}

/** The earlier claim named so that its claimant knows it: when it was submitted and for how much, and its id. */
const duplicateInvoice = (invoiceNo: string, earlier: InvoiceHolder) => {
  const params = { invoiceNo, claimId: earlier.id, submittedAt: earlier.createdAt, fen: earlier.claimedFen };
  return refusedBy(
    earlier.finalRejection
      ? catalogued('DUPLICATE_INVOICE', 'claims.invoiceRejectedForGood', params)
      : catalogued('DUPLICATE_INVOICE', 'claims.duplicateInvoice', params),
  );
};

/** A redemption whose claim was rejected for good (终局驳回): the rule, named in the caller's language. */
const claimedForGood = (redemptionId: string, claimId: string) =>
  refusedBy(catalogued('INVALID_STATE', 'claims.finallyRejected', { redemptionId, claimId }));
