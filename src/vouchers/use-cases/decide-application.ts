import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../../api-keys/api-key.repository';
import { assertBureauOf } from '../../common/auth/scope';
import { beijingDate, clock } from '../../common/clock';
import { Actor, personOf } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refused, refusedBy } from '../../common/use-case';
import { OrganizationsService } from '../../organizations/organizations.service';
import { PoliciesService } from '../../policies/policies.service';
import type { Policy } from '../../policies/policy.entity';
import { strictestDualControlFen } from '../../policies/policy.rules';
import { ApplicationRepository } from '../application.repository';
import { applicationTransition } from '../application.states';
import { Voucher, VoucherApplication } from '../voucher.entity';
import { applicationEntry } from '../application.entry';
import { applicationReason, needsSecondApproval } from '../voucher.rules';
import { ApplicationChecks } from './application-checks';
import { VoucherIssuer } from './voucher-issuer';
import { assertStillActs } from '../../api-keys/still-acts';

export type DecideApplicationCommand = { actor: Actor; applicationId: string } & (
  { decision: 'approve'; amountFen?: number } | { decision: 'reject'; reason: string }
);

type Decided = { application: VoucherApplication; voucher: Voucher | null };

/**
 * A reviewer of the issuing region approves a pending application (possibly for less; the rules are checked again
 * now) or rejects it. Maker-checker (双人复核): at or above the dualControlFen of the policy in force now or of the one
 * in force when it was submitted, whichever is lower (and on), the first approval only marks the application, and a
 * second, different bureau user completes it.
 */
@Injectable()
export class DecideApplication {
  static readonly refusals = [
    'NOT_FOUND',
    'FORBIDDEN',
    'DUAL_CONTROL_REQUIRED',
    'VALIDATION_FAILED',
    'INVALID_STATE',
    'ENTERPRISE_NOT_VERIFIED',
    'POLICY_NOT_FOUND',
    'SANCTIONED',
    'VOUCHER_CAP_EXCEEDED',
    'ANNUAL_CAP_EXCEEDED',
    'BUDGET_EXHAUSTED',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly people: ApiKeyRepository,
    private readonly applications: ApplicationRepository,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly checks: ApplicationChecks,
    private readonly issuer: VoucherIssuer,
  ) {}

  execute(cmd: DecideApplicationCommand): Promise<Outcome<Decided>> {
    return this.uow.run(async () => {
      // An approver disabled (or reset) while this request ran approves nothing: read under a shared lock before the
      // record's, so a disabling that withdraws their first approvals comes wholly before or after this one.
      if (cmd.decision === 'approve') await assertStillActs(this.people, cmd.actor);
      const application = await this.applications.lock(cmd.applicationId);
      if (!application) throw notFound('application');
      assertBureauOf(cmd.actor, application.issuingRegionCode ?? '-', 'this application');
      if (cmd.decision === 'reject') return this.reject(cmd.actor, application, cmd.reason);
      if (!applicationTransition(application.status, application.status === 'awaiting_second_approval' ? 'approve_second' : 'approve')) {
        return refusedBy(catalogued('INVALID_STATE', 'applications.decided', { status: application.status }));
      }
      return this.approve(cmd.actor, application, cmd.amountFen);
    });
  }

  private async approve(actor: Actor, application: VoucherApplication, requestedFen: number | undefined): Promise<Outcome<Decided>> {
    const second = application.status === 'awaiting_second_approval';
    if (second && application.firstApprovedBy === personOf(actor)) {
      throw catalogued('DUAL_CONTROL_REQUIRED', 'approvals.secondApprover');
    }
    if (second && requestedFen !== undefined && requestedFen !== application.firstApprovedFen) {
      throw catalogued('VALIDATION_FAILED', 'approvals.confirmsFirst', { field: 'amountFen', firstFen: application.firstApprovedFen! });
    }
    const amountFen = second ? application.firstApprovedFen! : (requestedFen ?? application.amountFen);
    if (amountFen > application.amountFen)
      throw catalogued('VALIDATION_FAILED', 'applications.approvedOverRequested', { requestedFen: application.amountFen });
    const regionCode = application.issuingRegionCode!;
    // One reading of the clock: the policy, the year checked and the voucher's agree at Beijing's midnight.
    const now = clock.iso();
    const enterprise = await this.organizations.loadShared(application.enterpriseId, now);
    const policy = await this.policies.inForce(regionCode, beijingDate(now));
    const { refusal } = await this.checks.check(enterprise, regionCode, policy, amountFen, now);
    if (refusal) {
      // told in the caller's language as the application's own reason is: from its code and the figures of its text
      const reason = { reasonCode: refusal.code, reason: refusal.message };
      return { ...refused(refusal.code, refusal.message), localized: (lng) => applicationReason(reason, lng)! };
    }
    if (!second && needsSecondApproval({ dualControlFen: await this.dualControlFen(application, policy!) }, amountFen))
      return this.markFirstApproval(actor, application, amountFen);

    const decision = {
      status: 'approved' as const,
      approvedFen: amountFen,
      voucherId: newId(),
      policyId: policy!.id,
      reason: null,
      reviewedBy: actor.userId,
      decidedAt: now,
      firstApprovedBy: application.firstApprovedBy,
      firstApprovedFen: application.firstApprovedFen,
      firstApprovedKey: application.firstApprovedKey,
      firstApprovedSession: application.firstApprovedSession,
    };
    if (!(await this.applications.decide(application.id, application.status, decision))) {
      return refusedBy(catalogued('INVALID_STATE', 'applications.decidedMeanwhile'));
    }
    const decided = { ...application, ...decision };
    const voucher = await this.issuer.issue(decided, enterprise, policy!, amountFen, now);
    this.uow.record(
      applicationEntry(application, 'application.approved', {
        approvedFen: amountFen,
        voucherId: voucher.id,
        automatic: false,
        ...(second ? { firstApprovedBy: application.firstApprovedBy } : {}),
      }),
    );
    return ok({ application: decided, voucher });
  }

  /**
   * The dualControlFen the application answers to: the strictest (the lowest positive one) of the version in force now
   * and the one in force when it was submitted (its policyId). Today's alone would let one bureau user switch dual
   * control off by publishing a version without it and then approving an application that needed two.
   */
  private async dualControlFen(application: VoucherApplication, inForce: Policy): Promise<number> {
    const versions = [inForce.terms];
    if (application.policyId) versions.push((await this.policies.load(application.policyId)).terms);
    return strictestDualControlFen(versions);
  }

  /** The first of two approvals: recorded, no voucher yet. */
  private async markFirstApproval(actor: Actor, application: VoucherApplication, amountFen: number): Promise<Outcome<Decided>> {
    const marked = {
      status: 'awaiting_second_approval' as const,
      approvedFen: null,
      voucherId: null,
      policyId: application.policyId,
      reason: null,
      reviewedBy: null,
      decidedAt: null,
      firstApprovedBy: personOf(actor),
      firstApprovedFen: amountFen,
      // Whose key gave it, too: the person alone would keep it counting after a leaked key is revoked.
      firstApprovedKey: actor.apiKey?.id ?? null,
      // and the session: a password change from another withdraws it (whoever held this one may have given it).
      firstApprovedSession: actor.apiKey ? null : actor.sessionId,
    };
    if (!(await this.applications.decide(application.id, 'pending_review', marked))) {
      return refusedBy(catalogued('INVALID_STATE', 'applications.decidedMeanwhile'));
    }
    this.uow.record(applicationEntry(application, 'application.first_approval', { amountFen }));
    return ok({ application: { ...application, ...marked }, voucher: null });
  }

  private async reject(actor: Actor, application: VoucherApplication, reason: string): Promise<Outcome<Decided>> {
    if (!applicationTransition(application.status, 'reject'))
      return refusedBy(catalogued('INVALID_STATE', 'applications.decided', { status: application.status }));
    const decision = {
      status: 'rejected' as const,
      approvedFen: null,
      voucherId: null,
      policyId: application.policyId,
      reason,
      reviewedBy: actor.userId,
      decidedAt: clock.iso(),
      firstApprovedBy: application.firstApprovedBy,
      firstApprovedFen: application.firstApprovedFen,
      firstApprovedKey: application.firstApprovedKey,
      firstApprovedSession: application.firstApprovedSession,
    };
    if (!(await this.applications.decide(application.id, application.status, decision))) {
      return refusedBy(catalogued('INVALID_STATE', 'applications.decidedMeanwhile'));
    }
    this.uow.record(applicationEntry(application, 'application.rejected', { reason, automatic: false }));
    return ok({ application: { ...application, ...decision }, voucher: null });
  }
}
