import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../../api-keys/api-key.repository';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor, personOf } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { LedgerService } from '../../ledger/ledger.service';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { organizationActive } from '../../organizations/organization.time-rules';
import { SanctionRepository } from '../../oversight/sanction.repository';
import { PoliciesService } from '../../policies/policies.service';
import { strictestDualControlFen } from '../../policies/policy.rules';
import { Redemption } from '../../redemptions/redemption.entity';
import { redemptionEntry } from '../../redemptions/redemption.entry';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { facilityUsageChanges, facilityUsageOf, flowChanges } from '../../redemptions/redemption.rules';
import { HoldRelease, ReturnedTo } from '../../vouchers/use-cases/hold-release';
import { needsSecondApproval } from '../../vouchers/voucher.rules';
import { Claim } from '../claim.entity';
import { ClaimRepository } from '../claim.repository';
import { givenBackByVoucher } from '../claim.rules';
import { claimTransition } from '../claim.states';
import { assertStillActs } from '../../api-keys/still-acts';

export type DecideClaimCommand = { actor: Actor; claimId: string } & (
  { decision: 'approve'; approvedFen?: number; reason?: string } | { decision: 'reject'; reason: string; final?: boolean }
);

/**
 * The issuing bureau approves a claim, possibly for less than claimed, or rejects it. The payee is screened again at
 * approval: a sanction or suspension since submission holds the claim back. Maker-checker (双人复核): at or above the
 * dualControlFen of the policy in force today or of one pinned on the claim's vouchers, whichever is lower (and on),
 * the first approval only marks the claim, and a second, different bureau user completes it.
 * Approval spreads the amount over the redemptions in order; what a redemption does not get leaves its voucher's
 * spent balance for the budget and no longer counts against the enterprise's annual grant (as what expiry, revocation
 * or a dispute's resolution gives back), and the approved amount becomes a payable of the region to the claimant.
 * Rejection moves no money; its redemptions become claimable again and its invoice may be claimed again. A rejection
 * for good (`final`, 终局驳回) annuls its redemptions instead, which no claim can take again, and returns their captured
 * subsidy as a dispute resolved at zero does: to the voucher while it is open (active again if it was exhausted), to
 * the budget and the annual grant once it expired or was revoked. The claim's row lock and the guarded decision let
 * exactly one of two racing decisions through; the money moves in the same transaction as the decision.
 */
/** Another decision of the claim committed between its read and this one's guarded update. */
const decidedMeanwhile = () => refusedBy(catalogued('INVALID_STATE', 'claims.decidedMeanwhile'));

@Injectable()
export class DecideClaim {
  static readonly refusals = [
    'VALIDATION_FAILED',
    'NOT_FOUND',
    'FORBIDDEN',
    'DUAL_CONTROL_REQUIRED',
    'INVALID_STATE',
    'SANCTIONED',
    'PROVIDER_NOT_ACTIVE',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly people: ApiKeyRepository,
    private readonly claims: ClaimRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly organizations: OrganizationRepository,
    private readonly sanctions: SanctionRepository,
    private readonly policies: PoliciesService,
    private readonly ledger: LedgerService,
    private readonly release: HoldRelease,
  ) {}

  execute(cmd: DecideClaimCommand): Promise<Outcome<Claim>> {
    return this.uow.run(async () => {
      // An approver disabled (or reset) while this request ran approves nothing: read under a shared lock before the
      // record's, so a disabling that withdraws their first approvals comes wholly before or after this one.
      if (cmd.decision === 'approve') await assertStillActs(this.people, cmd.actor);
      const claim = await this.claims.lock(cmd.claimId);
      if (!claim) throw notFound('claim');
      assertBureauOf(cmd.actor, claim.issuingRegionCode, 'claims of this region');
      if (cmd.decision === 'reject') {
        if (!claimTransition(claim.status, 'reject'))
          return refusedBy(catalogued('INVALID_STATE', 'claims.decided', { status: claim.status }));
        return this.reject(cmd.actor, claim, cmd.reason, cmd.final === true);
      }
      if (!claimTransition(claim.status, claim.status === 'awaiting_second_approval' ? 'approve_second' : 'approve')) {
        return refusedBy(catalogued('INVALID_STATE', 'claims.decided', { status: claim.status }));
      }
      return this.approve(cmd.actor, claim, cmd.approvedFen, cmd.reason);
    });
  }

  private async approve(actor: Actor, claim: Claim, requestedFen: number | undefined, cutReason?: string): Promise<Outcome<Claim>> {
    const second = claim.status === 'awaiting_second_approval';
    if (second && claim.firstApprovedBy === personOf(actor)) {
      throw catalogued('DUAL_CONTROL_REQUIRED', 'approvals.secondApprover');
    }
    if (second && requestedFen !== undefined && requestedFen !== claim.firstApprovedFen) {
      throw catalogued('VALIDATION_FAILED', 'approvals.confirmsFirst', { field: 'approvedFen', firstFen: claim.firstApprovedFen! });
    }
    const approvedFen = second ? claim.firstApprovedFen! : (requestedFen ?? claim.claimedFen);
    if (approvedFen > claim.claimedFen)
      throw catalogued('VALIDATION_FAILED', 'claims.approvedOverClaimed', { claimedFen: claim.claimedFen });
    // A cut's reason tells the payee why it is paid less; on a full approval there is nothing to explain.
    if (cutReason !== undefined && approvedFen === claim.claimedFen) throw catalogued('VALIDATION_FAILED', 'claims.reasonWithoutCut');
    // The second approver confirms the first's amount, and its reason unless giving its own.
    const reason = cutReason ?? (second ? claim.reason : null);
    const screening = await this.screen(claim);
    if (screening) return screening;
    const order = new Map(claim.redemptionIds.map((rid, i) => [rid, i]));
    const redemptions = (await this.redemptions.byClaim(claim.id)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    if (!second && needsSecondApproval({ dualControlFen: await this.dualControlFen(claim, redemptions) }, approvedFen))
      return this.markFirstApproval(actor, claim, approvedFen, reason);

    const now = clock.iso();
    const decision = {
      status: 'approved' as const,
      approvedFen,
      reason,
      reviewedBy: actor.userId,
      decidedAt: now,
      firstApprovedBy: claim.firstApprovedBy,
      firstApprovedFen: claim.firstApprovedFen,
      firstApprovedKey: claim.firstApprovedKey,
      firstApprovedSession: claim.firstApprovedSession,
    };
    if (!(await this.claims.decide(claim.id, claim.status, decision))) return decidedMeanwhile();

    const { byVoucher, reducedShares } = givenBackByVoucher(approvedFen, redemptions.map(share));
    // What the approval cuts goes back to the budget and the annual grants: all the claim's vouchers, grant rows and
    // budget are locked first (HoldRelease.cutByApproval), then the redemptions (the order every unit locks them in).
    await this.release.cutByApproval(byVoucher, claim.id);
    await this.redemptions.setApproved(claim.id, reducedShares, now);
    // The flows' summary counts what the labs keep: a cut went back to the budget and flowed nowhere (after the
    // redemptions, in the order every unit locks them; each flow row once).
    const cuts = redemptions
      .filter((r) => reducedShares.has(r.id))
      .map((r) => ({ ...r, fen: r.capturedSubsidyFen! - reducedShares.get(r.id)! }));
    for (const flow of flowChanges(cuts)) await this.redemptions.addCapturedFlow(flow, 0, -flow.fen);
    // And each facility's usage keeps the subsidy net of the cut (after the flow rows, as every unit takes them).
    // a cut counts no redemption in or out
    const facilityCuts = cuts.map((r) => facilityUsageOf(r, 1, { quantity: 0, feeFen: 0, subsidyFen: -r.fen }, 0));
    for (const u of facilityUsageChanges(facilityCuts)) await this.redemptions.addFacilityUsage(u);
    await this.ledger.recordPayable(claim.issuingRegionCode, claim.claimantId, approvedFen, claim.id);
    this.uow.record({
      action: 'claim.approved',
      entityType: 'claim',
      entityId: claim.id,
      regionCode: claim.issuingRegionCode,
      organizationId: claim.claimantId,
      summary: {
        claimedFen: claim.claimedFen,
        approvedFen,
        returnedToBudgetFen: claim.claimedFen - approvedFen,
        ...(reason ? { reason } : {}),
        ...(second ? { firstApprovedBy: claim.firstApprovedBy } : {}),
      },
    });
    // Each redemption the cut reached is told apart, to its enterprise too: its voucher's spent balance went down.
    for (const r of redemptions.filter((x) => reducedShares.has(x.id))) {
      const approved = reducedShares.get(r.id)!;
      this.uow.record(
        redemptionEntry(r, 'redemption.reduced', {
          claimId: claim.id,
          capturedFen: r.capturedSubsidyFen,
          approvedFen: approved,
          returnedFen: r.capturedSubsidyFen! - approved,
          returnedTo: 'budget',
        }),
      );
    }
    return ok({ ...claim, ...decision, invoiceKey: claim.invoiceKey });
  }

  /** The payee must still be clear: not suspended, no sanction in force. */
  private async screen(claim: Claim): Promise<Outcome<never> | null> {
    // After the claim's row, the payee's under a shared lock before it and the sanction list are read: a suspension or a
    // sanction in flight is waited for and read, and none commits before this approval does. Read plainly, 1 of 24
    // approvals committed after the payee's suspension (test/e2e/suspension-race-flows.e2e-spec.ts, MariaDB).
    const payee = (await this.organizations.share(claim.claimantId))!;
    if ((await this.sanctions.boundAmong([payee], clock.today())).size > 0) {
      return refusedBy(catalogued('SANCTIONED', 'claims.payeeSanctioned', { creditCode: payee.creditCode }));
    }
    if (!organizationActive.holds(payee, clock.iso())) {
      return refusedBy(catalogued('PROVIDER_NOT_ACTIVE', 'claims.payeeNotActive', { status: payee.status }));
    }
    return null;
  }

  /**
   * The dualControlFen the claim answers to: the strictest (the lowest positive one) of the region's version in force
   * today and the versions pinned on the claim's vouchers (a redemption is priced under, and carries, its voucher's
   * policyId). Today's alone would let one bureau user switch dual control off by publishing a version without it and
   * then approving a claim that needed two.
   */
  private async dualControlFen(claim: Claim, redemptions: Redemption[]): Promise<number> {
    const today = await this.policies.inForce(claim.issuingRegionCode, clock.today());
    const versions = today ? [today.terms] : [];
    for (const id of new Set(redemptions.map((r) => r.policyId))) versions.push((await this.policies.load(id)).terms);
    return strictestDualControlFen(versions);
  }

  /** The first of two approvals: recorded, no money moves yet. */
  private async markFirstApproval(actor: Actor, claim: Claim, approvedFen: number, reason: string | null): Promise<Outcome<Claim>> {
    const marked = {
      status: 'awaiting_second_approval' as const,
      approvedFen: null,
      reason,
      reviewedBy: null,
      decidedAt: null,
      firstApprovedBy: personOf(actor),
      firstApprovedFen: approvedFen,
      // Whose key gave it, too: the person alone would keep it counting after a leaked key is revoked.
      firstApprovedKey: actor.apiKey?.id ?? null,
      // and the session: a password change from another withdraws it (whoever held this one may have given it).
      firstApprovedSession: actor.apiKey ? null : actor.sessionId,
    };
    if (!(await this.claims.decide(claim.id, 'submitted', marked))) return decidedMeanwhile();
    this.uow.record({
      action: 'claim.first_approval',
      entityType: 'claim',
      entityId: claim.id,
      regionCode: claim.issuingRegionCode,
      organizationId: claim.claimantId,
      summary: { approvedFen, ...(reason ? { reason } : {}) },
    });
    return ok({ ...claim, ...marked });
  }

  private async reject(actor: Actor, claim: Claim, reason: string, final: boolean): Promise<Outcome<Claim>> {
    const now = clock.iso();
    const decision = {
      status: 'rejected' as const,
      approvedFen: null,
      reason,
      reviewedBy: actor.userId,
      decidedAt: now,
      firstApprovedBy: claim.firstApprovedBy,
      firstApprovedFen: claim.firstApprovedFen,
      firstApprovedKey: claim.firstApprovedKey,
      firstApprovedSession: claim.firstApprovedSession,
      finalRejection: final,
    };
    if (!(await this.claims.decide(claim.id, claim.status, decision))) return decidedMeanwhile();
    const annulled = final ? await this.annul(claim, now) : [];
    if (!final) await this.redemptions.unmarkClaimed(claim.id, now);
    const returned = final
      ? {
          returnedFen: annulled.reduce((sum, a) => sum + a.fen, 0),
          returned: Object.fromEntries(annulled.map((a) => [a.redemption.id, a.fen])),
        }
      : {};
    this.uow.record({
      action: 'claim.rejected',
      entityType: 'claim',
      entityId: claim.id,
      regionCode: claim.issuingRegionCode,
      organizationId: claim.claimantId,
      summary: { claimedFen: claim.claimedFen, reason, final, ...returned },
    });
    // Each annulled redemption is an event of its own, to its enterprise too: its subsidy went back to its voucher (or, once
    // the voucher closed, to the budget).
    for (const a of annulled) {
      this.uow.record(
        redemptionEntry(a.redemption, 'redemption.annulled', {
          claimId: claim.id,
          status: 'cancelled',
          returnedFen: a.fen,
          returnedTo: a.to,
        }),
      );
    }
    return ok({ ...claim, ...decision, invoiceKey: final ? claim.invoiceKey : null });
  }

  /**
   * A rejection for good: every redemption of the claim is annulled and stays bound to it, and what it captured goes
   * back through the ledger movement of a dispute resolved at zero (HoldRelease.uncaptureAll, which locks all the
   * vouchers, grant rows and budgets concerned before it moves any money). Returns what went back, and where, per redemption.
   */
  private async annul(claim: Claim, now: string): Promise<{ redemption: Redemption; fen: number; to: ReturnedTo }[]> {
    const redemptions = (await this.redemptions.byClaim(claim.id)).sort((a, b) =>
      a.voucherId === b.voucherId ? (a.id < b.id ? -1 : 1) : a.voucherId < b.voucherId ? -1 : 1,
    );
    const back = redemptions.map((r) => ({ redemption: r, fen: r.capturedSubsidyFen! }));
    const to = await this.release.uncaptureAll(back, 'claim.final_rejection');
    // Vouchers, grants and budgets first, then the redemptions, then the flow rows (the order every unit locks them
    // in); a redemption that is no longer captured undoes the whole decision.
    if ((await this.claims.annulRedemptions(claim.id, now)) !== redemptions.length) {
      throw catalogued('INVALID_STATE', 'claims.redemptionNoLongerCaptured');
    }
    // The flows' summary follows the captures, gone as when a dispute's resolution annuls one: each flow's row once.
    for (const flow of flowChanges(redemptions.map((r) => ({ ...r, fen: r.capturedSubsidyFen! })))) {
      await this.redemptions.addCapturedFlow(flow, -flow.redemptions, -flow.fen);
    }
    const annulled = redemptions.map((r) =>
      facilityUsageOf(r, -1, {
        quantity: r.capturedQuantity!,
        feeFen: r.capturedFeeFen!,
        subsidyFen: r.approvedFen ?? r.capturedSubsidyFen!,
      }),
    );
    for (const u of facilityUsageChanges(annulled)) await this.redemptions.addFacilityUsage(u);
    return back.map((b, i) => ({ ...b, to: to[i] }));
  }
}

const share = (r: Redemption) => ({ id: r.id, voucherId: r.voucherId, capturedFen: r.capturedSubsidyFen! });
