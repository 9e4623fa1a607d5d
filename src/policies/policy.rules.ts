import type { CatalogueEntry } from '../common/errors/domain-error';
import type { Policy } from './policy.entity';
import { DEFAULT_CONFIRM_DAYS, PolicyTerms, SettlementCycle } from './policy.types';

/** The version in force on a date: the latest effectiveFrom ≤ date, the higher version on a tie. */
export function policyInForce<T extends { version: number; effectiveFrom: string }>(versions: T[], date: string): T | undefined {
  let inForce: T | undefined;
  for (const v of versions) {
    if (v.effectiveFrom > date) continue;
    if (!inForce || v.effectiveFrom > inForce.effectiveFrom || (v.effectiveFrom === inForce.effectiveFrom && v.version > inForce.version)) {
      inForce = v;
    }
  }
  return inForce;
}

// Dates are calendar days: parse and format in UTC so the host timezone never shifts them.
const toUtc = (date: string) => new Date(`${date}T00:00:00Z`);
const fromUtc = (d: Date) => d.toISOString().slice(0, 10);
const ymd = (year: number, month: number, day: number) => fromUtc(new Date(Date.UTC(year, month - 1, day)));

export function addDays(date: string, days: number): string {
  const d = toUtc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return fromUtc(d);
}

/** The settlement period containing a date; `end` is its last day, inclusive. */
export function settlementPeriod(cycle: SettlementCycle, date: string): { label: string; start: string; end: string } {
  const d = toUtc(date);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  if (cycle === 'monthly') {
    return { label: date.slice(0, 7), start: ymd(year, month, 1), end: ymd(year, month + 1, 0) };
  }
  const quarter = Math.ceil(month / 3);
  const firstMonth = quarter * 3 - 2;
  return { label: `${year}-Q${quarter}`, start: ymd(year, firstMonth, 1), end: ymd(year, firstMonth + 3, 0) };
}

/** The fields a comparison of regions' policies shows side by side. */
export const COMPARED_FIELDS = [
  'effectiveFrom',
  'version',
  'categories',
  'acceptedProvinceCodes',
  'localBonusBp',
  'enterpriseAnnualCapFen',
  'teamAnnualCapFen',
  'maxVoucherFen',
  'perRedemptionCapFen',
  'capByController',
  'voucherValidityDays',
  'holdExpiryDays',
  'autoApproveMaxFen',
  'redemptionModes',
  'settlementCycle',
  'relatedPartyBan',
  'confirmDays',
  'dualControlFen',
] as const;

export type PolicyFields = Pick<Policy, 'id' | 'version' | 'regionCode' | 'effectiveFrom' | 'createdAt' | 'status'> &
  Partial<Pick<Policy, 'withdrawnAt'>> &
  PolicyTerms;

export interface PolicyComparison {
  date: string;
  regionCodes: string[];
  policies: Record<string, PolicyFields | null>;
  fields: { field: (typeof COMPARED_FIELDS)[number]; values: Record<string, unknown>; same: boolean }[];
}

/** A policy version as its fields (the terms flattened beside the version's own). */
export const policyFields = (p: Policy): PolicyFields => ({
  id: p.id,
  version: p.version,
  regionCode: p.regionCode,
  effectiveFrom: p.effectiveFrom,
  ...termsWithDefaults(p.terms),
  createdAt: p.createdAt,
  status: p.status,
  ...(p.withdrawnAt ? { withdrawnAt: p.withdrawnAt } : {}),
});

/** Terms published before confirmDays and dualControlFen existed read as the defaults. */
export const termsWithDefaults = (terms: PolicyTerms): PolicyTerms => ({
  ...terms,
  confirmDays: terms.confirmDays ?? DEFAULT_CONFIRM_DAYS,
  dualControlFen: terms.dualControlFen ?? 0,
});

/** The most a ratio with its bonus can be: 10000 bp, the whole fee. */
const FULL_RATIO_BP = 10000;

/**
 * Fields whose values contradict each other, each as the catalogue entry that names them (400), or none:
 * - a threshold above the cap it sits under (auto-approval, one redemption, a voucher, a team's year);
 * - auto-approval reaching a positive dualControlFen: an approval at or above dualControlFen takes two bureau users
 *   (needsSecondApproval), so an automatic one, which takes none, must stay below it;
 * - a category's ratio with the local bonus above the whole fee: ratioBp is the category's plus localBonusBp for a
 *   provider of the issuing province (API.md), and a subsidy cannot pay more than the fee.
 */
export function termsProblems(t: PolicyTerms): CatalogueEntry[] {
  const problems: CatalogueEntry[] = [];
  const notAbove = (field: keyof PolicyTerms, limit: keyof PolicyTerms) =>
    problems.push({ key: 'validation.notAbove', params: { field, limit } });
  if (t.autoApproveMaxFen > t.maxVoucherFen) notAbove('autoApproveMaxFen', 'maxVoucherFen');
  if (t.dualControlFen > 0 && t.autoApproveMaxFen >= t.dualControlFen)
    problems.push({ key: 'policies.autoApproveFromDualControl', params: { field: 'autoApproveMaxFen', limit: 'dualControlFen' } });
  if (t.perRedemptionCapFen !== null && t.perRedemptionCapFen > t.maxVoucherFen) notAbove('perRedemptionCapFen', 'maxVoucherFen');
  if (t.maxVoucherFen > t.enterpriseAnnualCapFen) notAbove('maxVoucherFen', 'enterpriseAnnualCapFen');
  if (t.teamAnnualCapFen !== null && t.teamAnnualCapFen > t.enterpriseAnnualCapFen) notAbove('teamAnnualCapFen', 'enterpriseAnnualCapFen');
  t.categories.forEach(({ ratioBp }, i) => {
    if (ratioBp + t.localBonusBp > FULL_RATIO_BP)
      problems.push({
        key: 'policies.ratioWithBonusAboveFull',
        params: { field: `categories.${i}.ratioBp`, ratioBp, localBonusBp: t.localBonusBp },
      });
  });
  return problems;
}

/**
 * The dualControlFen an approval answers to among several versions: the lowest positive one, 0 (off) only when every
 * version has it off. Taking the strictest means no version published later, by one bureau user alone, can lower
 * the threshold for an application or a claim already in flight.
 */
export const strictestDualControlFen = (versions: readonly Pick<PolicyTerms, 'dualControlFen'>[]): number =>
  versions.reduce((strictest, { dualControlFen: fen }) => (fen > 0 && (strictest === 0 || fen < strictest) ? fen : strictest), 0);

/** The regions' policies in force side by side, field by field, each field marked when every region agrees. */
export function comparePolicies(date: string, inForce: readonly (readonly [string, Policy | undefined])[]): PolicyComparison {
  const policies = Object.fromEntries(inForce.map(([code, p]) => [code, p ? policyFields(p) : null]));
  const regionCodes = inForce.map(([code]) => code);
  const fields = COMPARED_FIELDS.map((field) => {
    const values = Object.fromEntries(regionCodes.map((code) => [code, policies[code]?.[field] ?? null]));
    const distinct = new Set(Object.values(values).map((v) => JSON.stringify(v)));
    return { field, values, same: distinct.size === 1 };
  });
  return { date, regionCodes, policies, fields };
}
