import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { invalidInput, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refused } from '../../common/use-case';
import { LedgerService } from '../../ledger/ledger.service';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { Voucher } from '../../vouchers/voucher.entity';
import { Claim } from '../claim.entity';
import { ClaimRepository } from '../claim.repository';
import { allocateApproval } from '../claim.rules';
import { claimTransition } from '../claim.states';

export type DecideClaimCommand = { actor: Actor; claimId: string } & (
  { decision: 'approve'; approvedFen?: number } | { decision: 'reject'; reason: string }
);

/**
 * The issuing bureau approves a claim, possibly for less than claimed, or rejects it. Approval spreads the amount
 * over the redemptions in order; what a redemption does not get leaves its voucher's spent balance for the budget,
 * and the approved amount becomes a payable of the region to the claimant. Rejection moves no money; its
 * redemptions become claimable again.
 */
@Injectable()
export class DecideClaim {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly claims: ClaimRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly ledger: LedgerService,
  ) {}

  execute(cmd: DecideClaimCommand): Promise<Outcome<Claim>> {
    return this.uow.run(async () => {
      const claim = await this.claims.lock(cmd.claimId);
      if (!claim) throw notFound('claim');
      assertBureauOf(cmd.actor, claim.issuingRegionCode, 'claims of this region');
      if (!claimTransition(claim.status, cmd.decision)) return refused('INVALID_STATE', `the claim is already ${claim.status}`);
      return cmd.decision === 'approve' ? this.approve(cmd.actor, claim, cmd.approvedFen) : this.reject(cmd.actor, claim, cmd.reason);
    });
  }

  private async approve(actor: Actor, claim: Claim, approvedFen = claim.claimedFen): Promise<Outcome<Claim>> {
    if (approvedFen > claim.claimedFen) throw invalidInput(`approvedFen: may not exceed the ${claim.claimedFen} fen claimed`);
    const now = clock.iso();
    const decision = { status: 'approved' as const, approvedFen, reason: null, reviewedBy: actor.userId, decidedAt: now };
    if (!(await this.claims.decide(claim.id, 'submitted', decision))) return refused('INVALID_STATE', 'the claim was decided concurrently');

    const order = new Map(claim.redemptionIds.map((rid, i) => [rid, i]));
    const redemptions = (await this.redemptions.byClaim(claim.id)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const shares = allocateApproval(
      approvedFen,
      redemptions.map((r) => r.capturedSubsidyFen!),
    );
    // A redemption carries its voucher's issuing region and budget year: no need to read the vouchers.
    const reduced = new Map<string, number>();
    const reductions = new Map<string, { voucher: Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear'>; fen: number }>();
    for (const [i, r] of redemptions.entries()) {
      const reduction = r.capturedSubsidyFen! - shares[i];
      if (reduction === 0) continue;
      reduced.set(r.id, shares[i]);
      const voucher = { id: r.voucherId, issuingRegionCode: r.issuingRegionCode, budgetYear: r.budgetYear };
      reductions.set(r.voucherId, { voucher, fen: (reductions.get(r.voucherId)?.fen ?? 0) + reduction });
    }
    await this.redemptions.setApproved(claim.id, reduced, now);
    for (const { voucher, fen } of reductions.values()) await this.ledger.reduceSpent(voucher, fen, claim.id);
    await this.ledger.recordPayable(claim.issuingRegionCode, claim.claimantId, approvedFen, claim.id);
    this.uow.record({
      action: 'claim.approved',
      entityType: 'claim',
      entityId: claim.id,
      regionCode: claim.issuingRegionCode,
      organizationId: claim.claimantId,
      summary: { claimedFen: claim.claimedFen, approvedFen, returnedToBudgetFen: claim.claimedFen - approvedFen },
    });
    return ok({ ...claim, ...decision });
  }

  private async reject(actor: Actor, claim: Claim, reason: string): Promise<Outcome<Claim>> {
    const now = clock.iso();
    const decision = { status: 'rejected' as const, approvedFen: null, reason, reviewedBy: actor.userId, decidedAt: now };
    if (!(await this.claims.decide(claim.id, 'submitted', decision))) return refused('INVALID_STATE', 'the claim was decided concurrently');
    await this.redemptions.unmarkClaimed(claim.id, now);
    this.uow.record({
      action: 'claim.rejected',
      entityType: 'claim',
      entityId: claim.id,
      regionCode: claim.issuingRegionCode,
      organizationId: claim.claimantId,
      summary: { claimedFen: claim.claimedFen, reason },
    });
    return ok({ ...claim, ...decision });
  }
}
