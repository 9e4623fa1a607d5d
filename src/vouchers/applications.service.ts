import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Budget } from '../budgets/budget.entity';
import { assertBureauOf, canRead, scopeList } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, invalidState, notFound, Refusal, ruleBroken } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { SanctionsService } from '../oversight/sanctions.service';
import { PoliciesService } from '../policies/policies.service';
import { Policy } from '../policies/policy.entity';
import { ApplicationView } from './voucher.dto';
import { Voucher, VoucherApplication } from './voucher.entity';
import { applicationRefusal, capSubject } from './voucher.rules';
import { VouchersService } from './vouchers.service';

/** Refusals that a concurrent approval can cause after our checks passed: the application is then recorded as rejected. */
const RACE_REFUSALS = new Set(['ANNUAL_CAP_EXCEEDED', 'BUDGET_EXHAUSTED']);

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly sanctions: SanctionsService,
    private readonly vouchers: VouchersService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * An enterprise applies to its home region. A rule it breaks is recorded and answered as a rejected
   * application; small amounts are approved and the voucher issued in the same transaction.
   */
  async apply(actor: Actor, amountFen: number, purpose: string): Promise<ApplicationView> {
    try {
      return await this.tx.run(async (em) => {
        const enterprise = await this.organizations.load(actor.organizationId!, em);
        const { regionCode, policy } = await this.issuingRegion(em, enterprise);
        const refusal = await this.refusal(em, enterprise, regionCode, policy, amountFen);
        const autoApprove = !refusal && amountFen <= policy!.terms.autoApproveMaxFen;
        const application = await this.record(
          em,
          enterprise,
          regionCode,
          policy,
          amountFen,
          purpose,
          refusal,
          autoApprove ? 'approved' : undefined,
        );
        if (!autoApprove) return ApplicationView.of(application);
        const approved = await this.approveWith(em, application, enterprise, policy!, amountFen, null);
        return ApplicationView.of(approved.application, approved.voucher);
      });
    } catch (e) {
      if (!(e instanceof DomainError) || !RACE_REFUSALS.has(e.code)) throw e;
      return this.tx.run(async (em) => {
        const enterprise = await this.organizations.load(actor.organizationId!, em);
        const { regionCode, policy } = await this.issuingRegion(em, enterprise);
        return ApplicationView.of(
          await this.record(em, enterprise, regionCode, policy, amountFen, purpose, {
            code: e.code as Refusal['code'],
            message: e.message,
          }),
        );
      });
    }
  }

  /** A reviewer approves a pending application, possibly for less; the rules are checked again now. */
  approve(actor: Actor, id: string, amountFen?: number): Promise<ApplicationView> {
    return this.tx.run(async (em) => {
      const application = await this.lockPending(em, actor, id);
      const amount = amountFen ?? application.amountFen;
      if (amount > application.amountFen)
        throw new DomainError('VALIDATION_FAILED', `amountFen may not exceed the ${application.amountFen} fen requested`);
      const enterprise = await this.organizations.load(application.enterpriseId, em);
      const policy = await this.policies.inForce(application.issuingRegionCode!, clock.today(), em);
      const refusal = await this.refusal(em, enterprise, application.issuingRegionCode!, policy, amount);
      if (refusal) throw ruleBroken(refusal.code, refusal.message);
      const approved = await this.approveWith(em, application, enterprise, policy!, amount, actor.userId);
      return ApplicationView.of(approved.application, approved.voucher);
    });
  }

  reject(actor: Actor, id: string, reason: string): Promise<ApplicationView> {
    return this.tx.run(async (em) => {
      const application = await this.lockPending(em, actor, id);
      const decision = { status: 'rejected' as const, reason, reviewedBy: actor.userId, decidedAt: clock.iso() };
      await em.getRepository(VoucherApplication).update({ id }, decision);
      this.tx.audit({
        action: 'application.rejected',
        entityType: 'voucher_application',
        entityId: id,
        regionCode: application.issuingRegionCode,
        organizationId: application.enterpriseId,
        summary: { reason },
      });
      return ApplicationView.of({ ...application, ...decision });
    });
  }

  async list(actor: Actor, filter: { status?: string; limit: number; offset: number }) {
    const query = this.dataSource
      .getRepository(VoucherApplication)
      .createQueryBuilder('a')
      .orderBy('a.createdAt', 'DESC')
      .addOrderBy('a.id', 'DESC');
    scopeList(query, actor, { region: 'a.issuing_region_code', orgs: actor.role === 'enterprise' ? ['a.enterprise_id'] : [] });
    if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
    const [items, total] = await query.take(filter.limit).skip(filter.offset).getManyAndCount();
    return { items: items.map((a) => ApplicationView.of(a)), total };
  }

  async get(actor: Actor, id: string): Promise<ApplicationView> {
    const application = await this.dataSource.getRepository(VoucherApplication).findOneBy({ id });
    if (
      !application ||
      actor.role === 'provider' ||
      !canRead(actor, { organizationIds: [application.enterpriseId], regionCodes: [application.issuingRegionCode] })
    ) {
      throw notFound('application');
    }
    const voucher = application.voucherId ? await this.dataSource.getRepository(Voucher).findOneBy({ id: application.voucherId }) : null;
    return ApplicationView.of(application, voucher);
  }

  /** The home city when it has a policy in force, else the province (API.md). */
  private async issuingRegion(em: EntityManager, enterprise: Organization): Promise<{ regionCode: string; policy: Policy | undefined }> {
    const today = clock.today();
    const cityPolicy =
      enterprise.regionCode !== enterprise.provinceCode ? await this.policies.inForce(enterprise.regionCode, today, em) : undefined;
    if (cityPolicy) return { regionCode: enterprise.regionCode, policy: cityPolicy };
    return { regionCode: enterprise.provinceCode, policy: await this.policies.inForce(enterprise.provinceCode, today, em) };
  }

  private async refusal(
    em: EntityManager,
    enterprise: Organization,
    regionCode: string,
    policy: Policy | undefined,
    amountFen: number,
  ): Promise<Refusal | null> {
    const year = clock.year();
    const sanctioned = (await this.sanctions.sanctionedAmong(em, [enterprise.creditCode], clock.today())).size > 0;
    const grantedFen = policy ? await this.vouchers.grantedFen(em, regionCode, year, capSubject(policy.terms, enterprise)) : 0;
    const budget = policy ? await em.getRepository(Budget).findOneBy({ regionCode, year }) : null;
    return applicationRefusal({
      amountFen,
      sanctioned,
      regionCode,
      terms: policy?.terms,
      kind: enterprise.kind,
      grantedFen,
      budgetAvailableFen: budget?.availableFen ?? null,
    });
  }

  private async record(
    em: EntityManager,
    enterprise: Organization,
    regionCode: string,
    policy: Policy | undefined,
    amountFen: number,
    purpose: string,
    refusal: Refusal | null,
    status?: 'approved',
  ): Promise<VoucherApplication> {
    const application: VoucherApplication = {
      id: newId(),
      enterpriseId: enterprise.id,
      issuingRegionCode: regionCode,
      policyId: policy?.id ?? null,
      year: clock.year(),
      amountFen,
      approvedFen: null,
      purpose,
      status: refusal ? 'rejected' : (status ?? 'pending_review'),
      reasonCode: refusal?.code ?? null,
      reason: refusal?.message ?? null,
      voucherId: null,
      reviewedBy: null,
      createdAt: clock.iso(),
      decidedAt: refusal || status ? clock.iso() : null, // rejected by a rule or approved at once: decided now
    };
    await em.getRepository(VoucherApplication).insert(application);
    this.tx.audit({
      action: 'application.submitted',
      entityType: 'voucher_application',
      entityId: application.id,
      regionCode,
      organizationId: enterprise.id,
      summary: { amountFen, status: application.status, reasonCode: application.reasonCode },
    });
    return application;
  }

  /** Issues the voucher and records the approval; returns the application as stored (one decidedAt) and the voucher. */
  private async approveWith(
    em: EntityManager,
    application: VoucherApplication,
    enterprise: Organization,
    policy: Policy,
    amountFen: number,
    reviewerId: string | null,
  ): Promise<{ application: VoucherApplication; voucher: Voucher }> {
    const voucher = await this.vouchers.issue(em, application, enterprise, policy, amountFen);
    const changes = {
      status: 'approved' as const,
      approvedFen: amountFen,
      voucherId: voucher.id,
      policyId: policy.id,
      reviewedBy: reviewerId,
      decidedAt: clock.iso(),
    };
    await em.getRepository(VoucherApplication).update({ id: application.id }, changes);
    this.tx.audit({
      action: 'application.approved',
      entityType: 'voucher_application',
      entityId: application.id,
      regionCode: application.issuingRegionCode,
      organizationId: enterprise.id,
      summary: { approvedFen: amountFen, voucherId: voucher.id, automatic: reviewerId === null },
    });
    return { application: { ...application, ...changes }, voucher };
  }

  private async lockPending(em: EntityManager, actor: Actor, id: string): Promise<VoucherApplication> {
    const application = await this.tx.lock(em, VoucherApplication, { id });
    if (!application) throw notFound('application');
    assertBureauOf(actor, application.issuingRegionCode ?? '-', 'this application');
    if (application.status !== 'pending_review') throw invalidState(`the application is ${application.status}`);
    return application;
  }
}
