import fc from 'fast-check';
import { facilityUsageChanges, flowChanges } from '../../src/redemptions/redemption.rules';
import {
  budgetsOf,
  grantGiveBacks,
  GrantRow,
  grantRowOrder,
  grantSubjects,
  grantSubjectsOf,
  recordedCapSubject,
} from '../../src/vouchers/voucher.rules';

/** A few of each, so that generated enterprises share controllers and vouchers share enterprises. */
const ids = ['0190a1b2-0000-7000-8000-000000000001', '0190a1b2-0000-7000-8000-000000000002', '0190a1b2-0000-7000-8000-00000000000a'];
const codes = ['91340100MA2N0000XA', '91310000MA1FL4T01X', '91320500MA1Z000001', '12340000MB0000000Y'];
const enterprise = fc.record({
  id: fc.constantFrom(...ids),
  creditCode: fc.constantFrom(...codes),
  controllerCreditCode: fc.option(fc.constantFrom(...codes), { nil: null }),
});
/** A voucher as issued to a generated enterprise (VoucherIssuer records recordedCapSubject of its grantSubjects). */
const voucher = fc.record({ e: enterprise, region: fc.constantFrom('340100', '320300'), year: fc.constantFrom(2025, 2026) }).map((v) => ({
  issuingRegionCode: v.region,
  budgetYear: v.year,
  enterpriseId: v.e.id,
  capSubject: recordedCapSubject(grantSubjects(v.e)),
}));
const backs = fc.array(fc.record({ voucher, fen: fc.integer({ min: 0, max: 1_000_000 }) }), { maxLength: 12 });
const rowKey = (r: GrantRow) => `${r.regionCode}/${r.year}/${r.subject}`;

describe('the order grant rows are locked in (grantRowOrder)', () => {
  it('is the order an issuer takes one enterprise’s rows in (grantSubjects), and a closing one voucher’s (grantSubjectsOf)', () => {
    fc.assert(
      fc.property(enterprise, fc.constantFrom('340100', '320300'), (e, regionCode) => {
        const rows = grantSubjects(e).map((subject) => ({ regionCode, year: 2026, subject }));
        expect([...rows].sort(grantRowOrder)).toEqual(rows);
        const closing = grantSubjectsOf({ enterpriseId: e.id, capSubject: recordedCapSubject(grantSubjects(e)) });
        expect(closing).toEqual(grantSubjects(e));
      }),
    );
  });

  it('puts every enterprise’s own row before any group’s, although "ctl:" sorts before "ent:" as text', () => {
    const rows = ['ctl:B', 'ent:2', 'ctl:A', 'ent:1'].map((subject) => ({ regionCode: '340100', year: 2026, subject }));
    expect(rows.sort(grantRowOrder).map((r) => r.subject)).toEqual(['ent:1', 'ent:2', 'ctl:A', 'ctl:B']);
  });
});

describe('what vouchers give back to their annual grants (grantGiveBacks)', () => {
  it('an example: two enterprises of one group give back to their own rows and, summed, to the group’s, in lock order', () => {
    const a = { issuingRegionCode: '340100', budgetYear: 2026, enterpriseId: 'b', capSubject: 'ctl:G ctl:Y' };
    const b = { issuingRegionCode: '340100', budgetYear: 2026, enterpriseId: 'a', capSubject: 'ctl:G ctl:X' };
    expect(
      grantGiveBacks([
        { voucher: a, fen: 10_000 },
        { voucher: b, fen: 40_000 },
        { voucher: a, fen: 0 },
      ]).map((r) => [r.subject, r.fen]),
    ).toEqual([
      ['ent:a', 40_000],
      ['ent:b', 10_000],
      ['ctl:G', 50_000],
      ['ctl:X', 40_000],
      ['ctl:Y', 10_000],
    ]);
  });

  it('gives each grant row what its vouchers give back, once, in grantRowOrder, whatever order the vouchers come in', () => {
    fc.assert(
      fc.property(
        backs.chain((back) => fc.tuple(fc.constant(back), fc.shuffledSubarray(back, { minLength: back.length }))),
        ([back, shuffled]) => {
          const rows = grantGiveBacks(back);
          const expected = new Map<string, number>();
          for (const { voucher: v, fen } of back) {
            for (const subject of grantSubjectsOf(v)) {
              const key = rowKey({ regionCode: v.issuingRegionCode, year: v.budgetYear, subject });
              expected.set(key, (expected.get(key) ?? 0) + fen);
            }
          }
          for (const [key, fen] of expected) if (fen === 0) expected.delete(key);
          expect(new Map(rows.map((r) => [rowKey(r), r.fen]))).toEqual(expected);
          expect(rows).toHaveLength(expected.size);
          expect([...rows].sort(grantRowOrder)).toEqual(rows);
          expect(grantGiveBacks(shuffled)).toEqual(rows);
        },
      ),
    );
  });

  it('never takes two rows crosswise: rows that two units both touch come in the same order in both', () => {
    fc.assert(
      fc.property(backs, backs, (one, other) => {
        const a = grantGiveBacks(one).map(rowKey);
        const b = grantGiveBacks(other).map(rowKey);
        const shared = a.filter((k) => b.includes(k));
        expect(b.filter((k) => shared.includes(k))).toEqual(shared);
      }),
    );
  });
});

describe('the budgets vouchers give back to (budgetsOf)', () => {
  it('names each budget once, by region and year', () => {
    fc.assert(
      fc.property(fc.array(voucher, { maxLength: 10 }), (vouchers) => {
        const budgets = budgetsOf(vouchers).map((b) => `${b.regionCode}/${b.year}`);
        expect(budgets).toEqual([...new Set(vouchers.map((v) => `${v.issuingRegionCode}/${v.budgetYear}`))].sort());
      }),
    );
  });
});

describe('the captured flows a claim rejected for good takes back (flowChanges)', () => {
  const capture = fc.record({
    budgetYear: fc.constantFrom(2025, 2026),
    issuingRegionCode: fc.constantFrom('340100', '320300'),
    providerProvinceCode: fc.constantFrom('310000', '320000'),
    fen: fc.integer({ min: 0, max: 100_000 }),
  });

  it('changes each flow once, by what its redemptions captured, in key order', () => {
    fc.assert(
      fc.property(fc.array(capture, { maxLength: 12 }), (captures) => {
        const flows = flowChanges(captures);
        const key = (f: { budgetYear: number; issuingRegionCode: string; providerProvinceCode: string }) =>
          `${f.budgetYear}/${f.issuingRegionCode}/${f.providerProvinceCode}`;
        expect(flows.map(key)).toEqual([...new Set(captures.map(key))].sort());
        for (const f of flows) {
          const mine = captures.filter((c) => key(c) === key(f));
          expect([f.redemptions, f.fen]).toEqual([mine.length, mine.reduce((sum, c) => sum + c.fen, 0)]);
        }
      }),
    );
  });
});

describe('the facility usage a unit changes (facilityUsageChanges)', () => {
  const change = fc.record({
    budgetYear: fc.constantFrom(2025, 2026),
    issuingRegionCode: fc.constantFrom('340100', '320300'),
    facilityId: fc.constantFrom('a', 'b', 'c'),
    redemptions: fc.constantFrom(-1, 0, 1),
    quantity: fc.integer({ min: -10, max: 10 }),
    feeFen: fc.integer({ min: -100_000, max: 100_000 }),
    subsidyFen: fc.integer({ min: -50_000, max: 50_000 }),
  });

  it('sums each row’s changes once, in key order, and leaves out a row that nets to nothing', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 12 }), (changes) => {
        const rows = facilityUsageChanges(changes);
        const key = (c: { budgetYear: number; issuingRegionCode: string; facilityId: string }) =>
          `${c.budgetYear}/${c.issuingRegionCode}/${c.facilityId}`;
        expect(rows.map(key)).toEqual([...rows.map(key)].sort());
        const sum = (k: string) =>
          changes
            .filter((c) => key(c) === k)
            .reduce((s, c) => [s[0] + c.redemptions, s[1] + c.quantity, s[2] + c.feeFen, s[3] + c.subsidyFen], [0, 0, 0, 0]);
        for (const k of new Set(changes.map(key))) {
          const row = rows.find((r) => key(r) === k);
          expect(row ? [row.redemptions, row.quantity, row.feeFen, row.subsidyFen] : [0, 0, 0, 0]).toEqual(sum(k));
        }
      }),
    );
  });
});
