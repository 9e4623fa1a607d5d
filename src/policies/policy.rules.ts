import { SettlementCycle } from './policy.types';

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
