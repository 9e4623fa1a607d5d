import { cataloguedRefusal, Refusal } from '../common/errors/domain-error';
import { PolicyTerms, RedemptionMode } from '../policies/policy.types';
import { provinceOfRegion } from '../regions/regions.data';
import type { Redemption } from './redemption.entity';

export interface EvaluationInput {
  terms: PolicyTerms;
  today: string; // YYYY-MM-DD
  voucher: {
    status: 'active' | 'exhausted' | 'expired' | 'revoked';
    availableFen: number;
    validUntil: string;
    issuingRegionCode: string;
  };
  facility: { category: string; unitPriceFen: number; provinceCode: string };
  provider: Party & { status: string; sanctioned: boolean };
  enterprise: Party & { sanctioned: boolean };
  quantity: number;
  mode?: RedemptionMode;
}

export interface Evaluation {
  mode: RedemptionMode;
  feeFen: number;
  ratioBp: number;
  subsidyFen: number;
  selfPayFen: number;
  crossProvince: boolean;
  refusal?: Refusal;
}

export interface Party {
  creditCode: string;
  controllerCreditCode: string | null;
  relatedCreditCodes: string[];
}

const FULL_BP = 10000;

/** GB/T 2260: the first two digits name the province (the one helper of src/regions, under its older name here). */
export const provinceOf = provinceOfRegion;

/** An organization and its controller: related parties are found between these groups, not single codes. */
export const partyGroup = (p: Party): string[] => (p.controllerCreditCode ? [p.creditCode, p.controllerCreditCode] : [p.creditCode]);

/**
 * Related from either side: one group controls or shares a controller with the other, or either side's related codes
 * (declared, or recorded by a bureau) name the other or its controller. Two that only name one related code (a
 * shareholder of each) are not: companies under one party's significant influence only are not related parties (CAS
 * 36 §6); common control is what the controller declares, and a bureau that finds more records the relation.
 */
export function areRelated(a: Party, b: Party): boolean {
  const [ga, gb] = [partyGroup(a), partyGroup(b)];
  return (
    ga.some((c) => gb.includes(c)) || a.relatedCreditCodes.some((c) => gb.includes(c)) || b.relatedCreditCodes.some((c) => ga.includes(c))
  );
}

export interface CaptureScreenInput {
  today: string; // YYYY-MM-DD
  /** The voucher's last valid day; null for a booking's hold, whose hours were checked against it when booked. */
  validUntil: string | null;
  relatedPartyBan: boolean;
  enterprise: Party & { sanctioned: boolean };
  provider: Party & { status: string; sanctioned: boolean };
}

/**
 * What must still hold when the provider records usage on a hold placed earlier: a subsidy is spent on a service
 * rendered now, so the parties are screened as a new hold would screen them (a sanction, a suspension, a relation a
 * bureau recorded since), and a hold outside a booking is not captured after its voucher's last valid day.
 */
export function captureRefusal(input: CaptureScreenInput): Refusal | null {
  const { enterprise, provider } = input;
  const parties = { enterprise: enterprise.creditCode, provider: provider.creditCode };
  if (enterprise.sanctioned && provider.sanctioned) return cataloguedRefusal('SANCTIONED', 'capture.sanctionedBoth', parties);
  if (enterprise.sanctioned) return cataloguedRefusal('SANCTIONED', 'capture.sanctionedEnterprise', { enterprise: enterprise.creditCode });
  if (provider.sanctioned) return cataloguedRefusal('SANCTIONED', 'capture.sanctionedProvider', { provider: provider.creditCode });
  if (provider.status !== 'active')
    return cataloguedRefusal('PROVIDER_NOT_ACTIVE', 'capture.providerNotActive', { status: provider.status });
  if (input.relatedPartyBan && areRelated(enterprise, provider)) return cataloguedRefusal('RELATED_PARTY', 'capture.relatedParty', parties);
  if (input.validUntil !== null && input.today > input.validUntil) {
    return cataloguedRefusal('VOUCHER_EXPIRED', 'capture.voucherExpired', { validUntil: input.validUntil });
  }
  return null;
}

/** floor(feeFen × ratioBp / 10000) in BigInt, so rounding always favours the budget and never drifts. */
function ratioOf(feeFen: number, ratioBp: number): number {
  return Number((BigInt(feeFen) * BigInt(ratioBp)) / BigInt(FULL_BP));
}

function feeOf(unitPriceFen: number, quantity: number): number {
  return Number(BigInt(unitPriceFen) * BigInt(quantity));
}

function lowered(amountFen: number, ...limitsFen: (number | null)[]): number {
  return limitsFen.reduce<number>((min, limit) => (limit === null ? min : Math.min(min, limit)), amountFen);
}

// A policy listing no modes still yields a mode to report; the mode check then refuses it.
const modeOf = (terms: PolicyTerms, mode?: RedemptionMode): RedemptionMode =>
  mode ?? (terms.redemptionModes.includes('provider_redeemed') ? 'provider_redeemed' : terms.redemptionModes[0]) ?? 'provider_redeemed';

const ratioWithBonus = (terms: PolicyTerms, categoryRatioBp: number, crossProvince: boolean): number =>
  Math.min(categoryRatioBp + (crossProvince ? 0 : terms.localBonusBp), FULL_BP);

/** A priced order refused after all (by a rule outside the policy): nothing held, the enterprise pays the fee. */
export const refusedAs = (e: Evaluation, refusal: Refusal): Evaluation => ({ ...e, subsidyFen: 0, selfPayFen: e.feeFen, refusal });

/**
 * Prices a redemption under the voucher's pinned policy and returns the first rule that forbids it.
 * A refused evaluation carries no subsidy (subsidyFen 0, selfPayFen = feeFen), so nothing can be held from it.
 */
export function evaluateRedemption(input: EvaluationInput): Evaluation {
  const { terms, voucher, facility, provider, enterprise } = input;
  const feeFen = feeOf(facility.unitPriceFen, input.quantity);
  const facilityProvince = provinceOf(facility.provinceCode);
  const crossProvince = facilityProvince !== provinceOf(voucher.issuingRegionCode);
  const mode = modeOf(terms, input.mode);
  const category = terms.categories.find((c) => c.category === facility.category);
  const ratioBp = category ? ratioWithBonus(terms, category.ratioBp, crossProvince) : 0;
  const subsidyFen = lowered(ratioOf(feeFen, ratioBp), terms.perRedemptionCapFen, voucher.availableFen);

  const refuse = (refusal: Refusal): Evaluation => ({ mode, feeFen, ratioBp, subsidyFen: 0, selfPayFen: feeFen, crossProvince, refusal });

  // Past its last day it is VOUCHER_EXPIRED whether or not the sweep has written `expired` yet: one code for one cause.
  const expired = voucher.status === 'expired' || (voucher.status === 'active' && input.today > voucher.validUntil);
  if (voucher.status !== 'active' && !expired)
    return refuse(cataloguedRefusal('VOUCHER_NOT_ACTIVE', 'redemptions.voucherNotActive', { status: voucher.status }));
  if (expired) return refuse(cataloguedRefusal('VOUCHER_EXPIRED', 'redemptions.voucherExpired', { validUntil: voucher.validUntil }));
  if (provider.status !== 'active')
    return refuse(cataloguedRefusal('PROVIDER_NOT_ACTIVE', 'redemptions.providerNotActive', { status: provider.status }));
  if (enterprise.sanctioned || provider.sanctioned) {
    const parties = { enterprise: enterprise.creditCode, provider: provider.creditCode };
    if (!provider.sanctioned)
      return refuse(cataloguedRefusal('SANCTIONED', 'redemptions.sanctionedEnterprise', { enterprise: parties.enterprise }));
    if (!enterprise.sanctioned)
      return refuse(cataloguedRefusal('SANCTIONED', 'redemptions.sanctionedProvider', { provider: parties.provider }));
    return refuse(cataloguedRefusal('SANCTIONED', 'redemptions.sanctionedBoth', parties));
  }
  if (!terms.redemptionModes.includes(mode)) {
    // lists are passed as the English text shows them; each catalogue names and joins their terms its own way
    return refuse(cataloguedRefusal('MODE_NOT_ALLOWED', 'redemptions.modeNotAllowed', { mode, allowed: terms.redemptionModes.join(', ') }));
  }
  if (!category)
    return refuse(cataloguedRefusal('CATEGORY_NOT_COVERED', 'redemptions.categoryNotCovered', { category: facility.category }));
  if (!terms.acceptedProvinceCodes.some((code) => provinceOf(code) === facilityProvince)) {
    const accepted = terms.acceptedProvinceCodes.map(provinceOf).join(', ');
    return refuse(cataloguedRefusal('PROVINCE_NOT_ACCEPTED', 'redemptions.provinceNotAccepted', { province: facilityProvince, accepted }));
  }
  if (terms.relatedPartyBan && areRelated(enterprise, provider)) {
    return refuse(
      cataloguedRefusal('RELATED_PARTY', 'redemptions.relatedParty', { enterprise: enterprise.creditCode, provider: provider.creditCode }),
    );
  }
  if (voucher.availableFen <= 0) return refuse(cataloguedRefusal('VOUCHER_INSUFFICIENT_BALANCE', 'redemptions.noBalance'));
  if (subsidyFen <= 0) return refuse(cataloguedRefusal('VOUCHER_INSUFFICIENT_BALANCE', 'redemptions.zeroSubsidy', { feeFen, ratioBp }));
  return { mode, feeFen, ratioBp, subsidyFen, selfPayFen: feeFen - subsidyFen, crossProvince };
}

/** Facilities of one province set priced at one ratio: those at `minUnitPriceFen` or more get a subsidy. */
export interface ComparisonRun {
  /** The first two digits of the provinces (what provinceOf keeps). */
  provincePrefixes: string[];
  ratioBp: number;
  minUnitPriceFen: number;
}

/**
 * Where a comparison across provinces finds the facilities of `category` that evaluateRedemption would price without a
 * refusal, as runs a query can walk cheapest first; none when the voucher itself refuses every facility. What is left
 * for the query to exclude is per provider: a sanction in force, and a related party where the policy bans those (the
 * provider is active: the comparison lists no other).
 *
 * Why runs: under one voucher the ratio depends only on whether the facility is in the issuing province, and with one
 * ratio selfPayFen = fee − min(floor(fee × ratio), cap, available) never decreases as the fee grows (a fen more of fee
 * adds at most a fen of subsidy). So within a run the ranking (selfPayFen, feeFen, id) is the order (unit price, id),
 * and the first n of the ranking are among the first n of each run: a merge of sorted streams, not a price of all.
 */
export function comparisonRuns(input: {
  terms: PolicyTerms;
  today: string;
  voucher: EvaluationInput['voucher'];
  enterpriseSanctioned: boolean;
  category: string;
  quantity: number;
  mode?: RedemptionMode;
}): ComparisonRun[] {
  const { terms, voucher } = input;
  const category = terms.categories.find((c) => c.category === input.category);
  if (
    voucher.status !== 'active' ||
    input.today > voucher.validUntil ||
    input.enterpriseSanctioned ||
    !terms.redemptionModes.includes(modeOf(terms, input.mode)) ||
    !category ||
    voucher.availableFen <= 0 ||
    (terms.perRedemptionCapFen !== null && terms.perRedemptionCapFen <= 0)
  ) {
    return [];
  }
  const prefix = (code: string) => provinceOf(code).slice(0, 2);
  const home = prefix(voucher.issuingRegionCode);
  const accepted = [...new Set(terms.acceptedProvinceCodes.map(prefix))];
  const runs = [
    { provincePrefixes: accepted.filter((p) => p === home), ratioBp: ratioWithBonus(terms, category.ratioBp, false) },
    { provincePrefixes: accepted.filter((p) => p !== home), ratioBp: ratioWithBonus(terms, category.ratioBp, true) },
  ];
  // floor(fee × ratio / 10000) ≥ 1 exactly when unit price × quantity × ratio ≥ 10000 (integers, no rounding).
  const step = (ratioBp: number) => input.quantity * ratioBp;
  return runs
    .filter((r) => r.provincePrefixes.length > 0 && r.ratioBp > 0)
    .map((r) => ({ ...r, minUnitPriceFen: Math.floor((FULL_BP + step(r.ratioBp) - 1) / step(r.ratioBp)) }));
}

/** The comparison's ranking: what the enterprise would pay after subsidy, then the fee, then the id; refused ones last. */
export function byWhatTheEnterprisePays(
  a: { id: string; evaluation: Pick<Evaluation, 'refusal' | 'selfPayFen' | 'feeFen'> },
  b: { id: string; evaluation: Pick<Evaluation, 'refusal' | 'selfPayFen' | 'feeFen'> },
): number {
  return (
    Number(!!a.evaluation.refusal) - Number(!!b.evaluation.refusal) ||
    a.evaluation.selfPayFen - b.evaluation.selfPayFen ||
    a.evaluation.feeFen - b.evaluation.feeFen ||
    a.id.localeCompare(b.id)
  );
}

/** Recomputes the subsidy on the actual usage; it never exceeds the hold, and the rest of the hold is released. */
export function captureSubsidy(args: {
  unitPriceFen: number;
  actualQuantity: number;
  ratioBp: number;
  heldSubsidyFen: number;
  perRedemptionCapFen: number | null;
}): { feeFen: number; subsidyFen: number; selfPayFen: number; releasedFen: number } {
  const feeFen = feeOf(args.unitPriceFen, args.actualQuantity);
  const subsidyFen = lowered(ratioOf(feeFen, args.ratioBp), args.perRedemptionCapFen, args.heldSubsidyFen);
  return { feeFen, subsidyFen, selfPayFen: feeFen - subsidyFen, releasedFen: args.heldSubsidyFen - subsidyFen };
}

/** A flow of captured subsidies: a budget year's, from an issuing region to a provider's province. */
export interface FlowKey {
  budgetYear: number;
  issuingRegionCode: string;
  providerProvinceCode: string;
}

/**
 * Captures that several redemptions take back at once, summed per flow and in flow order, so that a unit changes each
 * flow's summary row once and takes the rows in one order (two units taking two of a flow's shards crosswise deadlock).
 */
export function flowChanges(captures: (FlowKey & { fen: number })[]): (FlowKey & { redemptions: number; fen: number })[] {
  const flows = new Map<string, FlowKey & { redemptions: number; fen: number }>();
  for (const c of captures) {
    const key = `${c.budgetYear}/${c.issuingRegionCode}/${c.providerProvinceCode}`;
    const flow = flows.get(key) ?? {
      budgetYear: c.budgetYear,
      issuingRegionCode: c.issuingRegionCode,
      providerProvinceCode: c.providerProvinceCode,
      redemptions: 0,
      fen: 0,
    };
    flow.redemptions++;
    flow.fen += c.fen;
    flows.set(key, flow);
  }
  return [...flows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, flow]) => flow);
}

/** A change of one facility's captured redemptions for one issuing region and budget year (facility_usage's row). */
export interface FacilityUsageChange {
  budgetYear: number;
  issuingRegionCode: string;
  facilityId: string;
  redemptions: number;
  quantity: number;
  feeFen: number;
  subsidyFen: number;
}

/** Changes of several redemptions summed per facility_usage row, in key order (the order every unit locks the rows in). */
export function facilityUsageChanges(changes: FacilityUsageChange[]): FacilityUsageChange[] {
  const rows = new Map<string, FacilityUsageChange>();
  for (const c of changes) {
    const key = `${c.budgetYear}/${c.issuingRegionCode}/${c.facilityId}`;
    const row = rows.get(key) ?? { ...c, redemptions: 0, quantity: 0, feeFen: 0, subsidyFen: 0 };
    row.redemptions += c.redemptions;
    row.quantity += c.quantity;
    row.feeFen += c.feeFen;
    row.subsidyFen += c.subsidyFen;
    rows.set(key, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row)
    .filter((r) => r.redemptions !== 0 || r.quantity !== 0 || r.feeFen !== 0 || r.subsidyFen !== 0);
}

/** What one redemption's capture (sign 1) or annulment (sign -1) changes in its facility_usage row; `redemptions` 0 for a cut. */
export const facilityUsageOf = (
  r: Pick<Redemption, 'budgetYear' | 'issuingRegionCode' | 'facilityId'>,
  sign: 1 | -1,
  captured: { quantity: number; feeFen: number; subsidyFen: number },
  redemptions: number = sign,
): FacilityUsageChange => ({
  budgetYear: r.budgetYear,
  issuingRegionCode: r.issuingRegionCode,
  facilityId: r.facilityId,
  redemptions,
  quantity: sign * captured.quantity,
  feeFen: sign * captured.feeFen,
  subsidyFen: sign * captured.subsidyFen,
});
