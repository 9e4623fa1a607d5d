import type { Refusal } from '../common/errors/domain-error';
import { hasMessage, Language, translate } from '../common/i18n/messages';
import { formatYuan } from '../documents/chinese-amount';
import { regionName } from '../regions/regions.data';
import type { EnterpriseKind } from '../organizations/organization.entity';
import type { PolicyTerms } from '../policies/policy.types';
import type { Voucher } from './voucher.entity';

/** `AH-2026-000042`: province prefix, year, a sequence of at least six digits. */
export const formatSerial = (prefix: string, year: number, n: number) => `${prefix}-${year}-${String(n).padStart(6, '0')}`;

/** Startup teams have their own (usually lower) annual cap where the policy sets one. */
export const annualCapFor = (terms: PolicyTerms, kind: EnterpriseKind | null): number =>
  kind === 'startup_team' && terms.teamAnnualCapFen !== null ? terms.teamAnnualCapFen : terms.enterpriseAnnualCapFen;

/** The annual-grant subject of an enterprise's own total: what the annual cap measures it by. */
export const enterpriseSubject = (enterpriseId: string): string => `ent:${enterpriseId}`;

/**
 * Whose annual grants an application counts toward: the enterprise itself, the group its credit code heads and the
 * group of the controller it names, in one order everywhere (so that two issuers never take the group rows crosswise).
 * Every grant counts toward all of them, whatever the policy says: a version that turns capByController on mid-year
 * then finds the group's whole year (a grant under a version without it had started the group afresh). A controller
 * that applies itself is counted in the group it heads, and naming another controller (its admin may declare one)
 * starts no fresh total for the enterprise.
 */
export function grantSubjects(enterprise: { id: string; creditCode: string; controllerCreditCode: string | null }): string[] {
  const groups = new Set([
    `ctl:${enterprise.creditCode}`,
    ...(enterprise.controllerCreditCode ? [`ctl:${enterprise.controllerCreditCode}`] : []),
  ]);
  return [enterpriseSubject(enterprise.id), ...[...groups].sort()];
}

/** The subjects whose totals the caps bind: the enterprise's, and under capByController its groups' too. */
export const cappedSubjects = (terms: Pick<PolicyTerms, 'capByController'>, subjects: string[]): string[] =>
  terms.capByController ? subjects : subjects.slice(0, 1);

/** What a voucher records as its cap subjects: the groups', space-separated, or the enterprise's alone. */
export const recordedCapSubject = (subjects: string[]): string => (subjects.length > 1 ? subjects.slice(1).join(' ') : subjects[0]);

/** The subjects a voucher's grant was counted against, in the order they are locked (grantSubjects). */
export const grantSubjectsOf = (voucher: { enterpriseId: string; capSubject: string }): string[] => {
  const own = `ent:${voucher.enterpriseId}`;
  return [own, ...voucher.capSubject.split(' ').filter((s) => s !== own)];
};

/** An annual-grant row: what a subject was granted in a region's budget year. */
export interface GrantRow {
  regionCode: string;
  year: number;
  subject: string;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The one order annual-grant rows are locked in: by region and year, every enterprise's own row before any group's, then
 * by subject. An enterprise's rows alone come in grantSubjects' order (as issuers take them), so a unit taking several
 * enterprises' rows at once (a claim's decision) takes them in an order no single-enterprise unit crosses.
 */
export const grantRowOrder = (a: GrantRow, b: GrantRow): number =>
  byText(a.regionCode, b.regionCode) ||
  a.year - b.year ||
  Number(!a.subject.startsWith('ent:')) - Number(!b.subject.startsWith('ent:')) ||
  byText(a.subject, b.subject);

/** What a voucher's grant rows are found by. */
export type GrantHolder = Pick<Voucher, 'issuingRegionCode' | 'budgetYear' | 'enterpriseId' | 'capSubject'>;

/**
 * What vouchers give back to the budget, as it leaves their annual grants: summed per grant row (zeros dropped), in
 * grantRowOrder, so that each row takes one guarded update and the rows are locked in the order every unit takes.
 */
export function grantGiveBacks(back: { voucher: GrantHolder; fen: number }[]): (GrantRow & { fen: number })[] {
  const rows = new Map<string, GrantRow & { fen: number }>();
  for (const { voucher, fen } of back) {
    if (fen === 0) continue;
    for (const subject of grantSubjectsOf(voucher)) {
      const key = JSON.stringify([voucher.issuingRegionCode, voucher.budgetYear, subject]);
      const row = rows.get(key) ?? { regionCode: voucher.issuingRegionCode, year: voucher.budgetYear, subject, fen: 0 };
      row.fen += fen;
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort(grantRowOrder);
}

/** The budgets of the vouchers, each once, by region and year: the order budgets are locked in, after the grant rows. */
export function budgetsOf(vouchers: Pick<Voucher, 'issuingRegionCode' | 'budgetYear'>[]): { regionCode: string; year: number }[] {
  const keys = new Map(
    vouchers.map((v) => [`${v.issuingRegionCode}/${v.budgetYear}`, { regionCode: v.issuingRegionCode, year: v.budgetYear }]),
  );
  return [...keys.values()].sort((a, b) => byText(a.regionCode, b.regionCode) || a.year - b.year);
}

/**
 * The annual grants the vouchers still count, summed voucher by voucher: each counts its face value less what went back
 * to the budget (released: by expiry, revocation, an approval below the capture or a subsidy returned once it closed)
 * toward each of its subjects (grantSubjectsOf), in its issuing region and budget year. What the annual_grant rows hold
 * (the ledger check compares; a migration recounted them). Kept per region and year, so that a subject's key is itself.
 */
export class GrantTally {
  private readonly byYear = new Map<string, Map<string, bigint>>();

  add(voucher: {
    issuingRegionCode: string;
    budgetYear: number;
    enterpriseId: string;
    capSubject: string;
    faceValueFen: bigint;
    releasedFen: bigint;
  }): void {
    const key = `${voucher.issuingRegionCode}|${voucher.budgetYear}`;
    let subjects = this.byYear.get(key);
    if (!subjects) this.byYear.set(key, (subjects = new Map()));
    const counted = voucher.faceValueFen - voucher.releasedFen;
    for (const subject of grantSubjectsOf(voucher)) subjects.set(subject, (subjects.get(subject) ?? 0n) + counted);
  }

  /** The subject's total, taken out of the tally (0 when no voucher counts toward it): each row is compared once. */
  take(regionCode: string, year: number, subject: string): bigint {
    const subjects = this.byYear.get(`${regionCode}|${year}`);
    const fen = subjects?.get(subject) ?? 0n;
    subjects?.delete(subject);
    return fen;
  }

  /** The totals not taken, in region, year and subject order: subjects some voucher counts toward that have no row. */
  rest(): { regionCode: string; year: number; subject: string; fen: bigint }[] {
    const rest = [...this.byYear].flatMap(([key, subjects]) => {
      const [regionCode, year] = key.split('|');
      return [...subjects].map(([subject, fen]) => ({ regionCode, year: Number(year), subject, fen }));
    });
    return rest.sort((a, b) => byText(a.regionCode, b.regionCode) || a.year - b.year || byText(a.subject, b.subject));
  }
}

export interface ApplicationFacts {
  amountFen: number;
  /** Verified by its home bureau (or named by its province's qualified list). */
  verified: boolean;
  sanctioned: boolean;
  regionCode: string;
  terms: PolicyTerms | undefined;
  kind: EnterpriseKind | null;
  /** Granted this year in the region, net of what expiry and revocation gave back: the largest of the cap subjects' totals. */
  grantedFen: number;
  /**
   * The enterprise's own share of that total (grantedFen when left out). Below it, a controller group's total binds:
   * the refusal says so, or a subsidiary granted nothing would read that it had been granted its group's total.
   */
  ownGrantedFen?: number;
  /** null when the region has no budget for the year. */
  budgetAvailableFen: number | null;
}

/** The first rule an application breaks, in DOMAIN.md's order of checks (verification and sanctions first), or null. */
export function applicationRefusal(f: ApplicationFacts): Refusal | null {
  if (!f.verified) return { code: 'ENTERPRISE_NOT_VERIFIED', message: 'the enterprise has not been verified by its home bureau yet' };
  if (f.sanctioned) return { code: 'SANCTIONED', message: 'the enterprise or its actual controller is under a credit sanction' };
  if (!f.terms) return { code: 'POLICY_NOT_FOUND', message: `no voucher policy of ${f.regionCode} or its province is in force today` };
  if (f.amountFen > f.terms.maxVoucherFen) {
    return { code: 'VOUCHER_CAP_EXCEEDED', message: `${f.amountFen} fen exceeds the per-voucher cap of ${f.terms.maxVoucherFen} fen` };
  }
  const cap = annualCapFor(f.terms, f.kind);
  if (f.grantedFen + f.amountFen > cap) {
    const own = f.ownGrantedFen ?? f.grantedFen;
    return {
      code: 'ANNUAL_CAP_EXCEEDED',
      message:
        own < f.grantedFen
          ? `${f.grantedFen} fen already granted this year to the enterprises under one actual controller, ${own} fen of it to this enterprise; ${f.amountFen} more would exceed the annual cap of ${cap} fen`
          : `${f.grantedFen} fen already granted this year; ${f.amountFen} more would exceed the annual cap of ${cap} fen`,
    };
  }
  if (f.budgetAvailableFen === null || f.budgetAvailableFen < f.amountFen) {
    return {
      code: 'BUDGET_EXHAUSTED',
      message: `the budget of ${f.regionCode} has ${f.budgetAvailableFen ?? 0} fen available, less than ${f.amountFen}`,
    };
  }
  return null;
}

/**
 * The figures of an automatic refusal, read back from the English reason applicationRefusal wrote above: the row keeps
 * that text (its audit trail) and its code, nothing else. Keep each pattern beside the message it reads.
 */
const REFUSAL_FIGURES: Partial<Record<string, RegExp>> = {
  ANNUAL_CAP_EXCEEDED_GROUP:
    /^(?<grantedFen>\d+) fen already granted this year to the enterprises under one actual controller, (?<ownFen>\d+) fen of it to this enterprise; (?<amountFen>\d+) more would exceed the annual cap of (?<capFen>\d+) fen$/,
  POLICY_NOT_FOUND: /^no voucher policy of (?<regionCode>\d{6}) or its province is in force today$/,
  VOUCHER_CAP_EXCEEDED: /^(?<amountFen>\d+) fen exceeds the per-voucher cap of (?<capFen>\d+) fen$/,
  ANNUAL_CAP_EXCEEDED:
    /^(?<grantedFen>\d+) fen already granted this year; (?<amountFen>\d+) more would exceed the annual cap of (?<capFen>\d+) fen$/,
  BUDGET_EXHAUSTED: /^the budget of (?<regionCode>\d{6}) has (?<availableFen>\d+) fen available, less than (?<amountFen>\d+)$/,
};

/** Yuan as people read them (¥700,000.00) for each `…Fen` figure, and the region's name beside its code. */
function shownFigures(figures: Record<string, string>): Record<string, string> {
  const shown: Record<string, string> = { ...figures };
  for (const [name, value] of Object.entries(figures)) if (name.endsWith('Fen')) shown[name.slice(0, -3)] = formatYuan(Number(value));
  if (figures.regionCode) shown.region = regionName(figures.regionCode);
  return shown;
}

/**
 * An application's `reason` in `lng`: a rule's refusal (it has a reasonCode) told again from its code and figures; a
 * bureau's reason as the bureau typed it. A refusal whose text no longer reads as written keeps its code's sentence.
 */
export function applicationReason(a: { reasonCode: string | null; reason: string | null }, lng: Language): string | null {
  if (!a.reasonCode || a.reason === null) return a.reason;
  // A controller group's cap tells its own sentence (its figures name the group's total and the enterprise's share).
  const group = a.reasonCode === 'ANNUAL_CAP_EXCEEDED' ? REFUSAL_FIGURES.ANNUAL_CAP_EXCEEDED_GROUP!.exec(a.reason)?.groups : undefined;
  const key = `applicationRefusals.${group ? 'ANNUAL_CAP_EXCEEDED_GROUP' : a.reasonCode}`;
  if (!hasMessage(lng, key)) return a.reason;
  const pattern = REFUSAL_FIGURES[a.reasonCode];
  const figures = group ?? (pattern ? pattern.exec(a.reason)?.groups : {});
  if (!figures)
    return lng === 'en' ? a.reason : translate(lng, 'detail', { summary: translate(lng, `errors.${a.reasonCode}`), detail: a.reason });
  return translate(lng, key, shownFigures(figures));
}

/**
 * Approved at once only while the year's running total of what the region granted this enterprise (or controller
 * group), this application included, stays within the threshold: splitting an application cannot avoid review.
 */
export const approvesAtOnce = (terms: PolicyTerms, grantedFen: number, amountFen: number): boolean =>
  grantedFen + amountFen <= terms.autoApproveMaxFen;

/** Whether an approval of `amountFen` takes two different bureau users (maker-checker, 双人复核). */
export const needsSecondApproval = (terms: Pick<PolicyTerms, 'dualControlFen'>, amountFen: number): boolean =>
  terms.dualControlFen > 0 && amountFen >= terms.dualControlFen;
