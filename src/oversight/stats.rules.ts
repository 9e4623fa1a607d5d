import { provinceOfRegion } from '../regions/regions.data';
import { paymentSpan } from '../reports/annual-report.rules';

/** The 1-based nearest rank of percentile p (0..100) among n values. */
const nearestRank = (n: number, p: number) => Math.max(1, Math.ceil((p / 100) * n));

/** Nearest-rank percentile (p in 0..100) of values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[nearestRank(sorted.length, p) - 1];
}

/**
 * The same nearest-rank percentile over a histogram (values with their counts, any order): the value at which the
 * running count reaches the rank. Equal to percentile() over the expanded values.
 */
export function histogramPercentile(buckets: { value: number; count: number }[], p: number): number | null {
  const sorted = buckets.filter((b) => b.count > 0).sort((a, b) => a.value - b.value);
  const rank = nearestRank(
    sorted.reduce((n, b) => n + b.count, 0),
    p,
  );
  let seen = 0;
  for (const b of sorted) {
    seen += b.count;
    if (seen >= rank) return b.value;
  }
  return null;
}

const HOUR_MS = 3_600_000;

/** Hours from capture to payment of a paid redemption. */
export const captureToPaymentHours = (capturedAt: string, paidAt: string) => (Date.parse(paidAt) - Date.parse(capturedAt)) / HOUR_MS;

/**
 * Hours as the statistics show them, in whole tenths: round(h × 10). Rounding is monotonic, so the percentile of the
 * rounded values is the rounded percentile of the exact ones, and a histogram of tenths shows exactly what the exact
 * hours would (stats.rules.spec proves it over random inputs).
 */
export const hoursInTenths = (hours: number) => Math.round(hours * 10);

export interface FlowRow {
  issuingRegionCode: string;
  providerProvinceCode: string;
  count: number;
  capturedFen: number;
}

export interface ProvinceFlow {
  fromProvinceCode: string;
  toProvinceCode: string;
  count: number;
  capturedFen: number;
}

/** Folds flows by issuing region into issuer province × provider province, ordered by both codes. */
export function foldFlows(rows: FlowRow[]): ProvinceFlow[] {
  const byPair = new Map<string, ProvinceFlow>();
  for (const r of rows) {
    const from = provinceOfRegion(r.issuingRegionCode);
    const key = `${from}>${r.providerProvinceCode}`;
    const flow = byPair.get(key) ?? { fromProvinceCode: from, toProvinceCode: r.providerProvinceCode, count: 0, capturedFen: 0 };
    flow.count += r.count;
    flow.capturedFen += r.capturedFen;
    byPair.set(key, flow);
  }
  return [...byPair.values()].sort(
    (a, b) => a.fromProvinceCode.localeCompare(b.fromProvinceCode) || a.toProvinceCode.localeCompare(b.toProvinceCode),
  );
}

/** One row of paid_summary: paid redemptions of an issuing region's budget year with the same capture→payment time. */
export interface PaidSummaryRow {
  regionCode: string;
  budgetYear: number;
  hoursTenths: number;
  /** The annual report's payment span (PAYMENT_BUCKETS): a tenth can straddle a span's bound, so it is kept apart. */
  span: number;
  redemptions: number;
  approvedFen: number;
}

/** Redemptions of one region, budget year and capture instant: `count` of them, approvedFen their sum. */
export interface PaidGroup {
  issuingRegionCode: string;
  budgetYear: number;
  capturedAt: string;
  count: number;
  approvedFen: number;
}

/**
 * Adds what redemptions paid at `paidAt` add to the summary rows `into` (by paidSummaryKey), so that a batch read a page
 * at a time, or several batches, sum into one set of rows.
 */
export function addPaid(into: Map<string, PaidSummaryRow>, groups: PaidGroup[], paidAt: string): void {
  for (const g of groups) {
    const hours = captureToPaymentHours(g.capturedAt, paidAt);
    const row: PaidSummaryRow = {
      regionCode: g.issuingRegionCode,
      budgetYear: g.budgetYear,
      hoursTenths: hoursInTenths(hours),
      span: paymentSpan(hours),
      redemptions: 0,
      approvedFen: 0,
    };
    const key = paidSummaryKey(row);
    const sum = into.get(key) ?? row;
    sum.redemptions += g.count;
    sum.approvedFen += g.approvedFen;
    into.set(key, sum);
  }
}

/** Summary rows ordered by key: one lock order for every payment. */
export const inKeyOrder = (rows: Iterable<PaidSummaryRow>): PaidSummaryRow[] =>
  [...rows].sort(
    (a, b) => a.budgetYear - b.budgetYear || a.regionCode.localeCompare(b.regionCode) || a.hoursTenths - b.hoursTenths || a.span - b.span,
  );

export const paidSummaryKey = (r: Pick<PaidSummaryRow, 'regionCode' | 'budgetYear' | 'hoursTenths' | 'span'>) =>
  `${r.budgetYear}/${r.regionCode}/${r.hoursTenths}/${r.span}`;
