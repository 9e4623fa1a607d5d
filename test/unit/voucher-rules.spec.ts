import fc from 'fast-check';
import type { PolicyTerms } from '../../src/policies/policy.types';
import {
  annualCapFor,
  ApplicationFacts,
  applicationReason,
  applicationRefusal,
  approvesAtOnce,
  cappedSubjects,
  grantSubjects,
  grantSubjectsOf,
  GrantTally,
  recordedCapSubject,
  formatSerial,
  needsSecondApproval,
} from '../../src/vouchers/voucher.rules';

const terms = (overrides: Partial<PolicyTerms> = {}): PolicyTerms => ({
  categories: [{ category: 'testing', ratioBp: 5000 }],
  acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
  localBonusBp: 0,
  enterpriseAnnualCapFen: 50_000_000,
  teamAnnualCapFen: 10_000_000,
  maxVoucherFen: 30_000_000,
  perRedemptionCapFen: null,
  capByController: false,
  voucherValidityDays: 365,
  holdExpiryDays: 30,
  autoApproveMaxFen: 5_000_000,
  redemptionModes: ['provider_redeemed'],
  settlementCycle: 'quarterly',
  relatedPartyBan: true,
  confirmDays: 7,
  dualControlFen: 0,
  ...overrides,
});

describe('formatSerial', () => {
  it('writes province prefix, year and a six-digit sequence', () => {
    expect(formatSerial('AH', 2026, 42)).toBe('AH-2026-000042');
    expect(formatSerial('SH', 2027, 1)).toBe('SH-2027-000001');
    expect(formatSerial('JS', 2026, 999_999)).toBe('JS-2026-999999');
  });

  it('grows past six digits rather than wrapping, so serials stay unique', () => {
    expect(formatSerial('ZJ', 2026, 1_000_000)).toBe('ZJ-2026-1000000');
  });

  it('gives every sequence number its own serial, in the AH-2026-000042 shape up to a million', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 1, max: 999_999 }), (a, b) => {
        expect(formatSerial('AH', 2026, a)).toMatch(/^AH-2026-\d{6}$/);
        expect(formatSerial('AH', 2026, a) === formatSerial('AH', 2026, b)).toBe(a === b);
        expect(Number(formatSerial('AH', 2026, a).slice(-6))).toBe(a);
      }),
    );
  });
});

describe('annualCapFor', () => {
  it('gives startup teams the team cap where the policy sets one', () => {
    expect(annualCapFor(terms(), 'startup_team')).toBe(10_000_000);
  });

  it('falls back to the enterprise cap for startup teams when the policy sets no team cap', () => {
    expect(annualCapFor(terms({ teamAnnualCapFen: null }), 'startup_team')).toBe(50_000_000);
  });

  it.each(['tech_sme', 'high_tech', null] as const)('gives %s the enterprise cap', (kind) => {
    expect(annualCapFor(terms(), kind)).toBe(50_000_000);
  });
});

describe('grantSubjects and cappedSubjects', () => {
  const A = '91310000MA1FL4T01X';
  const B = '91340100MA2T8XQ30C';
  const enterprise = { id: 'e-1', creditCode: B, controllerCreditCode: A };

  it('counts every grant toward the enterprise, the group it heads and its controller’s, in code order', () => {
    expect(grantSubjects(enterprise)).toEqual(['ent:e-1', `ctl:${A}`, `ctl:${B}`]);
    expect(grantSubjects({ id: 'e-2', creditCode: A, controllerCreditCode: B })).toEqual(['ent:e-2', `ctl:${A}`, `ctl:${B}`]);
  });

  it('a controller that applies itself is counted in the group it heads', () => {
    expect(grantSubjects({ id: 'e-3', creditCode: A, controllerCreditCode: null })).toEqual(['ent:e-3', `ctl:${A}`]);
  });

  it('the caps bind the enterprise alone by default, and its groups too under capByController', () => {
    const subjects = grantSubjects(enterprise);
    expect(cappedSubjects(terms(), subjects)).toEqual(['ent:e-1']);
    expect(cappedSubjects(terms({ capByController: true }), subjects)).toEqual(subjects);
  });
});

describe('grantSubjectsOf', () => {
  it('gives back to the enterprise, and to the groups the voucher recorded (older vouchers recorded one)', () => {
    expect(grantSubjectsOf({ enterpriseId: 'e-1', capSubject: 'ent:e-1' })).toEqual(['ent:e-1']);
    expect(grantSubjectsOf({ enterpriseId: 'e-1', capSubject: 'ctl:91310000MA1FL4T01X' })).toEqual(['ent:e-1', 'ctl:91310000MA1FL4T01X']);
  });

  it('gives back to the subjects an issue counted against, in the order they were locked (property)', () => {
    const code = fc.constantFrom('91310000MA1FL4T01X', '91340100MA2T8XQ30C', '91320500MA1N7K5L2P');
    fc.assert(
      fc.property(code, fc.option(code, { nil: null }), (creditCode, controllerCreditCode) => {
        const subjects = grantSubjects({ id: 'e-9', creditCode, controllerCreditCode });
        expect(grantSubjectsOf({ enterpriseId: 'e-9', capSubject: recordedCapSubject(subjects) })).toEqual(subjects);
        expect(recordedCapSubject(subjects).length).toBeLessThanOrEqual(60); // the column
      }),
    );
  });
});

describe('GrantTally: what the annual grants should hold', () => {
  const voucher = (v: { region?: string; year?: number; enterpriseId: string; capSubject: string; face: number; released: number }) => ({
    issuingRegionCode: v.region ?? '310000',
    budgetYear: v.year ?? 2026,
    enterpriseId: v.enterpriseId,
    capSubject: v.capSubject,
    faceValueFen: BigInt(v.face),
    releasedFen: BigInt(v.released),
  });

  it('counts each voucher’s face value less released toward the enterprise and every group it recorded, per region and year', () => {
    const tally = new GrantTally();
    tally.add(voucher({ enterpriseId: 'e-1', capSubject: 'ctl:A ctl:B', face: 500_000, released: 120_000 }));
    tally.add(voucher({ enterpriseId: 'e-2', capSubject: 'ctl:B', face: 300_000, released: 0 }));
    tally.add(voucher({ enterpriseId: 'e-1', capSubject: 'ctl:A ctl:B', face: 100_000, released: 100_000 }));
    tally.add(voucher({ region: '340100', enterpriseId: 'e-1', capSubject: 'ctl:A ctl:B', face: 70_000, released: 0 }));
    tally.add(voucher({ year: 2025, enterpriseId: 'e-2', capSubject: 'ent:e-2', face: 9, released: 4 }));
    expect(tally.take('310000', 2026, 'ent:e-1')).toBe(380_000n);
    expect(tally.take('310000', 2026, 'ctl:A')).toBe(380_000n);
    expect(tally.take('310000', 2026, 'ctl:B')).toBe(680_000n);
    expect(tally.take('310000', 2026, 'ctl:B')).toBe(0n); // taken once
    expect(tally.take('310000', 2026, 'ent:nobody')).toBe(0n);
    expect(tally.rest()).toEqual([
      { regionCode: '310000', year: 2025, subject: 'ent:e-2', fen: 5n },
      { regionCode: '310000', year: 2026, subject: 'ent:e-2', fen: 300_000n },
      { regionCode: '340100', year: 2026, subject: 'ctl:A', fen: 70_000n },
      { regionCode: '340100', year: 2026, subject: 'ctl:B', fen: 70_000n },
      { regionCode: '340100', year: 2026, subject: 'ent:e-1', fen: 70_000n },
    ]);
  });

  it('sums per subject what each voucher counts, whatever the order of the vouchers (property)', () => {
    const one = fc.record({
      region: fc.constantFrom('310000', '340100'),
      year: fc.constantFrom(2025, 2026),
      enterpriseId: fc.constantFrom('e-1', 'e-2', 'e-3'),
      capSubject: fc.constantFrom('ctl:A', 'ctl:A ctl:B', 'ctl:B ctl:C', 'ent:e-1'),
      face: fc.integer({ min: 0, max: 1_000_000 }),
      releasedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(one, { maxLength: 30 }), (vouchers) => {
        const all = vouchers.map((v) => voucher({ ...v, released: Math.floor(v.face * v.releasedShare) }));
        const [forward, backward] = [new GrantTally(), new GrantTally()];
        for (const v of all) forward.add(v);
        for (const v of [...all].reverse()) backward.add(v);
        const naive = new Map<string, bigint>();
        for (const v of all) {
          for (const s of grantSubjectsOf(v)) {
            const key = `${v.issuingRegionCode}|${v.budgetYear}|${s}`;
            naive.set(key, (naive.get(key) ?? 0n) + v.faceValueFen - v.releasedFen);
          }
        }
        expect(backward.rest()).toEqual(forward.rest());
        const rest = forward.rest();
        expect(new Map(rest.map((g) => [`${g.regionCode}|${g.year}|${g.subject}`, g.fen]))).toEqual(naive);
        for (const g of rest) expect(g.fen >= 0n).toBe(true);
        for (const g of rest) expect(forward.take(g.regionCode, g.year, g.subject)).toBe(g.fen);
        expect(forward.rest()).toEqual([]);
      }),
    );
  });
});

describe('applicationRefusal', () => {
  const fine: ApplicationFacts = {
    amountFen: 8_000_000,
    verified: true,
    sanctioned: false,
    regionCode: '340100',
    terms: terms(),
    kind: 'tech_sme',
    grantedFen: 0,
    budgetAvailableFen: 100_000_000,
  };
  const code = (overrides: Partial<ApplicationFacts>) => applicationRefusal({ ...fine, ...overrides })?.code ?? null;

  it('passes an application that breaks no rule', () => {
    expect(applicationRefusal(fine)).toBeNull();
  });

  it('refuses each broken rule with its code', () => {
    expect(code({ sanctioned: true })).toBe('SANCTIONED');
    expect(code({ terms: undefined })).toBe('POLICY_NOT_FOUND');
    expect(code({ amountFen: 30_000_001 })).toBe('VOUCHER_CAP_EXCEEDED');
    expect(code({ grantedFen: 42_000_001 })).toBe('ANNUAL_CAP_EXCEEDED');
    expect(code({ kind: 'startup_team', grantedFen: 2_000_001 })).toBe('ANNUAL_CAP_EXCEEDED');
    expect(code({ budgetAvailableFen: 7_999_999 })).toBe('BUDGET_EXHAUSTED');
    expect(code({ budgetAvailableFen: null })).toBe('BUDGET_EXHAUSTED');
  });

  it('allows an amount exactly at each limit', () => {
    expect(code({ amountFen: 30_000_000, budgetAvailableFen: 30_000_000 })).toBeNull();
    expect(code({ grantedFen: 42_000_000 })).toBeNull();
    expect(code({ kind: 'startup_team', grantedFen: 2_000_000 })).toBeNull();
  });

  it('refuses an enterprise its bureau has not verified before any other rule', () => {
    expect(code({ verified: false })).toBe('ENTERPRISE_NOT_VERIFIED');
    expect(code({ verified: false, sanctioned: true, terms: undefined })).toBe('ENTERPRISE_NOT_VERIFIED');
  });

  it('reports the first broken rule: sanction, policy, voucher cap, annual cap, budget', () => {
    const everythingWrong = { sanctioned: true, terms: undefined, amountFen: 60_000_000, grantedFen: 50_000_000, budgetAvailableFen: 0 };
    expect(code(everythingWrong)).toBe('SANCTIONED');
    expect(code({ ...everythingWrong, sanctioned: false })).toBe('POLICY_NOT_FOUND');
    expect(code({ ...everythingWrong, sanctioned: false, terms: terms() })).toBe('VOUCHER_CAP_EXCEEDED');
    expect(code({ ...everythingWrong, sanctioned: false, terms: terms(), amountFen: 1_000_000 })).toBe('ANNUAL_CAP_EXCEEDED');
    expect(code({ ...everythingWrong, sanctioned: false, terms: terms(), amountFen: 1_000_000, grantedFen: 0 })).toBe('BUDGET_EXHAUSTED');
  });

  it('names the figures in its message', () => {
    expect(applicationRefusal({ ...fine, grantedFen: 45_000_000 })?.message).toContain('50000000');
    expect(applicationRefusal({ ...fine, budgetAvailableFen: 1_000 })?.message).toContain('1000 fen available');
  });

  it('never passes an amount the annual cap or the budget cannot hold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000_000 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        fc.constantFrom('tech_sme', 'high_tech', 'startup_team', null),
        (amountFen, grantedFen, budgetAvailableFen, kind) => {
          const refusal = applicationRefusal({ ...fine, amountFen, grantedFen, budgetAvailableFen, kind });
          const fits = amountFen <= 30_000_000 && grantedFen + amountFen <= annualCapFor(terms(), kind) && amountFen <= budgetAvailableFen;
          expect(refusal === null).toBe(fits);
        },
      ),
    );
  });
});

describe('approvesAtOnce', () => {
  it('approves at once only while the running total of the year stays within the threshold', () => {
    const t = terms({ autoApproveMaxFen: 5_000_000 });
    expect(approvesAtOnce(t, 0, 3_000_000)).toBe(true);
    expect(approvesAtOnce(t, 3_000_000, 3_000_000)).toBe(false); // a second ¥30k after a ¥30k one goes to review
    expect(approvesAtOnce(t, 2_000_000, 3_000_000)).toBe(true); // exactly at the threshold
  });

  it('never lets split applications approve at once more than the threshold in total', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6_000_000 }), { maxLength: 30 }), (amounts) => {
        const t = terms({ autoApproveMaxFen: 5_000_000 });
        let granted = 0;
        let atOnce = 0;
        for (const amount of amounts) {
          if (approvesAtOnce(t, granted, amount)) atOnce += amount;
          granted += amount; // reviewed ones are granted too, and count from then on
        }
        expect(atOnce).toBeLessThanOrEqual(5_000_000);
      }),
    );
  });
});

describe('needsSecondApproval', () => {
  it('is off at dualControlFen 0 and takes two users at or above it', () => {
    expect(needsSecondApproval(terms({ dualControlFen: 0 }), 30_000_000)).toBe(false);
    expect(needsSecondApproval(terms({ dualControlFen: 10_000_000 }), 9_999_999)).toBe(false);
    expect(needsSecondApproval(terms({ dualControlFen: 10_000_000 }), 10_000_000)).toBe(true);
  });
});

describe('an application’s reason, told in the reader’s language', () => {
  const facts: ApplicationFacts = {
    amountFen: 70_000_000,
    verified: true,
    sanctioned: false,
    regionCode: '340100',
    terms: terms({ maxVoucherFen: 60_000_000, enterpriseAnnualCapFen: 100_000_000 }),
    kind: null,
    grantedFen: 0,
    budgetAvailableFen: 1_000_000_000,
  };
  const refused = (f: Partial<ApplicationFacts>) => {
    const r = applicationRefusal({ ...facts, ...f })!;
    return { reasonCode: r.code, reason: r.message };
  };

  it('renders each rule’s refusal from its code and the figures its stored English holds', () => {
    expect(applicationReason(refused({ verified: false }), 'zh')).toBe('企业尚未通过所在地科技主管部门核验，暂不能申请创新券');
    expect(applicationReason(refused({ sanctioned: true }), 'zh')).toBe('企业或其实际控制人处于科研失信惩戒期内，暂不能申请创新券');
    expect(applicationReason(refused({}), 'zh')).toBe('申请金额 ¥700,000.00 超过单张创新券上限 ¥600,000.00');
    expect(applicationReason(refused({}), 'en')).toBe('the requested ¥700,000.00 exceeds the per-voucher cap of ¥600,000.00');
    expect(applicationReason(refused({ amountFen: 100, grantedFen: 99_999_950 }), 'zh')).toBe(
      '本年度已获批 ¥999,999.50，再申请 ¥1.00 将超过年度上限 ¥1,000,000.00',
    );
    expect(applicationReason(refused({ amountFen: 100, grantedFen: 99_999_950, ownGrantedFen: 99_999_950 }), 'zh')).toBe(
      '本年度已获批 ¥999,999.50，再申请 ¥1.00 将超过年度上限 ¥1,000,000.00',
    );
    expect(applicationReason(refused({ amountFen: 100, grantedFen: 99_999_950, ownGrantedFen: 12_345 }), 'zh')).toBe(
      '同一实际控制人名下企业本年度合计已获批 ¥999,999.50（其中贵单位 ¥123.45），再申请 ¥1.00 将超过年度上限 ¥1,000,000.00',
    );
    expect(applicationReason(refused({ amountFen: 100, budgetAvailableFen: 50 }), 'zh')).toBe(
      '合肥市创新券预算可用余额 ¥0.50，不足申请金额 ¥1.00',
    );
    expect(applicationReason(refused({ amountFen: 100, budgetAvailableFen: null }), 'en')).toBe(
      'the voucher budget of 340100 had ¥0.00 available, less than the ¥1.00 requested',
    );
    expect(applicationReason(refused({ terms: undefined }), 'zh')).toBe('合肥市（340100）及其所在省份目前均无生效的创新券政策');
  });

  it('keeps a bureau’s reason as typed, and a refusal it cannot read with its code’s sentence', () => {
    expect(applicationReason({ reasonCode: null, reason: 'purpose outside the supported fields' }, 'zh')).toBe(
      'purpose outside the supported fields',
    );
    expect(applicationReason({ reasonCode: null, reason: null }, 'zh')).toBeNull();
    expect(applicationReason({ reasonCode: 'VOUCHER_CAP_EXCEEDED', reason: 'over the cap' }, 'zh')).toBe(
      '金额超过单张创新券上限（over the cap）',
    );
    expect(applicationReason({ reasonCode: 'VOUCHER_CAP_EXCEEDED', reason: 'over the cap' }, 'en')).toBe('over the cap');
  });
});
