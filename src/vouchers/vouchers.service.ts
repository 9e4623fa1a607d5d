import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { AnnualGrant } from '../budgets/budget.entity';
import { assertBureauOf, canRead, scopeList } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { invalidState, notFound, ruleBroken } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { Sweeps } from '../common/sweeps';
import { appConfig, AppConfig } from '../config/configuration';
import { DocumentsService } from '../documents/documents.service';
import { LedgerService } from '../ledger/ledger.service';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { PoliciesService } from '../policies/policies.service';
import { Policy } from '../policies/policy.entity';
import { addDays } from '../policies/policy.rules';
import { bureauName, provinceOfRegion, regionName, SERIAL_PREFIX } from '../regions/regions.data';
import { effectiveVoucherStatus, VerificationView } from './voucher.dto';
import { SerialCounter, Voucher, VoucherApplication, VoucherStatus } from './voucher.entity';
import { annualCapFor, capSubject, formatSerial } from './voucher.rules';

const SWEEP_BATCH = 200;

@Injectable()
export class VouchersService {
  constructor(
    private readonly tx: TransactionService,
    private readonly ledger: LedgerService,
    private readonly documents: DocumentsService,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    sweeps: Sweeps,
  ) {
    sweeps.register('voucher-expiry', () => this.expireDue());
  }

  /**
   * Issues a voucher for an approved application, in the caller's transaction: counts it against the
   * annual cap (ANNUAL_CAP_EXCEEDED) and commits its face value from the budget (BUDGET_EXHAUSTED),
   * both by guarded updates, and pins the policy version in force.
   */
  async issue(
    em: EntityManager,
    application: VoucherApplication,
    enterprise: Organization,
    policy: Policy,
    amountFen: number,
  ): Promise<Voucher> {
    const year = clock.year();
    const subject = capSubject(policy.terms, enterprise);
    await this.countGrant(em, policy.regionCode, year, subject, amountFen, annualCapFor(policy.terms, enterprise.kind));
    const today = clock.today();
    const now = clock.iso();
    const voucher: Voucher = {
      id: newId(),
      serial: await this.nextSerial(em, policy.regionCode, year),
      verificationCode: randomBytes(16).toString('base64url'), // 128 random bits: unguessable
      issuingRegionCode: policy.regionCode,
      budgetYear: year,
      enterpriseId: enterprise.id,
      applicationId: application.id,
      policyId: policy.id,
      capSubject: subject,
      faceValueFen: 0,
      availableFen: 0,
      heldFen: 0,
      spentFen: 0,
      releasedFen: 0,
      status: 'active',
      validFrom: today,
      validUntil: addDays(today, policy.terms.voucherValidityDays - 1),
      statusReason: null,
      createdAt: now,
      updatedAt: now,
    };
    await em.getRepository(Voucher).insert(voucher);
    await this.ledger.fundVoucher(em, voucher, amountFen);
    this.tx.audit({
      action: 'voucher.issued',
      entityType: 'voucher',
      entityId: voucher.id,
      regionCode: voucher.issuingRegionCode,
      organizationId: enterprise.id,
      summary: { serial: voucher.serial, faceValueFen: amountFen, policyVersion: policy.version },
    });
    return { ...voucher, faceValueFen: amountFen, availableFen: amountFen };
  }

  /** What an enterprise (or controller group) was granted this year, net of what was given back. */
  async grantedFen(em: EntityManager, regionCode: string, year: number, subject: string): Promise<number> {
    return (await em.getRepository(AnnualGrant).findOneBy({ regionCode, year, subject }))?.grantedFen ?? 0;
  }

  async list(actor: Actor, filter: { status?: string; limit: number; offset: number }) {
    const query = this.dataSource.getRepository(Voucher).createQueryBuilder('v').orderBy('v.createdAt', 'DESC').addOrderBy('v.id', 'DESC');
    scopeList(query, actor, { region: 'v.issuing_region_code', orgs: actor.role === 'enterprise' ? ['v.enterprise_id'] : [] });
    if (filter.status === 'expired')
      query.andWhere("(v.status = 'expired' OR (v.status IN ('active', 'exhausted') AND v.valid_until < :today))", {
        today: clock.today(),
      });
    else if (filter.status === 'active' || filter.status === 'exhausted')
      query.andWhere('v.status = :status AND v.valid_until >= :today', { status: filter.status, today: clock.today() });
    else if (filter.status) query.andWhere('v.status = :status', { status: filter.status });
    const [items, total] = await query.take(filter.limit).skip(filter.offset).getManyAndCount();
    return { items, total };
  }

  async get(actor: Actor, id: string): Promise<Voucher> {
    const voucher = await this.dataSource.getRepository(Voucher).findOneBy({ id });
    if (
      !voucher ||
      !canRead(actor, { organizationIds: [voucher.enterpriseId], regionCodes: [voucher.issuingRegionCode] }) ||
      actor.role === 'provider'
    ) {
      throw notFound('voucher');
    }
    return voucher;
  }

  /** Revocation by the issuing bureau: the unused balance goes back to the budget; running holds may still be captured. */
  revoke(actor: Actor, id: string, reason: string): Promise<Voucher> {
    return this.tx.run(async (em) => {
      const voucher = await this.tx.lock(em, Voucher, { id });
      if (!voucher) throw notFound('voucher');
      assertBureauOf(actor, voucher.issuingRegionCode, `vouchers of ${voucher.issuingRegionCode}`);
      if (voucher.status === 'revoked' || voucher.status === 'expired') throw invalidState(`the voucher is already ${voucher.status}`);
      return this.close(em, voucher, 'revoked', reason);
    });
  }

  /** Vouchers past their last day: status expired, unused balance back to the budget. */
  async expireDue(): Promise<number> {
    const due = await this.dataSource.getRepository(Voucher).find({
      select: { id: true },
      where: { status: In(['active', 'exhausted']), validUntil: LessThan(clock.today()) },
      take: SWEEP_BATCH,
    });
    let expired = 0;
    for (const { id } of due) {
      expired += await this.tx.run(async (em) => {
        const voucher = await this.tx.lock(em, Voucher, { id });
        if (!voucher || effectiveVoucherStatus(voucher) !== 'expired' || voucher.status === 'expired') return 0;
        await this.close(em, voucher, 'expired', null);
        return 1;
      });
    }
    return expired;
  }

  async verify(code: string): Promise<VerificationView> {
    const voucher = await this.dataSource.getRepository(Voucher).findOneBy({ verificationCode: code });
    if (!voucher) throw notFound('voucher');
    const status = effectiveVoucherStatus(voucher);
    return {
      valid: status === 'active',
      serial: voucher.serial,
      issuingRegionCode: voucher.issuingRegionCode,
      issuingBureau: bureauName(voucher.issuingRegionCode),
      status,
      faceValueFen: voucher.faceValueFen,
      validUntil: voucher.validUntil,
    };
  }

  async certificate(actor: Actor, id: string): Promise<{ serial: string; pdf: Buffer }> {
    const voucher = await this.get(actor, id);
    const holder = await this.organizations.load(voucher.enterpriseId);
    const policy = await this.policies.load(voucher.policyId);
    const pdf = await this.documents.renderVoucherCertificate({
      serial: voucher.serial,
      issuingRegionName: regionName(voucher.issuingRegionCode),
      issuingBureauName: bureauName(voucher.issuingRegionCode),
      holderName: holder.name,
      holderCreditCode: holder.creditCode,
      faceValueFen: voucher.faceValueFen,
      validFrom: voucher.validFrom,
      validUntil: voucher.validUntil,
      policyVersion: policy.version,
      policyRegionCode: policy.regionCode,
      verifyUrl: `${this.config.publicBaseUrl}/api/vouchers/verify/${voucher.verificationCode}`,
      issuedAt: voucher.createdAt,
    });
    return { serial: voucher.serial, pdf };
  }

  private async close(
    em: EntityManager,
    voucher: Voucher,
    status: Extract<VoucherStatus, 'revoked' | 'expired'>,
    reason: string | null,
  ): Promise<Voucher> {
    await em.getRepository(Voucher).update({ id: voucher.id }, { status, statusReason: reason, updatedAt: clock.iso() });
    const released = await this.ledger.releaseVoucher(em, voucher, `voucher.${status}`);
    this.tx.audit({
      action: `voucher.${status}`,
      entityType: 'voucher',
      entityId: voucher.id,
      regionCode: voucher.issuingRegionCode,
      organizationId: voucher.enterpriseId,
      summary: { serial: voucher.serial, releasedFen: released, ...(reason ? { reason } : {}) },
    });
    return { ...voucher, status, statusReason: reason, availableFen: 0, releasedFen: voucher.releasedFen + released };
  }

  /** Guarded: the year's grants stay within the cap even when applications race. */
  private async countGrant(
    em: EntityManager,
    regionCode: string,
    year: number,
    subject: string,
    amountFen: number,
    capFen: number,
  ): Promise<void> {
    const grants = em.getRepository(AnnualGrant);
    await grants.createQueryBuilder().insert().values({ regionCode, year, subject, grantedFen: 0 }).orIgnore().execute();
    const result = await grants
      .createQueryBuilder()
      .update()
      .set({ grantedFen: () => 'granted_fen + :x' })
      .where({ regionCode, year, subject })
      .andWhere('granted_fen + :x <= :cap', { x: amountFen, cap: capFen })
      .execute();
    if (!result.affected) throw ruleBroken('ANNUAL_CAP_EXCEEDED', `granting ${amountFen} fen would exceed the annual cap of ${capFen} fen`);
  }

  /** Next serial of the province and year; the counter row's lock orders concurrent issuance. */
  private async nextSerial(em: EntityManager, regionCode: string, year: number): Promise<string> {
    const province = provinceOfRegion(regionCode);
    const prefix = SERIAL_PREFIX[province] ?? province.slice(0, 2);
    const counters = em.getRepository(SerialCounter);
    await counters.createQueryBuilder().insert().values({ prefix, year, lastValue: 0 }).orIgnore().execute();
    await counters
      .createQueryBuilder()
      .update()
      .set({ lastValue: () => 'last_value + 1' })
      .where({ prefix, year })
      .execute();
    const { lastValue } = await counters.findOneByOrFail({ prefix, year });
    return formatSerial(prefix, year, lastValue);
  }
}
