import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { clock } from '../common/clock';
import { hydrate, selectColumns } from '../common/database/statements';
import { Actor } from '../common/context/request-context';
import { DomainError, invalidState, notFound } from '../common/errors/domain-error';
import { MAX_FEN } from '../common/http/validators';
import { FacilityView } from '../facilities/facility.dto';
import { Facility } from '../facilities/facility.entity';
import { Organization } from '../organizations/organization.entity';
import { activeSql, OrganizationsService, withNoticeEnded } from '../organizations/organizations.service';
import { sanctionedSql, SanctionsService } from '../oversight/sanctions.service';
import { PoliciesService } from '../policies/policies.service';
import { Policy } from '../policies/policy.entity';
import { RedemptionMode } from '../policies/policy.types';
import { Voucher } from '../vouchers/voucher.entity';
import { ComparisonPage, CompareQuery, FacilityQuoteView, QuoteQuery, QuoteView } from './redemption.dto';
import { Evaluation, evaluateRedemption, Party } from './redemption.rules';

/** Only the enterprise holding a voucher may price or spend it; to anyone else it does not exist. */
export function ownVoucher(actor: Actor, voucher: Voucher | null): Voucher {
  if (!voucher || voucher.enterpriseId !== actor.organizationId) throw notFound('voucher');
  return voucher;
}

/** fee = unit price × quantity stays within 10^13 fen, so every amount derived from it is exact. */
export function assertFeeInRange(unitPriceFen: number, quantity: number, field: string): void {
  if (BigInt(unitPriceFen) * BigInt(quantity) > BigInt(MAX_FEN)) {
    throw new DomainError('VALIDATION_FAILED', `${field}: ${quantity} × ${unitPriceFen} fen exceeds the largest fee of ${MAX_FEN} fen`);
  }
}

const party = (o: Organization): Party => ({
  creditCode: o.creditCode,
  controllerCreditCode: o.controllerCreditCode,
  relatedCreditCodes: o.relatedCreditCodes,
});

/** What every evaluation of one voucher shares. */
interface VoucherSide {
  voucher: Voucher;
  enterprise: Organization;
  policy: Policy;
  sanctioned: Set<string>;
}

function evaluate(
  side: VoucherSide,
  facility: Facility,
  provider: Organization,
  quantity: number,
  mode: RedemptionMode | undefined,
): Evaluation {
  const { voucher, enterprise, policy, sanctioned } = side;
  return evaluateRedemption({
    terms: policy.terms,
    today: clock.today(),
    voucher,
    facility,
    provider: { ...party(provider), status: provider.status, sanctioned: sanctioned.has(provider.creditCode) },
    enterprise: { ...party(enterprise), sanctioned: sanctioned.has(enterprise.creditCode) },
    quantity,
    mode,
  });
}

/**
 * Prices redemptions under a voucher's pinned policy. A quote, a comparison and a hold all go through
 * `evaluate` above with rows read the same way, so a quote and the hold that follows never disagree.
 */
@Injectable()
export class QuotesService {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly sanctions: SanctionsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  private partiesSql?: string;

  /** Evaluates one redemption at `facilityId` on rows read in `em` (the hold's transaction, or a plain read for a quote). */
  async evaluate(
    em: EntityManager,
    voucher: Voucher,
    facilityId: string,
    quantity: number,
    mode?: RedemptionMode,
  ): Promise<{ evaluation: Evaluation; policy: Policy; facility: Facility }> {
    const { facility, provider, enterprise, sanctioned } = await this.parties(em, facilityId, voucher.enterpriseId);
    if (facility.status !== 'active') throw invalidState(`the facility is ${facility.status}; it takes no new orders`);
    assertFeeInRange(facility.unitPriceFen, quantity, 'quantity');
    const policy = await this.policies.load(voucher.policyId, em);
    return { evaluation: evaluate({ voucher, enterprise, policy, sanctioned }, facility, provider, quantity, mode), policy, facility };
  }

  async quote(actor: Actor, facilityId: string, q: QuoteQuery): Promise<QuoteView> {
    const em = this.dataSource.manager;
    const voucher = ownVoucher(actor, await em.getRepository(Voucher).findOneBy({ id: q.voucherId }));
    return QuoteView.of((await this.evaluate(em, voucher, facilityId, q.quantity, q.mode)).evaluation);
  }

  /**
   * The active facilities of one category in every province, each with the voucher's quote, ranked by
   * what the enterprise would pay after subsidy; refused ones last. Facilities whose fee for this
   * quantity would exceed 10^13 fen cannot be ordered in that quantity and are left out.
   */
  async compare(actor: Actor, q: CompareQuery): Promise<ComparisonPage> {
    const em = this.dataSource.manager;
    const voucher = ownVoucher(actor, await em.getRepository(Voucher).findOneBy({ id: q.voucherId }));
    const rows = await em
      .getRepository(Facility)
      .createQueryBuilder('f')
      .innerJoinAndMapOne('f.provider', Organization, 'o', 'o.id = f.providerId')
      .where("f.status = 'active' AND f.category = :category AND f.unitPriceFen <= :maxPrice", {
        category: q.category,
        maxPrice: Math.floor(MAX_FEN / q.quantity),
      })
      .andWhere(activeSql('o', ':now'), { now: clock.iso() })
      .getMany();
    const found = rows as (Facility & { provider: Organization })[];
    const enterprise = await this.organizations.load(voucher.enterpriseId, em);
    const side = await this.voucherSide(
      em,
      voucher,
      enterprise,
      found.map((f) => f.provider.creditCode),
    );
    const quoted: FacilityQuoteView[] = found.map(({ provider, ...facility }) => ({
      facility: FacilityView.of(facility, provider.name),
      quote: QuoteView.of(evaluate(side, facility, withNoticeEnded(provider), q.quantity, q.mode)),
    }));
    quoted.sort(
      (a, b) =>
        Number(!!a.quote.refusal) - Number(!!b.quote.refusal) ||
        a.quote.selfPayFen - b.quote.selfPayFen ||
        a.quote.feeFen - b.quote.feeFen ||
        a.facility.id.localeCompare(b.facility.id),
    );
    return { items: quoted.slice(q.offset, q.offset + q.limit), total: quoted.length };
  }

  /** The voucher's pinned policy version and the sanctions in force among both sides. */
  private async voucherSide(
    em: EntityManager,
    voucher: Voucher,
    enterprise: Organization,
    providerCreditCodes: string[],
  ): Promise<VoucherSide> {
    const policy = await this.policies.load(voucher.policyId, em);
    const sanctioned = await this.sanctions.sanctionedAmong(em, [enterprise.creditCode, ...providerCreditCodes], clock.today());
    return { voucher, enterprise, policy, sanctioned };
  }

  /**
   * The facility, its provider, the voucher's enterprise and which of the two are under a sanction in
   * force, in one query: every hold reads them, and each statement is a round trip.
   */
  private async parties(
    em: EntityManager,
    facilityId: string,
    enterpriseId: string,
  ): Promise<{ facility: Facility; provider: Organization; enterprise: Organization; sanctioned: Set<string> }> {
    this.partiesSql ??= `SELECT ${selectColumns(em, Facility, 'f')}, ${selectColumns(em, Organization, 'p')}, ${selectColumns(em, Organization, 'e')},
      ${sanctionedSql('p.credit_code')} AS provider_sanctioned, ${sanctionedSql('e.credit_code')} AS enterprise_sanctioned
      FROM facility f JOIN organization p ON p.id = f.provider_id JOIN organization e ON e.id = ? WHERE f.id = ?`;
    const today = clock.today();
    const [row] = await em.query<Record<string, unknown>[]>(this.partiesSql, [today, today, enterpriseId, facilityId]);
    if (!row) throw notFound('facility');
    const [provider, enterprise] = [hydrate(em, Organization, row, 'p'), hydrate(em, Organization, row, 'e')];
    const sanctioned = new Set<string>();
    if (Number(row.provider_sanctioned)) sanctioned.add(provider.creditCode);
    if (Number(row.enterprise_sanctioned)) sanctioned.add(enterprise.creditCode);
    return {
      facility: hydrate(em, Facility, row, 'f'),
      provider: withNoticeEnded(provider),
      enterprise: withNoticeEnded(enterprise),
      sanctioned,
    };
  }
}
