import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { invalidInput, notFound } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refused } from '../../common/use-case';
import { OrganizationsService } from '../../organizations/organizations.service';
import { PoliciesService } from '../../policies/policies.service';
import { ApplicationRepository } from '../application.repository';
import { applicationTransition } from '../application.states';
import { Voucher, VoucherApplication } from '../voucher.entity';
import { ApplicationChecks } from './application-checks';
import { VoucherIssuer } from './voucher-issuer';

export type DecideApplicationCommand = { actor: Actor; applicationId: string } & (
  { decision: 'approve'; amountFen?: number } | { decision: 'reject'; reason: string }
);

type Decided = { application: VoucherApplication; voucher: Voucher | null };

/** A reviewer of the issuing region approves a pending application (possibly for less; the rules are checked again now) or rejects it. */
@Injectable()
export class DecideApplication {
  static readonly refusals = [
    'NOT_FOUND',
    'FORBIDDEN',
    'VALIDATION_FAILED',
    'INVALID_STATE',
    'POLICY_NOT_FOUND',
    'SANCTIONED',
    'VOUCHER_CAP_EXCEEDED',
    'ANNUAL_CAP_EXCEEDED',
    'BUDGET_EXHAUSTED',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly applications: ApplicationRepository,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly checks: ApplicationChecks,
    private readonly issuer: VoucherIssuer,
  ) {}

  execute(cmd: DecideApplicationCommand): Promise<Outcome<Decided>> {
    return this.uow.run(async () => {
      const application = await this.applications.lock(cmd.applicationId);
      if (!application) throw notFound('application');
      assertBureauOf(cmd.actor, application.issuingRegionCode ?? '-', 'this application');
      const to = applicationTransition(application.status, cmd.decision);
      if (!to) return refused('INVALID_STATE', `the application is ${application.status}`);
      return cmd.decision === 'approve'
        ? this.approve(cmd.actor, application, cmd.amountFen)
        : this.reject(cmd.actor, application, cmd.reason);
    });
  }

  private async approve(actor: Actor, application: VoucherApplication, amountFen = application.amountFen): Promise<Outcome<Decided>> {
    if (amountFen > application.amountFen) throw invalidInput(`amountFen may not exceed the ${application.amountFen} fen requested`);
    const regionCode = application.issuingRegionCode!;
    const enterprise = await this.organizations.load(application.enterpriseId);
    const policy = await this.policies.inForce(regionCode, clock.today());
    const refusal = await this.checks.refusal(enterprise, regionCode, policy, amountFen);
    if (refusal) return refused(refusal.code, refusal.message);
    const decision = {
      status: 'approved' as const,
      approvedFen: amountFen,
      voucherId: newId(),
      policyId: policy!.id,
      reason: null,
      reviewedBy: actor.userId,
      decidedAt: clock.iso(),
    };
    if (!(await this.applications.decide(application.id, 'pending_review', decision)))
      return refused('INVALID_STATE', 'the application was decided concurrently');
    const decided = { ...application, ...decision };
    const voucher = await this.issuer.issue(decided, enterprise, policy!, amountFen);
    this.uow.record({
      action: 'application.approved',
      entityType: 'voucher_application',
      entityId: application.id,
      regionCode,
      organizationId: enterprise.id,
      summary: { approvedFen: amountFen, voucherId: voucher.id, automatic: false },
    });
    return ok({ application: decided, voucher });
  }

  private async reject(actor: Actor, application: VoucherApplication, reason: string): Promise<Outcome<Decided>> {
    const decision = {
      status: 'rejected' as const,
      approvedFen: null,
      voucherId: null,
      policyId: application.policyId,
      reason,
      reviewedBy: actor.userId,
      decidedAt: clock.iso(),
    };
    if (!(await this.applications.decide(application.id, 'pending_review', decision)))
      return refused('INVALID_STATE', 'the application was decided concurrently');
    this.uow.record({
      action: 'application.rejected',
      entityType: 'voucher_application',
      entityId: application.id,
      regionCode: application.issuingRegionCode,
      organizationId: application.enterpriseId,
      summary: { reason },
    });
    return ok({ application: { ...application, ...decision }, voucher: null });
  }
}
