import type { ProvinceFlowFigure } from '../documents/annual-report.data';
import type { ProvinceFlow } from '../oversight/stats.rules';
import { PROVINCE_CODES, regionName } from '../regions/regions.data';

const DAY_HOURS = 24;

/** How long payment took after capture, in the spans a bureau reads against its settlement cycle; upper bounds inclusive. */
export const PAYMENT_BUCKETS: { label: string; maxHours: number }[] = [
  { label: '7天以内', maxHours: 7 * DAY_HOURS },
  { label: '7–30天', maxHours: 30 * DAY_HOURS },
  { label: '30–90天', maxHours: 90 * DAY_HOURS },
  { label: '90天以上', maxHours: Infinity },
];

/** The index of the PAYMENT_BUCKETS span a duration (hours) falls in. */
export const paymentSpan = (hours: number): number => PAYMENT_BUCKETS.findIndex((b) => hours <= b.maxHours);

/** Counts durations (hours) into PAYMENT_BUCKETS. */
export function bucketHours(hours: number[]): { label: string; count: number }[] {
  return bucketSpans(hours.map((h) => ({ span: paymentSpan(h), count: 1 })));
}

/** Adds counts already placed in spans (paymentSpan) into PAYMENT_BUCKETS. */
export function bucketSpans(rows: { span: number; count: number }[]): { label: string; count: number }[] {
  const counts = PAYMENT_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const r of rows) counts[r.span].count += r.count;
  return counts;
}

/**
 * One figure per province of the region list (zeros included, so every chart has the same four bars), from folded
 * flows: `side` picks which end of each flow is the other party; `home` is the report's province.
 */
export function flowFigures(flows: ProvinceFlow[], side: 'to' | 'from', home: string): ProvinceFlowFigure[] {
  return PROVINCE_CODES.map((code) => {
    const matching = flows.filter((f) => (side === 'to' ? f.toProvinceCode : f.fromProvinceCode) === code);
    return {
      provinceCode: code,
      provinceName: regionName(code),
      count: matching.reduce((s, f) => s + f.count, 0),
      capturedFen: matching.reduce((s, f) => s + f.capturedFen, 0),
      crossProvince: code !== home,
    };
  });
}
