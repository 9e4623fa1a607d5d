import fc from 'fast-check';
import { clear, Flow, uncoveredBefore } from '../../src/clearing/netting';

const SH = '310000';
const JS = '320000';
const ZJ = '330000';
const AH = '340000';

const flow = (fromProvinceCode: string, toProvinceCode: string, amountFen: number): Flow => ({
  fromProvinceCode,
  toProvinceCode,
  amountFen,
});

describe('clearing across provinces', () => {
  it('Anhui owes Shanghai 1,000 yuan, Shanghai owes Anhui 300: one transfer of 700 settles both', () => {
    expect(clear([flow(AH, SH, 100_000), flow(SH, AH, 30_000)])).toEqual({
      gross: [flow(SH, AH, 30_000), flow(AH, SH, 100_000)],
      net: [
        { provinceCode: SH, netFen: 70_000 },
        { provinceCode: AH, netFen: -70_000 },
      ],
      transfers: [flow(AH, SH, 70_000)],
    });
  });

  it('aggregates many settlement lines of the same pair into one gross flow', () => {
    const { gross } = clear([flow(AH, SH, 100), flow(ZJ, SH, 5), flow(AH, SH, 250)]);
    expect(gross).toEqual([flow(ZJ, SH, 5), flow(AH, SH, 350)]);
  });

  it('shows intra-province flows in gross but they cancel in the net position', () => {
    const result = clear([flow(JS, JS, 80_000), flow(JS, ZJ, 20_000)]);
    expect(result.gross).toEqual([flow(JS, JS, 80_000), flow(JS, ZJ, 20_000)]);
    expect(result.net).toEqual([
      { provinceCode: JS, netFen: -20_000 },
      { provinceCode: ZJ, netFen: 20_000 },
    ]);
    expect(result.transfers).toEqual([flow(JS, ZJ, 20_000)]);
  });

  it('a province with only intra-province flows has a zero position and no transfer', () => {
    expect(clear([flow(SH, SH, 5_000)])).toEqual({
      gross: [flow(SH, SH, 5_000)],
      net: [{ provinceCode: SH, netFen: 0 }],
      transfers: [],
    });
  });

  it('drops zero gross flows but still lists the provinces', () => {
    const result = clear([flow(AH, ZJ, 0)]);
    expect(result.gross).toEqual([]);
    expect(result.net).toEqual([
      { provinceCode: ZJ, netFen: 0 },
      { provinceCode: AH, netFen: 0 },
    ]);
    expect(result.transfers).toEqual([]);
  });

  it('a period without settlements clears to nothing', () => {
    expect(clear([])).toEqual({ gross: [], net: [], transfers: [] });
  });

  it('circular debts of the three provinces and Shanghai cancel out entirely', () => {
    const result = clear([flow(SH, JS, 500), flow(JS, ZJ, 500), flow(ZJ, AH, 500), flow(AH, SH, 500)]);
    expect(result.gross).toHaveLength(4);
    expect(result.net.every((p) => p.netFen === 0)).toBe(true);
    expect(result.transfers).toEqual([]);
  });

  it('settles four provinces with at most three transfers, largest debtor to largest creditor first', () => {
    // Positions: Shanghai +900, Jiangsu +100, Zhejiang −400, Anhui −600.
    const result = clear([flow(AH, SH, 600), flow(ZJ, SH, 300), flow(ZJ, JS, 100)]);
    expect(result.net).toEqual([
      { provinceCode: SH, netFen: 900 },
      { provinceCode: JS, netFen: 100 },
      { provinceCode: ZJ, netFen: -400 },
      { provinceCode: AH, netFen: -600 },
    ]);
    expect(result.transfers).toEqual([flow(AH, SH, 600), flow(ZJ, SH, 300), flow(ZJ, JS, 100)]);
  });

  it('breaks ties between equal positions by province code', () => {
    const result = clear([flow(AH, JS, 100), flow(ZJ, SH, 100)]);
    expect(result.transfers).toEqual([flow(ZJ, SH, 100), flow(AH, JS, 100)]);
  });

  it('sums beyond the safe-integer range of one flow stay exact', () => {
    const big = 2 ** 52;
    const result = clear([flow(AH, SH, big), flow(AH, SH, big), flow(SH, AH, big)]);
    expect(result.gross).toEqual([flow(SH, AH, big), flow(AH, SH, 2 * big)]);
    expect(result.transfers).toEqual([flow(AH, SH, big)]);
  });
});

describe('clearing properties', () => {
  const provinces = ['310000', '320000', '330000', '340000', '350000', '360000', '370000'];
  const arbitraryFlows = fc.array(
    fc.record({
      fromProvinceCode: fc.constantFrom(...provinces),
      toProvinceCode: fc.constantFrom(...provinces),
      amountFen: fc.integer({ min: 0, max: 1_000_000_000_000 }),
    }),
    { maxLength: 40 },
  );

  it('net positions sum to zero and equal what each province received less what it paid', () => {
    fc.assert(
      fc.property(arbitraryFlows, (flows) => {
        const { net } = clear(flows);
        expect(net.reduce((sum, p) => sum + p.netFen, 0)).toBe(0);
        for (const { provinceCode, netFen } of net) {
          const received = flows.filter((f) => f.toProvinceCode === provinceCode).reduce((s, f) => s + f.amountFen, 0);
          const paid = flows.filter((f) => f.fromProvinceCode === provinceCode).reduce((s, f) => s + f.amountFen, 0);
          expect(netFen).toBe(received - paid);
        }
        const seen = new Set(flows.flatMap((f) => [f.fromProvinceCode, f.toProvinceCode]));
        expect(net.map((p) => p.provinceCode)).toEqual([...seen].sort());
      }),
    );
  });

  it('gross flows preserve every fen of every pair', () => {
    fc.assert(
      fc.property(arbitraryFlows, (flows) => {
        const { gross } = clear(flows);
        expect(gross.reduce((s, f) => s + f.amountFen, 0)).toBe(flows.reduce((s, f) => s + f.amountFen, 0));
        expect(gross.every((f) => f.amountFen > 0)).toBe(true);
        const pairs = gross.map((f) => `${f.fromProvinceCode}>${f.toProvinceCode}`);
        expect(pairs).toEqual([...new Set(pairs)].sort());
      }),
    );
  });

  it('transfers settle every position exactly, debtors paying creditors, in at most n−1 positive transfers', () => {
    fc.assert(
      fc.property(arbitraryFlows, (flows) => {
        const { net, transfers } = clear(flows);
        for (const { provinceCode, netFen } of net) {
          const transferredIn = transfers.filter((t) => t.toProvinceCode === provinceCode).reduce((s, t) => s + t.amountFen, 0);
          const transferredOut = transfers.filter((t) => t.fromProvinceCode === provinceCode).reduce((s, t) => s + t.amountFen, 0);
          expect(transferredIn - transferredOut).toBe(netFen);
          if (netFen < 0) expect(transferredIn).toBe(0);
          if (netFen > 0) expect(transferredOut).toBe(0);
        }
        const nonZero = net.filter((p) => p.netFen !== 0).length;
        expect(transfers.length).toBeLessThanOrEqual(Math.max(0, nonZero - 1));
        expect(transfers.every((t) => t.amountFen > 0 && t.fromProvinceCode !== t.toProvinceCode)).toBe(true);
      }),
    );
  });

  it('the same flows in any order clear identically', () => {
    fc.assert(
      fc.property(
        arbitraryFlows.chain((flows) =>
          fc.tuple(fc.constant(flows), fc.shuffledSubarray(flows, { minLength: flows.length, maxLength: flows.length })),
        ),
        ([flows, shuffled]) => {
          expect(clear(shuffled)).toEqual(clear(flows));
        },
      ),
    );
  });
});

describe('uncoveredBefore: the days before a run’s period that no standing run covers', () => {
  it('with no run, every day before `from`', () => {
    expect(uncoveredBefore('2026-07-01', [])).toEqual([{ start: null, end: '2026-07-01' }]);
  });

  it('Q3 after Q1 leaves Q2 uncovered; Q2 recorded, nothing', () => {
    const q1 = { from: '2026-01-01', to: '2026-03-31' };
    expect(uncoveredBefore('2026-07-01', [q1])).toEqual([
      { start: null, end: '2026-01-01' },
      { start: '2026-04-01', end: '2026-07-01' },
    ]);
    expect(uncoveredBefore('2026-07-01', [{ from: '2026-04-01', to: '2026-06-30' }, q1])).toEqual([{ start: null, end: '2026-01-01' }]);
  });

  it('overlapping and nested periods cover their union; a period reaching past `from` covers up to it', () => {
    const periods = [
      { from: '2026-01-01', to: '2026-02-15' },
      { from: '2026-01-10', to: '2026-01-20' },
      { from: '2026-02-01', to: '2026-03-31' },
      { from: '2026-04-02', to: '2026-08-31' },
    ];
    expect(uncoveredBefore('2026-07-01', periods)).toEqual([
      { start: null, end: '2026-01-01' },
      { start: '2026-04-01', end: '2026-04-02' },
    ]);
  });

  it('periods starting on or after `from` cover nothing before it', () => {
    expect(uncoveredBefore('2026-07-01', [{ from: '2026-07-01', to: '2026-07-31' }])).toEqual([{ start: null, end: '2026-07-01' }]);
  });
});
