import { Refusal, RuleCode } from '../common/errors/domain-error';
import { PolicyTerms, RedemptionMode } from '../policies/policy.types';
import { provinceOfRegion } from '../regions/regions.data';

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

const PROVINCE_NAMES: Record<string, string> = {
  '310000': 'Shanghai',
  '320000': 'Jiangsu',
  '330000': 'Zhejiang',
  '340000': 'Anhui',
};

/** GB/T 2260: the first two digits name the province (the one helper of src/regions, under its older name here). */
export const provinceOf = provinceOfRegion;

const provinceLabel = (code: string) => {
  const province = provinceOf(code);
  return PROVINCE_NAMES[province] ? `${PROVINCE_NAMES[province]} (${province})` : province;
};

/** An organization and its controller: related parties are found between these groups, not single codes. */
export const partyGroup = (p: Party): string[] => (p.controllerCreditCode ? [p.creditCode, p.controllerCreditCode] : [p.creditCode]);

/**
 * Related from either side: one group controls or shares a controller with the other, or either side's related codes
 * (declared, or recorded by a bureau) name the other or its controller.
 */
export function areRelated(a: Party, b: Party): boolean {
  const [ga, gb] = [partyGroup(a), partyGroup(b)];
  return (
    ga.some((c) => gb.includes(c)) || a.relatedCreditCodes.some((c) => gb.includes(c)) || b.relatedCreditCodes.some((c) => ga.includes(c))
  );
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

/**
 * Prices a redemption under the voucher's pinned policy and returns the first rule that forbids it.
 * A refused evaluation carries no subsidy (subsidyFen 0, selfPayFen = feeFen), so nothing can be held from it.
 */
export function evaluateRedemption(input: EvaluationInput): Evaluation {
  const { terms, voucher, facility, provider, enterprise } = input;
  const feeFen = feeOf(facility.unitPriceFen, input.quantity);
  const facilityProvince = provinceOf(facility.provinceCode);
  const crossProvince = facilityProvince !== provinceOf(voucher.issuingRegionCode);
  // A policy listing no modes still yields a mode to report; the mode check below then refuses it.
  const mode =
    input.mode ??
    (terms.redemptionModes.includes('provider_redeemed') ? 'provider_redeemed' : terms.redemptionModes[0]) ??
    'provider_redeemed';
  const category = terms.categories.find((c) => c.category === facility.category);
  const ratioBp = category ? Math.min(category.ratioBp + (crossProvince ? 0 : terms.localBonusBp), FULL_BP) : 0;
  const subsidyFen = lowered(ratioOf(feeFen, ratioBp), terms.perRedemptionCapFen, voucher.availableFen);

  const refuse = (code: RuleCode, message: string): Evaluation => ({
    mode,
    feeFen,
    ratioBp,
    subsidyFen: 0,
    selfPayFen: feeFen,
    crossProvince,
    refusal: { code, message },
  });

  if (voucher.status !== 'active') {
    return refuse('VOUCHER_NOT_ACTIVE', `The voucher is ${voucher.status}, not active, so it cannot be redeemed.`);
  }
  if (input.today > voucher.validUntil) {
    return refuse('VOUCHER_EXPIRED', `The voucher expired on ${voucher.validUntil}.`);
  }
  if (provider.status !== 'active') {
    return refuse('PROVIDER_NOT_ACTIVE', `The provider is ${provider.status}, not active, so it cannot accept vouchers.`);
  }
  if (enterprise.sanctioned || provider.sanctioned) {
    const sanctioned = [
      ...(enterprise.sanctioned ? [`the enterprise ${enterprise.creditCode}`] : []),
      ...(provider.sanctioned ? [`the provider ${provider.creditCode}`] : []),
    ];
    return refuse(
      'SANCTIONED',
      `Redemption is blocked: ${sanctioned.join(' and ')} ${sanctioned.length > 1 ? 'are' : 'is'} under a credit sanction.`,
    );
  }
  if (!terms.redemptionModes.includes(mode)) {
    const allowed = terms.redemptionModes.join(', ') || 'none';
    return refuse('MODE_NOT_ALLOWED', `Redemption mode ${mode} is not allowed by the voucher's policy (allowed: ${allowed}).`);
  }
  if (!category) {
    return refuse('CATEGORY_NOT_COVERED', `The service category ${facility.category} is not covered by the voucher's policy.`);
  }
  if (!terms.acceptedProvinceCodes.some((code) => provinceOf(code) === facilityProvince)) {
    const accepted = terms.acceptedProvinceCodes.map(provinceLabel).join(', ') || 'none';
    return refuse(
      'PROVINCE_NOT_ACCEPTED',
      `Providers in ${provinceLabel(facilityProvince)} are not accepted by the voucher's policy (accepted: ${accepted}).`,
    );
  }
  if (terms.relatedPartyBan && areRelated(enterprise, provider)) {
    return refuse(
      'RELATED_PARTY',
      `The enterprise ${enterprise.creditCode} and the provider ${provider.creditCode} are related parties, and the voucher's policy bans related-party redemptions.`,
    );
  }
  if (voucher.availableFen <= 0) {
    return refuse('VOUCHER_INSUFFICIENT_BALANCE', 'The voucher has no available balance left.');
  }
  if (subsidyFen <= 0) {
    return refuse(
      'VOUCHER_INSUFFICIENT_BALANCE',
      `The subsidy on a fee of ${feeFen} fen at ${ratioBp} bp would be zero fen, so there is nothing to redeem.`,
    );
  }
  return { mode, feeFen, ratioBp, subsidyFen, selfPayFen: feeFen - subsidyFen, crossProvince };
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
