import fc from 'fast-check';
import { bucketHours, bucketSpans } from '../../src/reports/annual-report.rules';
import { addPaid, foldFlows, histogramPercentile, inKeyOrder, PaidSummaryRow, percentile } from '../../src/oversight/stats.rules';

describe('percentile (nearest rank)', () => {
  it('gives the median and p90 of payment delays', () => {
    const hours = [72, 24, 48, 96, 120, 240, 12, 36, 60, 500];
    expect(percentile(hours, 50)).toBe(60);
    expect(percentile(hours, 90)).toBe(240);
    expect(percentile(hours, 100)).toBe(500);
  });

  it('is null without data and the value itself for one', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
  });
});

describe('flows by province', () => {
  it('folds Hefei and the Anhui province into one issuer, keeps provider provinces apart', () => {
    const flows = foldFlows([
      { issuingRegionCode: '340100', providerProvinceCode: '310000', count: 2, capturedFen: 80_000 },
      { issuingRegionCode: '340000', providerProvinceCode: '310000', count: 1, capturedFen: 20_000 },
      { issuingRegionCode: '340100', providerProvinceCode: '340000', count: 1, capturedFen: 5_000 },
      { issuingRegionCode: '320500', providerProvinceCode: '310000', count: 3, capturedFen: 1 },
    ]);
    expect(flows).toEqual([
      { fromProvinceCode: '320000', toProvinceCode: '310000', count: 3, capturedFen: 1 },
      { fromProvinceCode: '340000', toProvinceCode: '310000', count: 3, capturedFen: 100_000 },
      { fromProvinceCode: '340000', toProvinceCode: '340000', count: 1, capturedFen: 5_000 },
    ]);
  });
});

describe('paid figures from the summary (tenths of an hour) show what the exact hours show', () => {
  const DAY = 86_400_000;
  const instant = (ms: number) => new Date(ms).toISOString();
  // Captures across a year, paid up to 200 days later, to the millisecond; bounds of tenths and spans drawn on purpose.
  const delay = fc.oneof(
    fc.integer({ min: 0, max: 200 * DAY }),
    fc.integer({ min: 0, max: 5_000 }).map((t) => t * 360_000 + 180_000 + (t % 3) - 1),
    fc.constantFrom(168, 720, 2160).chain((h) => fc.integer({ min: -200_000, max: 200_000 }).map((d) => h * 3_600_000 + d)),
  );
  const paidRedemption = fc.record({
    capturedMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }),
    delayMs: delay,
    approvedFen: fc.integer({ min: 0, max: 50_000_000 }),
  });

  it('median, p90, count, sum and the report spans equal the exact computation over random payments', () => {
    fc.assert(
      fc.property(fc.array(fc.array(paidRedemption, { minLength: 0, maxLength: 40 }), { minLength: 0, maxLength: 4 }), (batches) => {
        // Several batches paid at different instants, each adding to the same summary rows.
        const summary = new Map<string, PaidSummaryRow>();
        const exactHours: number[] = [];
        let exactFen = 0;
        for (const batch of batches) {
          const paidMs = Math.max(0, ...batch.map((r) => r.capturedMs + r.delayMs));
          const paidAt = instant(paidMs);
          const redemptions = batch.map((r) => ({
            issuingRegionCode: '340100',
            budgetYear: 2026,
            capturedAt: instant(paidMs - r.delayMs),
            count: 1,
            approvedFen: r.approvedFen,
          }));
          for (const r of redemptions) {
            exactHours.push((Date.parse(paidAt) - Date.parse(r.capturedAt)) / 3_600_000);
            exactFen += r.approvedFen;
          }
          addPaid(summary, redemptions, paidAt);
        }
        const rows = [...summary.values()];
        const tenths = rows.map((r) => ({ value: r.hoursTenths, count: r.redemptions }));
        // What the statistics showed before the summary: the exact percentile, rounded to 0.1 h.
        const round = (h: number | null) => (h === null ? null : Math.round(h * 10) / 10);
        const shown = (t: number | null) => (t === null ? null : t / 10);
        for (const p of [50, 90]) expect(shown(histogramPercentile(tenths, p))).toBe(round(percentile(exactHours, p)));
        expect(rows.reduce((n, r) => n + r.redemptions, 0)).toBe(exactHours.length);
        expect(rows.reduce((n, r) => n + r.approvedFen, 0)).toBe(exactFen);
        expect(bucketSpans(rows.map((r) => ({ span: r.span, count: r.redemptions })))).toEqual(bucketHours(exactHours));
      }),
      { numRuns: 2_000 },
    );
  });

  it('sums a batch read a page at a time into the rows it makes read at once', () => {
    fc.assert(
      fc.property(fc.array(paidRedemption, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (batch, perPage) => {
        const paidMs = Math.max(0, ...batch.map((r) => r.capturedMs + r.delayMs));
        const groups = batch.map((r, i) => ({
          issuingRegionCode: i % 3 === 0 ? '320500' : '340100',
          budgetYear: 2025 + (i % 2),
          capturedAt: instant(paidMs - r.delayMs),
          count: 1 + (i % 4),
          approvedFen: r.approvedFen,
        }));
        const [whole, paged] = [new Map<string, PaidSummaryRow>(), new Map<string, PaidSummaryRow>()];
        addPaid(whole, groups, instant(paidMs));
        for (let i = 0; i < groups.length; i += perPage) addPaid(paged, groups.slice(i, i + perPage), instant(paidMs));
        expect(inKeyOrder(paged.values())).toEqual(inKeyOrder(whole.values()));
        expect(inKeyOrder(whole.values()).reduce((n, r) => n + r.redemptions, 0)).toBe(groups.reduce((n, g) => n + g.count, 0));
      }),
    );
  });

  it('histogramPercentile is percentile over the expanded values', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 60 }), fc.integer({ min: 0, max: 100 }), (values, p) => {
        const counts = new Map<number, number>();
        for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
        const buckets = [...counts].map(([value, count]) => ({ value, count }));
        expect(histogramPercentile(buckets, p)).toBe(percentile(values, p));
      }),
    );
  });
});
