import fc from 'fast-check';
import { percent, ticks } from '../../src/documents/annual-report.layout';
import { bucketHours, flowFigures } from '../../src/reports/annual-report.rules';

describe('annual report rules', () => {
  it('prints a share to one decimal from integers, rounding half up, without overflow at the largest budgets', () => {
    expect(percent(690_000, 6_950_000)).toBe('9.9%');
    expect(percent(1, 3)).toBe('33.3%');
    expect(percent(2, 3)).toBe('66.7%');
    expect(percent(5, 10)).toBe('50.0%');
    expect(percent(0, 0)).toBe('—');
    expect(percent(9_999_999_999_999, 10_000_000_000_000)).toBe('100.0%');
  });

  it('gives axis ticks from 0 in steps of 1, 2 or 5 × 10ⁿ fen that cover the largest bar in at most six steps', () => {
    expect(ticks(0)).toEqual([0, 100]);
    expect(ticks(550_000)).toEqual([0, 200_000, 400_000, 600_000]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000_000 }), (max) => {
        const t = ticks(max);
        const step = t[1] - t[0];
        expect(t[0]).toBe(0);
        expect(t[t.length - 1]).toBeGreaterThanOrEqual(max);
        expect(t.length - 1).toBeLessThanOrEqual(6);
        expect(String(step)).toMatch(/^[125]0*$/);
        expect(t.every((v, i) => v === i * step)).toBe(true);
      }),
    );
  });

  it('counts payment times into the spans a bureau reads, the bounds inclusive', () => {
    expect(bucketHours([1, 168, 168.1, 720, 721, 2160, 2161]).map((b) => b.count)).toEqual([2, 2, 2, 1]);
    expect(bucketHours([]).map((b) => b.label)).toEqual(['7天以内', '7–30天', '30–90天', '90天以上']);
  });

  it('gives every province a flow figure, zeros included, marking the home province as not cross-province', () => {
    const flows = [
      { fromProvinceCode: '340000', toProvinceCode: '310000', count: 2, capturedFen: 550_000 },
      { fromProvinceCode: '340000', toProvinceCode: '340000', count: 1, capturedFen: 250_000 },
    ];
    expect(flowFigures(flows, 'to', '340000')).toEqual([
      { provinceCode: '310000', provinceName: '上海市', count: 2, capturedFen: 550_000, crossProvince: true },
      { provinceCode: '320000', provinceName: '江苏省', count: 0, capturedFen: 0, crossProvince: true },
      { provinceCode: '330000', provinceName: '浙江省', count: 0, capturedFen: 0, crossProvince: true },
      { provinceCode: '340000', provinceName: '安徽省', count: 1, capturedFen: 250_000, crossProvince: false },
    ]);
  });
});
