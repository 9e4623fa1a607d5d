import fc from 'fast-check';
import { addDays, policyInForce, settlementPeriod, strictestDualControlFen } from '../../src/policies/policy.rules';
import { PolicyTerms } from '../../src/policies/policy.types';
import { needsSecondApproval } from '../../src/vouchers/voucher.rules';

describe('the policy version in force', () => {
  const v1 = { version: 1, effectiveFrom: '2025-01-01' };
  const v2 = { version: 2, effectiveFrom: '2026-01-01' };
  const v3 = { version: 3, effectiveFrom: '2026-07-01' };

  it('is the newest version already effective on the date', () => {
    expect(policyInForce([v1, v2, v3], '2026-06-30')).toBe(v2);
  });

  it('takes effect on its effectiveFrom day', () => {
    expect(policyInForce([v1, v2, v3], '2026-07-01')).toBe(v3);
  });

  it('ignores a version published for the future', () => {
    expect(policyInForce([v3, v1], '2026-03-15')).toBe(v1);
  });

  it('does not depend on the order versions are listed in', () => {
    expect(policyInForce([v3, v1, v2], '2026-02-01')).toBe(v2);
  });

  it('prefers the higher version when two take effect the same day', () => {
    const correction = { version: 4, effectiveFrom: '2026-01-01' };
    expect(policyInForce([correction, v2], '2026-05-01')).toBe(correction);
    expect(policyInForce([v2, correction], '2026-05-01')).toBe(correction);
  });

  it('is absent before the first version takes effect', () => {
    expect(policyInForce([v1, v2], '2024-12-31')).toBeUndefined();
    expect(policyInForce([], '2026-01-01')).toBeUndefined();
  });
});

describe('settlement periods', () => {
  it('a monthly cycle settles November 2026 as a whole month', () => {
    expect(settlementPeriod('monthly', '2026-11-24')).toEqual({ label: '2026-11', start: '2026-11-01', end: '2026-11-30' });
  });

  it('a quarterly cycle puts 24 November 2026 in Q4', () => {
    expect(settlementPeriod('quarterly', '2026-11-24')).toEqual({ label: '2026-Q4', start: '2026-10-01', end: '2026-12-31' });
  });

  it.each([
    ['2026-02-10', { label: '2026-02', start: '2026-02-01', end: '2026-02-28' }],
    ['2028-02-29', { label: '2028-02', start: '2028-02-01', end: '2028-02-29' }],
    ['2026-12-31', { label: '2026-12', start: '2026-12-01', end: '2026-12-31' }],
    ['2026-01-01', { label: '2026-01', start: '2026-01-01', end: '2026-01-31' }],
  ])('monthly period of %s', (date, period) => {
    expect(settlementPeriod('monthly', date)).toEqual(period);
  });

  it.each([
    ['2026-01-01', { label: '2026-Q1', start: '2026-01-01', end: '2026-03-31' }],
    ['2026-03-31', { label: '2026-Q1', start: '2026-01-01', end: '2026-03-31' }],
    ['2026-04-01', { label: '2026-Q2', start: '2026-04-01', end: '2026-06-30' }],
    ['2026-09-30', { label: '2026-Q3', start: '2026-07-01', end: '2026-09-30' }],
  ])('quarterly period of %s', (date, period) => {
    expect(settlementPeriod('quarterly', date)).toEqual(period);
  });
});

describe('adding days', () => {
  it.each([
    ['2026-06-15', 14, '2026-06-29'],
    ['2026-06-25', 14, '2026-07-09'],
    ['2026-12-25', 7, '2027-01-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2027-02-28', 1, '2027-03-01'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-06-15', 0, '2026-06-15'],
    ['2026-01-01', 365, '2027-01-01'],
  ])('%s plus %i days is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('does not drift with the host timezone', () => {
    const original = process.env.TZ;
    try {
      for (const tz of ['Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati']) {
        process.env.TZ = tz;
        expect(addDays('2026-03-08', 1)).toBe('2026-03-09');
        expect(settlementPeriod('monthly', '2026-11-01').start).toBe('2026-11-01');
      }
    } finally {
      process.env.TZ = original;
    }
  });
});

describe('calendar properties', () => {
  const arbitraryDate = fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));

  it('adding then subtracting the same days returns the date', () => {
    fc.assert(
      fc.property(arbitraryDate, fc.integer({ min: -2000, max: 2000 }), (date, days) => {
        expect(addDays(addDays(date, days), -days)).toBe(date);
      }),
    );
  });

  it('every date lies in its period, and the day after a period starts the next one', () => {
    fc.assert(
      fc.property(arbitraryDate, fc.constantFrom('monthly' as const, 'quarterly' as const), (date, cycle) => {
        const period = settlementPeriod(cycle, date);
        expect(period.start <= date && date <= period.end).toBe(true);
        expect(settlementPeriod(cycle, period.start)).toEqual(period);
        expect(settlementPeriod(cycle, period.end)).toEqual(period);
        const next = addDays(period.end, 1);
        expect(settlementPeriod(cycle, next).start).toBe(next);
        expect(settlementPeriod(cycle, addDays(period.start, -1)).end).toBe(addDays(period.start, -1));
      }),
    );
  });
});

/** Shanghai's terms of DOMAIN.md: 50 %, ¥500,000 a year, ¥300,000 a voucher, two reviewers from ¥200,000. */
const SHANGHAI: PolicyTerms = {
  categories: [
    { category: 'testing', ratioBp: 5000 },
    { category: 'design', ratioBp: 4000 },
  ],
  acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
  localBonusBp: 1000,
  enterpriseAnnualCapFen: 50_000_000,
  teamAnnualCapFen: 10_000_000,
  maxVoucherFen: 30_000_000,
  perRedemptionCapFen: 5_000_000,
  capByController: false,
  voucherValidityDays: 365,
  holdExpiryDays: 30,
  autoApproveMaxFen: 5_000_000,
  redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
  settlementCycle: 'quarterly',
  relatedPartyBan: true,
  confirmDays: 7,
  dualControlFen: 20_000_000,
};

describe('the dual-control threshold of an approval in flight', () => {
  const v = (dualControlFen: number) => ({ dualControlFen });

  it('is the lowest threshold that is on', () => {
    expect(strictestDualControlFen([v(25_000), v(0)])).toBe(25_000);
    expect(strictestDualControlFen([v(0), v(25_000), v(40_000)])).toBe(25_000);
    expect(strictestDualControlFen([v(40_000), v(25_000)])).toBe(25_000);
  });

  it('is off only when every version has it off', () => {
    expect(strictestDualControlFen([v(0), v(0)])).toBe(0);
    expect(strictestDualControlFen([])).toBe(0);
  });

  it('the probe: a version published with dual control off does not let one user approve a 30,021-fen claim made under 25,000', () => {
    const strictest = { ...SHANGHAI, dualControlFen: strictestDualControlFen([v(0), v(25_000)]) };
    expect(needsSecondApproval(strictest, 30_021)).toBe(true);
  });

  const thresholds = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000_000 })), { maxLength: 6 });

  it('property: it is one of the thresholds that are on, at most each of them, or 0 when none is', () => {
    fc.assert(
      fc.property(thresholds, (fens) => {
        const strictest = strictestDualControlFen(fens.map(v));
        const on = fens.filter((f) => f > 0);
        if (on.length === 0) expect(strictest).toBe(0);
        else {
          expect(on).toContain(strictest);
          for (const f of on) expect(strictest).toBeLessThanOrEqual(f);
        }
        expect(strictestDualControlFen([...fens].reverse().map(v))).toBe(strictest);
      }),
    );
  });

  it('property: no version published later turns off a second approval that an approval in flight needed', () => {
    fc.assert(
      fc.property(
        thresholds,
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000_000 })),
        fc.integer({ min: 1, max: 200_000_000 }),
        (fens, published, amountFen) => {
          const before = { ...SHANGHAI, dualControlFen: strictestDualControlFen(fens.map(v)) };
          const after = { ...SHANGHAI, dualControlFen: strictestDualControlFen([...fens, published].map(v)) };
          if (needsSecondApproval(before, amountFen)) expect(needsSecondApproval(after, amountFen)).toBe(true);
        },
      ),
    );
  });
});
