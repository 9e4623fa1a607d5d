import fc from 'fast-check';
import { givenBackByVoucher } from '../../src/claims/claim.rules';

/** A claim's redemptions: a few vouchers, captures in fen (some 0). */
const claimed = fc
  .array(fc.record({ voucher: fc.constantFrom('v-a', 'v-b', 'v-c', 'v-d'), capturedFen: fc.integer({ min: 0, max: 2_000_000 }) }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((rs) => rs.map((r, i) => ({ id: `r-${String(i).padStart(2, '0')}`, voucherId: r.voucher, capturedFen: r.capturedFen })));
const total = (rs: { capturedFen: number }[]) => rs.reduce((s, r) => s + r.capturedFen, 0);

describe('givenBackByVoucher: what a decided claim gives back, voucher by voucher', () => {
  it('gives back, with what was approved, exactly what was claimed, fen for fen, never negative', () => {
    fc.assert(
      fc.property(
        claimed.chain((rs) => fc.tuple(fc.constant(rs), fc.integer({ min: 0, max: total(rs) }))),
        ([rs, approvedFen]) => {
          const { byVoucher, reducedShares } = givenBackByVoucher(approvedFen, rs);
          const back = byVoucher.reduce((s, [, fen]) => s + fen, 0);
          expect(back + approvedFen).toBe(total(rs));
          for (const [, fen] of byVoucher) {
            expect(Number.isInteger(fen)).toBe(true);
            expect(fen).toBeGreaterThan(0);
          }
          // Each voucher gets back no more than its redemptions captured.
          for (const [voucherId, fen] of byVoucher) {
            expect(fen).toBeLessThanOrEqual(total(rs.filter((r) => r.voucherId === voucherId)));
          }
          for (const [id, share] of reducedShares) {
            const r = rs.find((x) => x.id === id)!;
            expect(share).toBeGreaterThanOrEqual(0);
            expect(share).toBeLessThan(r.capturedFen);
          }
        },
      ),
    );
  });

  it('lists the vouchers once each, in id order (the order they are locked in)', () => {
    fc.assert(
      fc.property(claimed, fc.nat(), (rs, n) => {
        const ids = givenBackByVoucher(n % (total(rs) + 1), rs).byVoucher.map(([id]) => id);
        expect(ids).toEqual([...new Set(ids)].sort());
      }),
    );
  });

  it('a rejection for good (approved 0) gives every voucher back all its redemptions captured', () => {
    fc.assert(
      fc.property(claimed, (rs) => {
        const expected = new Map<string, number>();
        for (const r of rs) if (r.capturedFen > 0) expected.set(r.voucherId, (expected.get(r.voucherId) ?? 0) + r.capturedFen);
        expect(new Map(givenBackByVoucher(0, rs).byVoucher)).toEqual(expected);
      }),
    );
  });

  it('an approval in full gives nothing back', () => {
    fc.assert(fc.property(claimed, (rs) => expect(givenBackByVoucher(total(rs), rs)).toEqual({ byVoucher: [], reducedShares: new Map() })));
  });

  it('cuts the last redemptions first: 100,000 of 80,000 + 40,000 + 120,000 on two vouchers', () => {
    const rs = [
      { id: 'r1', voucherId: 'v-b', capturedFen: 80_000 },
      { id: 'r2', voucherId: 'v-a', capturedFen: 40_000 },
      { id: 'r3', voucherId: 'v-b', capturedFen: 120_000 },
    ];
    expect(givenBackByVoucher(100_000, rs)).toEqual({
      byVoucher: [
        ['v-a', 20_000],
        ['v-b', 120_000],
      ],
      reducedShares: new Map([
        ['r2', 20_000],
        ['r3', 0],
      ]),
    });
  });
});
