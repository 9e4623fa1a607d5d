import { foldFlows, percentile } from '../../src/oversight/stats.rules';

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
