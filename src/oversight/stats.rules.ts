import { provinceOfRegion } from '../regions/regions.data';

/** Nearest-rank percentile (p in 0..100) of values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

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
