import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued, cataloguedRefusal, notFound } from '../common/errors/domain-error';
import { MAX_FEN } from '../common/http/validators';
import { ok, Outcome, refusedBy, unwrap } from '../common/use-case';
import { BookingRepository } from '../bookings/booking.repository';
import { firstFreeSlot } from '../bookings/booking.rules';
import { FacilityView } from '../facilities/facility.dto';
import { Facility } from '../facilities/facility.entity';
import { Comparable, FacilityRepository } from '../facilities/facility.repository';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { withNoticeEnded } from '../organizations/organization.time-rules';
import { PartyRelationRepository } from '../oversight/party-relation.repository';
import { SanctionRepository } from '../oversight/sanction.repository';
import { PoliciesService } from '../policies/policies.service';
import { Policy } from '../policies/policy.entity';
import { RedemptionMode } from '../policies/policy.types';
import { Voucher } from '../vouchers/voucher.entity';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { ComparisonPage, CompareQuery, QuoteQuery, QuoteView } from './redemption.dto';
import { byWhatTheEnterprisePays, comparisonRuns, Evaluation, evaluateRedemption, Party, partyGroup, refusedAs } from './redemption.rules';

/** Only the enterprise holding a voucher may price or spend it; to anyone else it does not exist. */
export function ownVoucher(actor: Actor, voucher: Voucher | null | undefined): Voucher {
  if (!voucher || voucher.enterpriseId !== actor.organizationId) throw notFound('voucher');
  return voucher;
}

/** fee = unit price × quantity stays within 10^13 fen, so every amount derived from it is exact. */
export function assertFeeInRange(unitPriceFen: number, quantity: number, field: string): void {
  if (BigInt(unitPriceFen) * BigInt(quantity) > BigInt(MAX_FEN)) {
    throw catalogued('VALIDATION_FAILED', 'redemptions.feeTooLarge', { field, quantity, unitPriceFen, maxFen: MAX_FEN });
  }
}

const party = (o: Organization): Party => ({
  creditCode: o.creditCode,
  controllerCreditCode: o.controllerCreditCode,
  relatedCreditCodes: o.relatedCreditCodes,
});

/** The enterprise with the codes bureaus recorded as related to it added to those it declared. */
export const withRecorded = (enterprise: Organization, recorded: string[]): Organization =>
  recorded.length === 0 ? enterprise : { ...enterprise, relatedCreditCodes: [...enterprise.relatedCreditCodes, ...recorded] };

interface Sides {
  voucher: Voucher;
  enterprise: Organization;
  enterpriseSanctioned: boolean;
  policy: Policy;
}

function evaluate(
  sides: Sides,
  facility: Facility,
  provider: Organization,
  providerSanctioned: boolean,
  quantity: number,
  mode?: RedemptionMode,
): Evaluation {
  return evaluateRedemption({
    terms: sides.policy.terms,
    today: clock.today(),
    voucher: sides.voucher,
    facility,
    provider: { ...party(provider), status: provider.status, sanctioned: providerSanctioned },
    enterprise: { ...party(sides.enterprise), sanctioned: sides.enterpriseSanctioned },
    quantity,
    mode,
  });
}

/**
 * Prices redemptions under a voucher's pinned policy. A quote, a comparison and a hold all evaluate through here with
 * rows read the same way, so a quote and the hold that follows never disagree.
 */
/** An order priced under the voucher's pinned policy, with what priced it. */
export interface Evaluated {
  evaluation: Evaluation;
  policy: Policy;
  facility: Facility;
}

@Injectable()
export class Quotes {
  /** A quote answers like a hold would, except that a rule's refusal is part of the quote, not an error. */
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'INVALID_STATE', 'NOT_QUALIFIED'] as const;

  constructor(
    private readonly facilities: FacilityRepository,
    private readonly vouchers: VoucherRepository,
    private readonly sanctions: SanctionRepository,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly relations: PartyRelationRepository,
    private readonly bookings: BookingRepository,
  ) {}

  /** For hourly facilities with a calendar: the first slot free within a month, shown with its offset. */
  private async firstFreeSlots(facilities: Facility[]): Promise<Map<string, string>> {
    const nowMs = clock.now().getTime();
    const found = new Map<string, string>();
    const calendars = await this.bookings.calendars(facilities.filter((f) => f.unit === 'hour').map((f) => f.id));
    const taken = await this.bookings.takenAround(
      calendars.map((c) => c.facilityId),
      nowMs,
    );
    for (const calendar of calendars) {
      const slot = firstFreeSlot(calendar, taken.get(calendar.facilityId)!, nowMs);
      if (slot !== undefined) found.set(calendar.facilityId, slot);
    }
    return found;
  }

  /** The enterprise with the codes bureaus recorded as related to it or its controller added to those it declared. */
  private async withRecordedRelations(enterprise: Organization): Promise<Organization> {
    return withRecorded(enterprise, await this.relations.relatedTo(partyGroup(party(enterprise))));
  }

  /** Evaluates one order of `quantity` at the facility on the voucher (in the hold's unit of work, or as a plain read for a quote). */
  async evaluate(
    voucher: Voucher,
    facilityId: string,
    quantity: number,
    mode?: RedemptionMode,
  ): Promise<Outcome<Evaluated, 'INVALID_STATE' | 'NOT_QUALIFIED'>> {
    const parties = await this.facilities.withParties(facilityId, voucher.enterpriseId, clock.today());
    if (!parties) throw notFound('facility');
    const { facility, providerSanctioned, enterpriseSanctioned } = parties;
    if (facility.status !== 'active')
      return refusedBy(catalogued('INVALID_STATE', 'redemptions.facilityNotActive', { status: facility.status }));
    // Self-operation of an instrument its lab qualifies users for: an order is refused as a booking is.
    if (parties.enterpriseUnqualified) return refusedBy(catalogued('NOT_QUALIFIED', 'bookings.notQualified'));
    assertFeeInRange(facility.unitPriceFen, quantity, 'quantity');
    const now = clock.iso();
    const policy = await this.policies.load(voucher.policyId);
    const enterprise = withRecorded(withNoticeEnded(parties.enterprise, now), parties.enterpriseRecordedRelations);
    const sides = { voucher, enterprise, enterpriseSanctioned, policy };
    return ok({
      evaluation: evaluate(sides, facility, withNoticeEnded(parties.provider, now), providerSanctioned, quantity, mode),
      policy,
      facility,
    });
  }

  async quote(actor: Actor, facilityId: string, q: QuoteQuery): Promise<QuoteView> {
    const voucher = ownVoucher(actor, await this.vouchers.get(q.voucherId));
    const { evaluation, policy } = unwrap(await this.evaluate(voucher, facilityId, q.quantity, q.mode));
    return QuoteView.of(evaluation, policy);
  }

  /**
   * The active facilities of one category in every province, each with the voucher's quote, ranked by what the
   * enterprise would pay after subsidy; refused ones last. Facilities whose fee for this quantity would exceed 10^13
   * fen cannot be ordered in that quantity and are left out.
   *
   * Only the page is loaded and priced (see comparisonRuns): the cheapest offset + limit of each run, merged by the
   * same ranking, then, when the page reaches past the priceable ones, the refused ones in (unit price, id) order.
   */
  async compare(actor: Actor, q: CompareQuery): Promise<ComparisonPage> {
    const voucher = ownVoucher(actor, await this.vouchers.get(q.voucherId));
    const now = clock.iso();
    const today = clock.today();
    const enterprise = await this.withRecordedRelations(await this.organizations.load(voucher.enterpriseId));
    const policy = await this.policies.load(voucher.policyId);
    const enterpriseSanctioned = (await this.sanctions.boundAmong([enterprise], today)).has(enterprise.creditCode);
    const runs = comparisonRuns({
      terms: policy.terms,
      today,
      voucher,
      enterpriseSanctioned,
      category: q.category,
      quantity: q.quantity,
      mode: q.mode,
    });
    const group = partyGroup(party(enterprise));
    const priceable = {
      runs,
      enterpriseId: enterprise.id,
      relatedTo: policy.terms.relatedPartyBan ? { group, codes: [...group, ...enterprise.relatedCreditCodes] } : null,
    };
    const scope = { category: q.category, maxPriceFen: Math.floor(MAX_FEN / q.quantity), now, today };
    const end = q.offset + q.limit;

    const priced: Comparable[] = [];
    let allPriceableRead = true;
    for (const run of runs.keys()) {
      const rows = await this.facilities.priceableInRun(scope, priceable, run, end);
      priced.push(...rows);
      if (rows.length === end) allPriceableRead = false;
    }
    // Once every priceable facility is read and the page reaches past them, the refused ones follow in their order.
    const refusedFrom = Math.max(q.offset, priced.length);
    const refused =
      allPriceableRead && refusedFrom < end
        ? await this.facilities.refusedInCategory(scope, priceable, { offset: refusedFrom - priced.length, limit: end - refusedFrom })
        : [];

    const sanctioned = await this.sanctions.boundAmong(
      [...priced, ...refused].map((f) => f.provider),
      today,
    );
    const sides = { voucher, enterprise, enterpriseSanctioned, policy };
    const ranked = (rows: Comparable[]) =>
      rows
        .map(({ facility, provider, unqualified }) => {
          const priced = evaluate(sides, facility, withNoticeEnded(provider, now), sanctioned.has(provider.creditCode), q.quantity, q.mode);
          // As a quote of it says first (evaluate above): self-operation its lab has not qualified the enterprise for.
          const evaluation = unqualified ? refusedAs(priced, cataloguedRefusal('NOT_QUALIFIED', 'bookings.notQualified')) : priced;
          return { id: facility.id, facility, provider, evaluation };
        })
        .sort(byWhatTheEnterprisePays);
    const page = [...ranked(priced).slice(q.offset, end), ...ranked(refused)];
    // Free slots only for the page shown: each costs a read of the facility's booked hours.
    const free = await this.firstFreeSlots(page.map((i) => i.facility));
    const items = page.map(({ facility, provider, evaluation }) => {
      const item = { facility: FacilityView.of(facility, provider.name), quote: QuoteView.of(evaluation, policy) };
      return free.has(facility.id) ? { facility: item.facility, firstFreeSlot: free.get(facility.id), quote: item.quote } : item;
    });
    return { items, total: await this.facilities.countInCategory(scope) };
  }
}
