import { Inject, Injectable } from '@nestjs/common';
import { admitSliding, windowUse } from '../../auth/throttle.rules';
import { ThrottleRepository } from '../../auth/throttle.repository';
import { beijingDate, beijingYear, clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { catalogued, Refusal } from '../../common/errors/domain-error';
import { appConfig, AppConfig } from '../../config/configuration';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome } from '../../common/use-case';
import { Organization } from '../../organizations/organization.entity';
import { OrganizationsService } from '../../organizations/organizations.service';
import { PoliciesService } from '../../policies/policies.service';
import { Policy } from '../../policies/policy.entity';
import { ApplicationRepository } from '../application.repository';
import { Voucher, VoucherApplication } from '../voucher.entity';
import { approvesAtOnce } from '../voucher.rules';
import { ApplicationChecks } from './application-checks';
import { applicationEntry } from '../application.entry';
import { VoucherIssuer } from './voucher-issuer';

export interface ApplyForVoucherCommand {
  actor: Actor;
  amountFen: number;
  purpose: string;
}

const DAY_SEC = 24 * 3600;

/**
 * An enterprise applies to its home region. A rule it breaks is recorded and answered as a rejected application
 * (201); small amounts are approved and the voucher issued in the same unit of work; the rest waits for review.
 */
@Injectable()
export class ApplyForVoucher {
  static readonly refusals = ['NOT_FOUND', 'RATE_LIMITED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly applications: ApplicationRepository,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly checks: ApplicationChecks,
    private readonly issuer: VoucherIssuer,
    private readonly throttles: ThrottleRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  execute(cmd: ApplyForVoucherCommand): Promise<Outcome<{ application: VoucherApplication; voucher: Voucher | null }>> {
    return this.uow.run(async () => {
      // One reading of the clock for the whole unit: the policy, the year checked, the application's and the voucher's.
      const now = clock.iso();
      const enterprise = await this.organizations.loadShared(cmd.actor.organizationId!, now);
      const { regionCode, policy } = await this.policies.applicable(enterprise.regionCode, beijingDate(now));
      const { refusal, grantedFen } = await this.checks.check(enterprise, regionCode, policy, cmd.amountFen, now);
      if (refusal) await this.countRefusal(enterprise.id, now);
      const approveAtOnce = !refusal && approvesAtOnce(policy!.terms, grantedFen, cmd.amountFen);
      const application = this.draft(enterprise, regionCode, policy, cmd, refusal, approveAtOnce, now);
      await this.applications.insert(application);
      // Submitted before anything else of it, so that its events follow the application's life in order.
      this.uow.record(
        applicationEntry(application, 'application.submitted', {
          amountFen: cmd.amountFen,
          status: application.status,
          reasonCode: application.reasonCode,
        }),
      );
      // A rule's refusal is a decision too, taken by the rules at once: subscribers to application.decided hear of it.
      if (refusal) {
        this.uow.record(
          applicationEntry(application, 'application.rejected', {
            reason: application.reason,
            reasonCode: application.reasonCode,
            automatic: true,
          }),
        );
      }
      const voucher = approveAtOnce ? await this.issuer.issue(application, enterprise, policy!, cmd.amountFen, now) : null;
      if (voucher) {
        this.uow.record(
          applicationEntry(application, 'application.approved', { approvedFen: cmd.amountFen, voucherId: voucher.id, automatic: true }),
        );
      }
      return ok({ application, voucher });
    });
  }

  /**
   * Counts an application refused at once against the enterprise's last 24 hours (the instants on its throttle row,
   * locked: counts from several nodes add up). Past REFUSED_APPLICATIONS_PER_DAY the unit ends in 429 and records nothing.
   */
  private async countRefusal(enterpriseId: string, now: string): Promise<void> {
    const row = await this.throttles.lockOrCreate(`refused-applications:${enterpriseId}`, now);
    // A row counted in a fixed window before the window slid: its hits are taken as made when that window began.
    const recent = row.recent
      ? (JSON.parse(row.recent) as string[])
      : Array<string>(windowUse(row, now, DAY_SEC).hits).fill(row.windowStart!);
    const max = this.config.refusedApplicationsPerDay;
    const admitted = admitSliding(recent, now, DAY_SEC, max);
    if (admitted.refusedForSec !== undefined) {
      throw catalogued('RATE_LIMITED', 'vouchers.refusedApplicationsLimited', { max }, { retryAfterSec: admitted.refusedForSec });
    }
    await this.throttles.save({ ...row, windowStart: null, hits: 0, recent: JSON.stringify(admitted.recent), updatedAt: now });
  }

  private draft(
    enterprise: Organization,
    regionCode: string,
    policy: Policy | undefined,
    cmd: ApplyForVoucherCommand,
    refusal: Refusal | null,
    approveAtOnce: boolean,
    now: string,
  ): VoucherApplication {
    return {
      id: newId(),
      enterpriseId: enterprise.id,
      issuingRegionCode: regionCode,
      policyId: policy?.id ?? null,
      year: beijingYear(now),
      amountFen: cmd.amountFen,
      purpose: cmd.purpose,
      status: refusal ? 'rejected' : approveAtOnce ? 'approved' : 'pending_review',
      reasonCode: refusal?.code ?? null,
      reason: refusal?.message ?? null,
      // Approved at once: the voucher about to be issued gets this id, so the application is written complete, once.
      voucherId: approveAtOnce ? newId() : null,
      approvedFen: approveAtOnce ? cmd.amountFen : null,
      reviewedBy: null,
      createdAt: now,
      decidedAt: refusal || approveAtOnce ? now : null, // rejected by a rule or approved at once: decided now
      firstApprovedBy: null,
      firstApprovedFen: null,
      firstApprovedKey: null,
      firstApprovedSession: null,
    };
  }
}
