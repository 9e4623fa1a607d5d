import fc from 'fast-check';
import { translate } from '../../src/common/i18n/messages';
import { addDays, policyInForce, settlementPeriod, strictestDualControlFen, termsProblems } from '../../src/policies/policy.rules';
import { PolicyTerms, SERVICE_CATEGORIES } from '../../src/policies/policy.types';
import { evaluateRedemption } from '../../src/redemptions/redemption.rules';
import { approvesAtOnce, needsSecondApproval } from '../../src/vouchers/voucher.rules';

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
const terms = (overrides: Partial<PolicyTerms>): PolicyTerms => ({ ...SHANGHAI, ...overrides });
/** The problems as the caller reads them, in English and in Chinese. */
const said = (t: PolicyTerms) => (['en', 'zh'] as const).map((lng) => termsProblems(t).map((p) => translate(lng, p.key, p.params)));

describe('terms that contradict each other', () => {
  it('Shanghai’s terms have none', () => {
    expect(termsProblems(SHANGHAI)).toEqual([]);
  });

  it('auto-approval must stay below a dual-control threshold: at it, an approval would take two users and none', () => {
    expect(said(terms({ autoApproveMaxFen: 20_000_000 }))).toEqual([
      [
        'autoApproveMaxFen must be below dualControlFen: an approval at or above dualControlFen takes two bureau users, an automatic one none',
      ],
      ['autoApproveMaxFen：须低于 dualControlFen，因为达到 dualControlFen 的审批须两名工作人员复核，自动审批却无人复核'],
    ]);
    expect(termsProblems(terms({ autoApproveMaxFen: 25_000_000 }))).toHaveLength(1);
    expect(termsProblems(terms({ autoApproveMaxFen: 19_999_999 }))).toEqual([]);
  });

  it('any auto-approval threshold goes with dual control off (0)', () => {
    expect(termsProblems(terms({ dualControlFen: 0, autoApproveMaxFen: 30_000_000 }))).toEqual([]);
  });

  it('a voucher cap above the enterprise’s annual cap is a voucher that can never be granted', () => {
    expect(said(terms({ maxVoucherFen: 50_000_001 }))).toEqual([
      ['maxVoucherFen must not exceed enterpriseAnnualCapFen'],
      ['maxVoucherFen：不能超过 enterpriseAnnualCapFen'],
    ]);
    expect(termsProblems(terms({ maxVoucherFen: 50_000_000 }))).toEqual([]);
  });

  it('a category’s ratio with the local bonus may reach the whole fee, not pass it; each category is named', () => {
    const categories = [
      { category: 'testing' as const, ratioBp: 9000 },
      { category: 'design' as const, ratioBp: 9001 },
      { category: 'r_and_d' as const, ratioBp: 9500 },
    ];
    expect(said(terms({ categories }))).toEqual([
      [
        'categories.1.ratioBp (9001) plus localBonusBp (1000) must not exceed 10000, the whole fee',
        'categories.2.ratioBp (9500) plus localBonusBp (1000) must not exceed 10000, the whole fee',
      ],
      [
        'categories.1.ratioBp（9001）加 localBonusBp（1000）不能超过 10000，即全部费用',
        'categories.2.ratioBp（9500）加 localBonusBp（1000）不能超过 10000，即全部费用',
      ],
    ]);
    expect(termsProblems(terms({ categories, localBonusBp: 0 }))).toEqual([]);
  });

  it('names every contradiction at once', () => {
    const problems = termsProblems(terms({ autoApproveMaxFen: 40_000_000, maxVoucherFen: 60_000_000, teamAnnualCapFen: 60_000_000 }));
    expect(problems.map((p) => `${p.params.field} ${p.key}`)).toEqual([
      'autoApproveMaxFen policies.autoApproveFromDualControl',
      'maxVoucherFen validation.notAbove',
      'teamAnnualCapFen validation.notAbove',
    ]);
  });

  /**
   * Terms in the ranges publishing accepts field by field (policy.dto.ts): each threshold a share of up to 120 % of the
   * cap it sits under, so most terms agree and the rest contradict each other by a little or by a lot.
   */
  const share = fc.integer({ min: 0, max: 12_000 });
  const of = (fen: number, bp: number) => Math.floor((fen * bp) / 10_000);
  const arbitraryTerms = fc
    .record({
      ratios: fc
        .uniqueArray(fc.constantFrom(...SERVICE_CATEGORIES), { minLength: 1, maxLength: 6 })
        .chain((categories) =>
          fc.tuple(
            ...categories.map((category) =>
              fc.oneof(fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 1, max: 10000 })).map((ratioBp) => ({ category, ratioBp })),
            ),
          ),
        ),
      localBonusBp: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 10000 })),
      enterpriseAnnualCapFen: fc.integer({ min: 1, max: 100_000_000 }),
      team: fc.option(share, { nil: null }),
      max: share,
      perRedemption: fc.option(share, { nil: null }),
      auto: share,
      dual: fc.option(share, { nil: null }),
    })
    .map(({ ratios, team, max, perRedemption, auto, dual, ...rest }) => {
      const maxVoucherFen = Math.max(1, of(rest.enterpriseAnnualCapFen, max));
      return terms({
        ...rest,
        categories: ratios,
        teamAnnualCapFen: team === null ? null : Math.max(1, of(rest.enterpriseAnnualCapFen, team)),
        maxVoucherFen,
        perRedemptionCapFen: perRedemption === null ? null : Math.max(1, of(maxVoucherFen, perRedemption)),
        autoApproveMaxFen: of(maxVoucherFen, auto),
        dualControlFen: dual === null ? 0 : of(maxVoucherFen, dual),
      });
    });

  it('property: terms with no contradiction approve at once no amount that would take two reviewers', () => {
    // amounts around the thresholds: a share of up to 120 % of the auto-approval threshold, granted before likewise
    const around = (t: PolicyTerms) => fc.integer({ min: 0, max: Math.floor(t.autoApproveMaxFen * 1.2) });
    fc.assert(
      fc.property(
        arbitraryTerms.chain((t) => fc.tuple(fc.constant(t), around(t), around(t))),
        ([t, amount, grantedFen]) => {
          fc.pre(termsProblems(t).length === 0);
          const amountFen = Math.max(1, amount);
          expect(approvesAtOnce(t, grantedFen, amountFen) && needsSecondApproval(t, amountFen)).toBe(false);
        },
      ),
    );
  });

  it('property: terms are refused for dual control exactly when some amount would be approved at once by nobody while needing two', () => {
    fc.assert(
      fc.property(arbitraryTerms, (t) => {
        // the smallest amount that takes two reviewers is the threshold itself
        const bothAt = t.dualControlFen > 0 && approvesAtOnce(t, 0, t.dualControlFen) && needsSecondApproval(t, t.dualControlFen);
        expect(termsProblems(t).some((p) => p.key === 'policies.autoApproveFromDualControl')).toBe(bothAt);
      }),
    );
  });

  it('property: under terms with no contradiction, the biggest voucher fits a year and the local bonus is paid in full', () => {
    fc.assert(
      fc.property(arbitraryTerms, (t) => {
        fc.pre(termsProblems(t).length === 0);
        expect(t.maxVoucherFen).toBeLessThanOrEqual(t.enterpriseAnnualCapFen);
        for (const { category, ratioBp } of t.categories) {
          // a Shanghai voucher at a Shanghai lab: the provider is in the issuing province, so the bonus applies
          const evaluation = evaluateRedemption({
            terms: t,
            today: '2026-06-15',
            voucher: { status: 'active', availableFen: 100_000_000, validUntil: '2026-12-31', issuingRegionCode: '310000' },
            facility: { category, unitPriceFen: 10_000, provinceCode: '310000' },
            provider: {
              status: 'active',
              creditCode: '12310000425000001X',
              controllerCreditCode: null,
              relatedCreditCodes: [],
              sanctioned: false,
            },
            enterprise: { creditCode: '91310000MA1K000001', controllerCreditCode: null, relatedCreditCodes: [], sanctioned: false },
            quantity: 1,
          });
          expect(evaluation.ratioBp).toBe(ratioBp + t.localBonusBp);
        }
      }),
    );
  });
});

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
