import fc from 'fast-check';
import { translate } from '../../src/common/i18n/messages';
import { PolicyTerms } from '../../src/policies/policy.types';
import {
  areRelated,
  byWhatTheEnterprisePays,
  captureRefusal,
  CaptureScreenInput,
  captureSubsidy,
  ComparisonRun,
  comparisonRuns,
  evaluateRedemption,
  EvaluationInput,
  provinceOf,
} from '../../src/redemptions/redemption.rules';

const ANHUI_TERMS: PolicyTerms = {
  categories: [
    { category: 'instrument_sharing', ratioBp: 5000 },
    { category: 'testing', ratioBp: 5000 },
    { category: 'design', ratioBp: 4000 },
  ],
  acceptedProvinceCodes: ['310000', '320000', '340000'],
  localBonusBp: 1000,
  enterpriseAnnualCapFen: 50_000_000,
  teamAnnualCapFen: 10_000_000,
  maxVoucherFen: 30_000_000,
  perRedemptionCapFen: null,
  capByController: false,
  voucherValidityDays: 365,
  holdExpiryDays: 14,
  autoApproveMaxFen: 5_000_000,
  confirmDays: 7,
  dualControlFen: 0,
  redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
  settlementCycle: 'quarterly',
  relatedPartyBan: true,
};

const HEFEI_SME = '91340100MA2N000001';
const SHANGHAI_LAB = '12310000425000001X';

/** A Hefei-issued voucher ordering two hours on a Shanghai transmission electron microscope. */
function anhuiVoucherAtShanghaiTem(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    terms: ANHUI_TERMS,
    today: '2026-06-15',
    voucher: { status: 'active', availableFen: 30_000_000, validUntil: '2026-12-31', issuingRegionCode: '340100' },
    facility: { category: 'instrument_sharing', unitPriceFen: 80_000, provinceCode: '310000' },
    provider: {
      status: 'active',
      creditCode: SHANGHAI_LAB,
      controllerCreditCode: null,
      relatedCreditCodes: [],
      sanctioned: false,
    },
    enterprise: { creditCode: HEFEI_SME, controllerCreditCode: null, relatedCreditCodes: [], sanctioned: false },
    quantity: 2,
    ...overrides,
  };
}

const base = anhuiVoucherAtShanghaiTem();
const withTerms = (terms: Partial<PolicyTerms>) => anhuiVoucherAtShanghaiTem({ terms: { ...ANHUI_TERMS, ...terms } });
const withVoucher = (voucher: Partial<EvaluationInput['voucher']>) =>
  anhuiVoucherAtShanghaiTem({ voucher: { ...base.voucher, ...voucher } });
const withFacility = (facility: Partial<EvaluationInput['facility']>) =>
  anhuiVoucherAtShanghaiTem({ facility: { ...base.facility, ...facility } });

describe('pricing a redemption', () => {
  it('an Anhui voucher pays 50% of a Shanghai TEM hour', () => {
    expect(evaluateRedemption(base)).toEqual({
      mode: 'provider_redeemed',
      feeFen: 160_000,
      ratioBp: 5000,
      subsidyFen: 80_000,
      selfPayFen: 80_000,
      crossProvince: true,
    });
  });

  it('a Hefei voucher earns the local bonus at a lab in Wuhu, in its own province', () => {
    const evaluation = evaluateRedemption(withFacility({ provinceCode: '340200' }));
    expect(evaluation).toMatchObject({ crossProvince: false, ratioBp: 6000, subsidyFen: 96_000, selfPayFen: 64_000 });
  });

  it('a Suzhou voucher at a Nanjing lab is not cross-province and earns the bonus', () => {
    const evaluation = evaluateRedemption(
      anhuiVoucherAtShanghaiTem({
        voucher: { ...base.voucher, issuingRegionCode: '320500' },
        facility: { ...base.facility, provinceCode: '320100' },
      }),
    );
    expect(evaluation).toMatchObject({ crossProvince: false, ratioBp: 6000 });
  });

  it('the local bonus never lifts the ratio above 100%', () => {
    const terms = { ...ANHUI_TERMS, categories: [{ category: 'instrument_sharing' as const, ratioBp: 9500 }] };
    const evaluation = evaluateRedemption(anhuiVoucherAtShanghaiTem({ terms, facility: { ...base.facility, provinceCode: '340100' } }));
    expect(evaluation).toMatchObject({ ratioBp: 10000, subsidyFen: 160_000, selfPayFen: 0 });
  });

  it('rounds the subsidy down in the budget’s favour: half of 333 fen is 166 fen', () => {
    const evaluation = evaluateRedemption({ ...withFacility({ unitPriceFen: 333 }), quantity: 1 });
    expect(evaluation).toMatchObject({ feeFen: 333, subsidyFen: 166, selfPayFen: 167 });
  });

  it('the per-redemption cap lowers the subsidy and the enterprise pays the rest', () => {
    const evaluation = evaluateRedemption(withTerms({ perRedemptionCapFen: 50_000 }));
    expect(evaluation).toMatchObject({ feeFen: 160_000, subsidyFen: 50_000, selfPayFen: 110_000 });
    expect(evaluation.refusal).toBeUndefined();
  });

  it('a nearly spent voucher pays only what it has left', () => {
    const evaluation = evaluateRedemption(withVoucher({ availableFen: 12_345 }));
    expect(evaluation).toMatchObject({ subsidyFen: 12_345, selfPayFen: 147_655 });
    expect(evaluation.refusal).toBeUndefined();
  });

  it('the lower of the cap and the balance wins', () => {
    const input = anhuiVoucherAtShanghaiTem({
      terms: { ...ANHUI_TERMS, perRedemptionCapFen: 40_000 },
      voucher: { ...base.voucher, availableFen: 30_000 },
    });
    expect(evaluateRedemption(input).subsidyFen).toBe(30_000);
  });

  it('defaults to 通兑 (provider_redeemed) where the policy allows it', () => {
    expect(evaluateRedemption(base).mode).toBe('provider_redeemed');
  });

  it('defaults to 通用 (enterprise_reimbursed) where that is the only mode', () => {
    const evaluation = evaluateRedemption(withTerms({ redemptionModes: ['enterprise_reimbursed'] }));
    expect(evaluation.mode).toBe('enterprise_reimbursed');
    expect(evaluation.refusal).toBeUndefined();
  });

  it('honours an explicitly chosen allowed mode', () => {
    expect(evaluateRedemption({ ...base, mode: 'enterprise_reimbursed' }).mode).toBe('enterprise_reimbursed');
  });

  it('a voucher can still be used on its last valid day', () => {
    expect(evaluateRedemption({ ...base, today: '2026-12-31' }).refusal).toBeUndefined();
  });

  it('related parties may trade when the policy does not ban it', () => {
    const input = anhuiVoucherAtShanghaiTem({
      terms: { ...ANHUI_TERMS, relatedPartyBan: false },
      enterprise: { ...base.enterprise, relatedCreditCodes: [SHANGHAI_LAB] },
    });
    expect(evaluateRedemption(input).refusal).toBeUndefined();
  });
});

describe('refusing a redemption', () => {
  /** The refusal as a hold answers it in English: its code and message (the catalogue entry it was written from aside). */
  const refusalOf = (input: EvaluationInput) => {
    const refusal = evaluateRedemption(input).refusal;
    return refusal && { code: refusal.code, message: refusal.message };
  };

  it('refuses an exhausted voucher as VOUCHER_NOT_ACTIVE', () => {
    expect(refusalOf(withVoucher({ status: 'exhausted' }))).toEqual({
      code: 'VOUCHER_NOT_ACTIVE',
      message: expect.stringContaining('exhausted'),
    });
  });

  it('refuses a revoked voucher as VOUCHER_NOT_ACTIVE', () => {
    expect(refusalOf(withVoucher({ status: 'revoked' }))?.code).toBe('VOUCHER_NOT_ACTIVE');
  });

  it('refuses a voucher past its validity as VOUCHER_EXPIRED, naming the date', () => {
    expect(refusalOf({ ...base, today: '2027-01-01' })).toEqual({
      code: 'VOUCHER_EXPIRED',
      message: expect.stringContaining('2026-12-31'),
    });
  });

  it('refuses a voucher the sweep already marked expired as VOUCHER_EXPIRED too, not VOUCHER_NOT_ACTIVE', () => {
    const swept = { ...withVoucher({ status: 'expired' }), today: '2027-01-01' };
    expect(refusalOf(swept)).toEqual({ code: 'VOUCHER_EXPIRED', message: expect.stringContaining('2026-12-31') });
  });

  it('refuses a revoked voucher past its validity as VOUCHER_NOT_ACTIVE: revocation is the cause', () => {
    expect(refusalOf({ ...withVoucher({ status: 'revoked' }), today: '2027-01-01' })?.code).toBe('VOUCHER_NOT_ACTIVE');
  });

  it('refuses a suspended provider as PROVIDER_NOT_ACTIVE', () => {
    expect(refusalOf({ ...base, provider: { ...base.provider, status: 'suspended' } })).toEqual({
      code: 'PROVIDER_NOT_ACTIVE',
      message: expect.stringContaining('suspended'),
    });
  });

  it('refuses a sanctioned enterprise as SANCTIONED', () => {
    expect(refusalOf({ ...base, enterprise: { ...base.enterprise, sanctioned: true } })).toEqual({
      code: 'SANCTIONED',
      message: expect.stringContaining(`enterprise ${HEFEI_SME}`),
    });
  });

  it('refuses a sanctioned provider as SANCTIONED', () => {
    expect(refusalOf({ ...base, provider: { ...base.provider, sanctioned: true } })).toEqual({
      code: 'SANCTIONED',
      message: expect.stringContaining(`provider ${SHANGHAI_LAB}`),
    });
  });

  it('refuses 通用 where the policy only allows 通兑, as MODE_NOT_ALLOWED', () => {
    const input = { ...withTerms({ redemptionModes: ['provider_redeemed'] }), mode: 'enterprise_reimbursed' as const };
    expect(refusalOf(input)).toEqual({
      code: 'MODE_NOT_ALLOWED',
      message: expect.stringContaining('enterprise_reimbursed'),
    });
  });

  it('refuses every mode when the policy allows none', () => {
    expect(refusalOf(withTerms({ redemptionModes: [] }))?.code).toBe('MODE_NOT_ALLOWED');
  });

  it('refuses a consulting service the policy does not cover, naming the category', () => {
    expect(refusalOf(withFacility({ category: 'consulting' }))).toEqual({
      code: 'CATEGORY_NOT_COVERED',
      message: expect.stringContaining('consulting'),
    });
  });

  it('refuses a Zhejiang lab an Anhui policy does not accept, naming the province', () => {
    const refusal = refusalOf(withFacility({ provinceCode: '330400' }));
    expect(refusal?.code).toBe('PROVINCE_NOT_ACCEPTED');
    expect(refusal?.message).toContain('Zhejiang (330000)');
  });

  it.each([
    ['the enterprise lists the lab as a related party', { relatedCreditCodes: [SHANGHAI_LAB] }, {}],
    ['the lab lists the enterprise as a related party', {}, { relatedCreditCodes: [HEFEI_SME] }],
    ['both share an actual controller', { controllerCreditCode: '91310000CTRL000001' }, { controllerCreditCode: '91310000CTRL000001' }],
    ['the lab controls the enterprise', { controllerCreditCode: SHANGHAI_LAB }, {}],
    ['the enterprise controls the lab', {}, { controllerCreditCode: HEFEI_SME }],
  ])('refuses a related-party redemption when %s', (_, enterprise, provider) => {
    const input = anhuiVoucherAtShanghaiTem({
      enterprise: { ...base.enterprise, ...enterprise },
      provider: { ...base.provider, ...provider },
    });
    expect(refusalOf(input)).toEqual({ code: 'RELATED_PARTY', message: expect.stringContaining(SHANGHAI_LAB) });
  });

  it('refuses an empty voucher as VOUCHER_INSUFFICIENT_BALANCE, saying there is no balance', () => {
    expect(refusalOf(withVoucher({ availableFen: 0 }))).toEqual({
      code: 'VOUCHER_INSUFFICIENT_BALANCE',
      message: expect.stringContaining('no available balance'),
    });
  });

  it('refuses a 1-fen service whose subsidy rounds to zero, saying the subsidy would be zero', () => {
    const refusal = refusalOf({ ...withFacility({ unitPriceFen: 1 }), quantity: 1 });
    expect(refusal).toEqual({ code: 'VOUCHER_INSUFFICIENT_BALANCE', message: expect.stringContaining('zero') });
  });

  /** Each refusal in English, word for word as before the catalogues, and wholly in Chinese with the same figures. */
  it.each<[string, EvaluationInput, string, string]>([
    [
      'a revoked voucher',
      withVoucher({ status: 'revoked' }),
      'The voucher is revoked, not active, so it cannot be redeemed.',
      '该创新券已撤销，不能再用于抵扣服务费用',
    ],
    [
      'an expired voucher',
      { ...base, today: '2027-01-01' },
      'The voucher expired on 2026-12-31.',
      '该创新券的有效期已于 2026年12月31日 届满，不能再用于抵扣服务费用',
    ],
    [
      'a suspended provider',
      anhuiVoucherAtShanghaiTem({ provider: { ...base.provider, status: 'suspended' } }),
      'The provider is suspended, not active, so it cannot accept vouchers.',
      '该服务机构已暂停服务，暂不能受理创新券',
    ],
    [
      'a sanctioned enterprise',
      anhuiVoucherAtShanghaiTem({ enterprise: { ...base.enterprise, sanctioned: true } }),
      `Redemption is blocked: the enterprise ${HEFEI_SME} or its actual controller is under a credit sanction.`,
      `用券企业 ${HEFEI_SME} 或其实际控制人处于科研失信惩戒期内，不能用券`,
    ],
    [
      'a sanctioned provider',
      anhuiVoucherAtShanghaiTem({ provider: { ...base.provider, sanctioned: true } }),
      `Redemption is blocked: the provider ${SHANGHAI_LAB} or its actual controller is under a credit sanction.`,
      `服务机构 ${SHANGHAI_LAB} 或其实际控制人处于科研失信惩戒期内，不能受理创新券`,
    ],
    [
      'both sanctioned',
      anhuiVoucherAtShanghaiTem({
        enterprise: { ...base.enterprise, sanctioned: true },
        provider: { ...base.provider, sanctioned: true },
      }),
      `Redemption is blocked: the enterprise ${HEFEI_SME} and the provider ${SHANGHAI_LAB} (or their actual controllers) are under a credit sanction.`,
      `用券企业 ${HEFEI_SME} 和服务机构 ${SHANGHAI_LAB}（或其实际控制人）均处于科研失信惩戒期内，不能用券`,
    ],
    [
      '通用 where only 通兑 is allowed',
      { ...withTerms({ redemptionModes: ['provider_redeemed'] }), mode: 'enterprise_reimbursed' },
      "Redemption mode enterprise_reimbursed is not allowed by the voucher's policy (allowed: provider_redeemed).",
      '本券政策不允许以通用方式兑付（允许的方式：通兑）',
    ],
    [
      'a policy allowing no mode',
      withTerms({ redemptionModes: [] }),
      "Redemption mode provider_redeemed is not allowed by the voucher's policy (allowed: none).",
      '本券政策不允许以通兑方式兑付（允许的方式：无）',
    ],
    [
      'an uncovered category',
      withFacility({ category: 'consulting' }),
      "The service category consulting is not covered by the voucher's policy.",
      '本券政策不支持“咨询”类服务',
    ],
    [
      'a province not accepted',
      withFacility({ provinceCode: '330400' }),
      "Providers in Zhejiang (330000) are not accepted by the voucher's policy (accepted: Shanghai (310000), Jiangsu (320000), Anhui (340000)).",
      '本券政策不接受浙江省的服务机构（可用券的省市：上海市、江苏省、安徽省）',
    ],
    [
      'related parties',
      anhuiVoucherAtShanghaiTem({ enterprise: { ...base.enterprise, relatedCreditCodes: [SHANGHAI_LAB] } }),
      `The enterprise ${HEFEI_SME} and the provider ${SHANGHAI_LAB} are related parties, and the voucher's policy bans related-party redemptions.`,
      `用券企业 ${HEFEI_SME} 与服务机构 ${SHANGHAI_LAB} 存在关联关系，本券政策禁止关联方用券`,
    ],
    ['an empty voucher', withVoucher({ availableFen: 0 }), 'The voucher has no available balance left.', '该创新券已无可用余额'],
    [
      'a subsidy rounding to zero',
      { ...withFacility({ unitPriceFen: 1 }), quantity: 1 },
      'The subsidy on a fee of 1 fen at 5000 bp would be zero fen, so there is nothing to redeem.',
      '费用 ¥0.01 按补贴比例 50% 计算的补贴不足 1 分，没有可兑付的金额',
    ],
  ])('says why it refuses %s, in English as before and wholly in Chinese', (_, input, english, chinese) => {
    const refusal = evaluateRedemption(input).refusal!;
    expect(refusal.message).toBe(english);
    expect(translate('en', refusal.key!, refusal.params)).toBe(english);
    expect(translate('zh', refusal.key!, refusal.params)).toBe(chinese);
  });

  it('a refusal still shows the fee and ratio, but holds no subsidy', () => {
    expect(evaluateRedemption(withFacility({ provinceCode: '330100' }))).toMatchObject({
      feeFen: 160_000,
      ratioBp: 5000,
      subsidyFen: 0,
      selfPayFen: 160_000,
      crossProvince: true,
    });
  });

  it('an uncovered category shows a ratio of zero', () => {
    expect(evaluateRedemption(withFacility({ category: 'consulting' }))).toMatchObject({ ratioBp: 0, subsidyFen: 0 });
  });

  // Break every rule at once, then repair them one by one: each repair reveals the next code in order.
  const breakers: [string, (input: EvaluationInput) => EvaluationInput][] = [
    ['VOUCHER_NOT_ACTIVE', (i) => ({ ...i, voucher: { ...i.voucher, status: 'revoked' } })],
    ['VOUCHER_EXPIRED', (i) => ({ ...i, today: '2027-03-01' })],
    ['PROVIDER_NOT_ACTIVE', (i) => ({ ...i, provider: { ...i.provider, status: 'public_notice' } })],
    ['SANCTIONED', (i) => ({ ...i, enterprise: { ...i.enterprise, sanctioned: true } })],
    ['MODE_NOT_ALLOWED', (i) => ({ ...i, terms: { ...i.terms, redemptionModes: ['provider_redeemed'] }, mode: 'enterprise_reimbursed' })],
    ['CATEGORY_NOT_COVERED', (i) => ({ ...i, facility: { ...i.facility, category: 'tech_transfer' } })],
    ['PROVINCE_NOT_ACCEPTED', (i) => ({ ...i, facility: { ...i.facility, provinceCode: '330100' } })],
    ['RELATED_PARTY', (i) => ({ ...i, enterprise: { ...i.enterprise, controllerCreditCode: SHANGHAI_LAB } })],
    ['VOUCHER_INSUFFICIENT_BALANCE', (i) => ({ ...i, voucher: { ...i.voucher, availableFen: 0 } })],
  ];
  it.each(breakers.map(([code], index) => [code, index] as const))('checks %s before every later rule', (code, index) => {
    const input = breakers.slice(index).reduce((acc, [, breakRule]) => breakRule(acc), base);
    expect(refusalOf(input)?.code).toBe(code);
  });
});

describe('provinceOf and areRelated', () => {
  it.each([
    ['340100', '340000'],
    ['320500', '320000'],
    ['310000', '310000'],
    ['330402', '330000'],
  ])('region %s lies in province %s', (region, province) => {
    expect(provinceOf(region)).toBe(province);
  });

  it('two parties without controllers or listed relations are unrelated', () => {
    expect(areRelated(base.enterprise, base.provider)).toBe(false);
  });

  it('a controller of null never matches another null controller', () => {
    const a = { creditCode: 'A', controllerCreditCode: null, relatedCreditCodes: [] };
    const b = { creditCode: 'B', controllerCreditCode: null, relatedCreditCodes: [] };
    expect(areRelated(a, b)).toBe(false);
  });

  const party = (creditCode: string, controllerCreditCode: string | null = null, relatedCreditCodes: string[] = []) => ({
    creditCode,
    controllerCreditCode,
    relatedCreditCodes,
  });

  it('counts the provider’s declarations as much as the enterprise’s', () => {
    expect(areRelated(party('E'), party('P', null, ['E']))).toBe(true);
    expect(areRelated(party('E', null, ['P']), party('P'))).toBe(true);
  });

  it('a shared controller, or one controlling the other, makes them related', () => {
    expect(areRelated(party('E', 'C'), party('P', 'C'))).toBe(true);
    expect(areRelated(party('E', 'P'), party('P'))).toBe(true);
    expect(areRelated(party('E'), party('P', 'E'))).toBe(true);
  });

  it('a related code naming the other side’s controller makes them related (a relation a bureau recorded arrives this way)', () => {
    expect(areRelated(party('E', null, ['C']), party('P', 'C'))).toBe(true);
    expect(areRelated(party('E', 'C'), party('P', null, ['C']))).toBe(true);
  });

  it('two that both name one shareholder are not related by that alone; under it as controller they are', () => {
    // CAS 36: companies under one party's significant influence only are not related parties; common control makes them so
    expect(areRelated(party('E', null, ['Z']), party('P', null, ['Z']))).toBe(false);
    expect(areRelated(party('E', 'Z'), party('P', null, ['Z']))).toBe(true);
  });

  it('is symmetric', () => {
    const code = fc.constantFrom('A', 'B', 'C', 'D');
    const arb = fc.record({
      creditCode: code,
      controllerCreditCode: fc.option(code, { nil: null }),
      relatedCreditCodes: fc.array(code, { maxLength: 2 }),
    });
    fc.assert(fc.property(arb, arb, (a, b) => expect(areRelated(a, b)).toBe(areRelated(b, a))));
  });
});

describe('capturing actual usage', () => {
  const hold = { unitPriceFen: 80_000, ratioBp: 5000, heldSubsidyFen: 80_000, perRedemptionCapFen: null };

  it('one TEM hour used of two held captures half and releases the rest', () => {
    expect(captureSubsidy({ ...hold, actualQuantity: 1 })).toEqual({
      feeFen: 80_000,
      subsidyFen: 40_000,
      selfPayFen: 40_000,
      releasedFen: 40_000,
    });
  });

  it('using exactly what was held captures the whole hold', () => {
    expect(captureSubsidy({ ...hold, actualQuantity: 2 })).toMatchObject({ subsidyFen: 80_000, releasedFen: 0 });
  });

  it('using more than was held never captures more than the hold', () => {
    expect(captureSubsidy({ ...hold, actualQuantity: 5 })).toEqual({
      feeFen: 400_000,
      subsidyFen: 80_000,
      selfPayFen: 320_000,
      releasedFen: 0,
    });
  });

  it('zero actual usage captures nothing and releases everything', () => {
    expect(captureSubsidy({ ...hold, actualQuantity: 0 })).toEqual({
      feeFen: 0,
      subsidyFen: 0,
      selfPayFen: 0,
      releasedFen: 80_000,
    });
  });

  it('the per-redemption cap still applies on capture', () => {
    expect(captureSubsidy({ ...hold, heldSubsidyFen: 50_000, perRedemptionCapFen: 30_000, actualQuantity: 2 })).toMatchObject({
      subsidyFen: 30_000,
      releasedFen: 20_000,
    });
  });

  it('rounds the captured subsidy down', () => {
    expect(captureSubsidy({ ...hold, unitPriceFen: 333, actualQuantity: 1 })).toMatchObject({ subsidyFen: 166 });
  });
});

describe('subsidy arithmetic properties', () => {
  const floorRatio = (feeFen: number, ratioBp: number) => Number((BigInt(feeFen) * BigInt(ratioBp)) / 10000n);

  const arbitraryInput = fc
    .record({
      unitPriceFen: fc.integer({ min: 0, max: 10_000_000 }),
      quantity: fc.integer({ min: 1, max: 1_000 }),
      categoryRatioBp: fc.integer({ min: 0, max: 10_000 }),
      localBonusBp: fc.integer({ min: 0, max: 3_000 }),
      availableFen: fc.integer({ min: 0, max: 1_000_000_000 }),
      perRedemptionCapFen: fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: null }),
      provinceCode: fc.constantFrom('310000', '320100', '340100', '340200'),
    })
    .map((a) =>
      anhuiVoucherAtShanghaiTem({
        terms: {
          ...ANHUI_TERMS,
          categories: [{ category: 'instrument_sharing', ratioBp: a.categoryRatioBp }],
          localBonusBp: a.localBonusBp,
          perRedemptionCapFen: a.perRedemptionCapFen,
        },
        voucher: { ...base.voucher, availableFen: a.availableFen },
        facility: { ...base.facility, unitPriceFen: a.unitPriceFen, provinceCode: a.provinceCode },
        quantity: a.quantity,
      }),
    );

  it('the subsidy is within the ratio, the balance and the cap, and subsidy + self-pay = fee', () => {
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const e = evaluateRedemption(input);
        expect(e.feeFen).toBe(input.facility.unitPriceFen * input.quantity);
        expect(e.ratioBp).toBeLessThanOrEqual(10_000);
        expect(e.subsidyFen).toBeGreaterThanOrEqual(0);
        expect(e.subsidyFen).toBeLessThanOrEqual(floorRatio(e.feeFen, e.ratioBp));
        expect(e.subsidyFen).toBeLessThanOrEqual(input.voucher.availableFen);
        expect(e.subsidyFen).toBeLessThanOrEqual(input.terms.perRedemptionCapFen ?? Infinity);
        expect(e.subsidyFen + e.selfPayFen).toBe(e.feeFen);
        expect(Number.isSafeInteger(e.subsidyFen) && Number.isSafeInteger(e.selfPayFen)).toBe(true);
        expect(e.refusal === undefined).toBe(e.subsidyFen > 0);
      }),
    );
  });

  it('ordering more never earns a smaller subsidy', () => {
    fc.assert(
      fc.property(arbitraryInput, fc.integer({ min: 1, max: 1_000 }), (input, more) => {
        const less = evaluateRedemption(input).subsidyFen;
        const larger = evaluateRedemption({ ...input, quantity: input.quantity + more }).subsidyFen;
        expect(larger).toBeGreaterThanOrEqual(less);
      }),
    );
  });

  it('a capture never exceeds the hold, and captured + released = held', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: null }),
        (unitPriceFen, actualQuantity, ratioBp, heldSubsidyFen, perRedemptionCapFen) => {
          const c = captureSubsidy({ unitPriceFen, actualQuantity, ratioBp, heldSubsidyFen, perRedemptionCapFen });
          expect(c.subsidyFen).toBeGreaterThanOrEqual(0);
          expect(c.subsidyFen).toBeLessThanOrEqual(heldSubsidyFen);
          expect(c.subsidyFen).toBeLessThanOrEqual(floorRatio(c.feeFen, ratioBp));
          expect(c.releasedFen).toBeGreaterThanOrEqual(0);
          expect(c.subsidyFen + c.releasedFen).toBe(heldSubsidyFen);
          expect(c.subsidyFen + c.selfPayFen).toBe(c.feeFen);
        },
      ),
    );
  });

  it('capturing exactly the held quantity captures exactly the hold', () => {
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const e = evaluateRedemption(input);
        fc.pre(e.refusal === undefined);
        const c = captureSubsidy({
          unitPriceFen: input.facility.unitPriceFen,
          actualQuantity: input.quantity,
          ratioBp: e.ratioBp,
          heldSubsidyFen: e.subsidyFen,
          perRedemptionCapFen: input.terms.perRedemptionCapFen,
        });
        expect(c).toEqual({ feeFen: e.feeFen, subsidyFen: e.subsidyFen, selfPayFen: e.selfPayFen, releasedFen: 0 });
      }),
    );
  });
});

describe('a comparison across provinces reads runs in price order (comparisonRuns)', () => {
  const province = fc.constantFrom('310000', '320000', '330000', '340000');
  const category = fc.constantFrom('instrument_sharing', 'testing', 'design');
  const arbitrary = fc
    .record({
      categories: fc.uniqueArray(fc.record({ category, ratioBp: fc.integer({ min: 0, max: 10_000 }) }), {
        selector: (c) => c.category,
        maxLength: 3,
      }),
      acceptedProvinceCodes: fc.uniqueArray(province, { maxLength: 4 }),
      localBonusBp: fc.integer({ min: 0, max: 10_000 }),
      perRedemptionCapFen: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
      redemptionModes: fc.subarray(['provider_redeemed', 'enterprise_reimbursed'] as const),
      mode: fc.option(fc.constantFrom('provider_redeemed', 'enterprise_reimbursed' as const), { nil: undefined }),
      status: fc.constantFrom('active', 'active', 'active', 'exhausted' as const),
      availableFen: fc.integer({ min: 0, max: 300 }),
      validUntil: fc.constantFrom('2026-06-14', '2026-06-15', '2026-12-31'),
      issuingRegionCode: fc.constantFrom('340100', '320500', '310000'),
      enterpriseSanctioned: fc.boolean(),
      facilityCategory: category,
      facilityProvince: province,
      unitPriceFen: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 10_000_000 })),
      quantity: fc.integer({ min: 1, max: 5 }),
    })
    .map((a) => {
      const input = anhuiVoucherAtShanghaiTem({
        terms: {
          ...ANHUI_TERMS,
          categories: a.categories,
          acceptedProvinceCodes: a.acceptedProvinceCodes,
          localBonusBp: a.localBonusBp,
          perRedemptionCapFen: a.perRedemptionCapFen,
          redemptionModes: [...a.redemptionModes],
        },
        voucher: { status: a.status, availableFen: a.availableFen, validUntil: a.validUntil, issuingRegionCode: a.issuingRegionCode },
        facility: { category: a.facilityCategory, unitPriceFen: a.unitPriceFen, provinceCode: a.facilityProvince },
        enterprise: { ...base.enterprise, sanctioned: a.enterpriseSanctioned },
        quantity: a.quantity,
        mode: a.mode,
      });
      const runs = comparisonRuns({ ...input, enterpriseSanctioned: a.enterpriseSanctioned, category: a.facilityCategory });
      return { input, runs };
    });
  const runOf = (runs: ComparisonRun[], facility: EvaluationInput['facility']) =>
    runs.find((r) => r.provincePrefixes.includes(facility.provinceCode.slice(0, 2)) && facility.unitPriceFen >= r.minUnitPriceFen);

  it('a facility lies in a run exactly when its quote is not refused, at that run’s ratio (active, unrelated, unsanctioned provider)', () => {
    fc.assert(
      fc.property(arbitrary, ({ input, runs }) => {
        const evaluation = evaluateRedemption(input);
        const run = runOf(runs, input.facility);
        expect(evaluation.refusal === undefined).toBe(run !== undefined);
        if (run) expect(evaluation.ratioBp).toBe(run.ratioBp);
      }),
      { numRuns: 5_000 },
    );
  });

  it('runs do not overlap, so no facility is read twice', () => {
    fc.assert(
      fc.property(arbitrary, ({ runs }) => {
        const prefixes = runs.flatMap((r) => r.provincePrefixes);
        expect(new Set(prefixes).size).toBe(prefixes.length);
      }),
    );
  });

  it('within a run a dearer facility never ranks before a cheaper one: (unit price, id) is the ranking', () => {
    fc.assert(
      fc.property(arbitrary, fc.integer({ min: 0, max: 1_000_000 }), ({ input }, more) => {
        const cheaper = { id: 'b', evaluation: evaluateRedemption(input) };
        const dearer = {
          id: 'a',
          evaluation: evaluateRedemption({ ...input, facility: { ...input.facility, unitPriceFen: input.facility.unitPriceFen + more } }),
        };
        if (cheaper.evaluation.refusal || dearer.evaluation.refusal) return;
        const order = byWhatTheEnterprisePays(cheaper, dearer);
        expect(more === 0 ? order > 0 : order < 0).toBe(true); // equal prices: the id decides
      }),
      { numRuns: 5_000 },
    );
  });

  it('refused quotes rank by unit price too: a refusal pays the whole fee', () => {
    const refused = (unitPriceFen: number, id: string) => ({
      id,
      evaluation: evaluateRedemption({ ...withTerms({ acceptedProvinceCodes: [] }), facility: { ...base.facility, unitPriceFen } }),
    });
    expect(byWhatTheEnterprisePays(refused(100, 'z'), refused(101, 'a'))).toBeLessThan(0);
    expect(byWhatTheEnterprisePays(refused(100, 'a'), refused(100, 'b'))).toBeLessThan(0);
  });
});

describe('screening a capture', () => {
  const clear: CaptureScreenInput = {
    today: '2026-12-03',
    validUntil: '2026-12-31',
    relatedPartyBan: true,
    enterprise: { creditCode: 'E', controllerCreditCode: null, relatedCreditCodes: [], sanctioned: false },
    provider: { creditCode: 'P', controllerCreditCode: null, relatedCreditCodes: [], status: 'active', sanctioned: false },
  };

  it('lets a clear capture through, on the voucher’s last valid day too', () => {
    expect(captureRefusal(clear)).toBeNull();
    expect(captureRefusal({ ...clear, today: '2026-12-31' })).toBeNull();
  });

  it('refuses what changed since the hold: a sanction, a suspension, a relation the policy bans, the voucher’s validity', () => {
    expect(captureRefusal({ ...clear, provider: { ...clear.provider, sanctioned: true } })?.code).toBe('SANCTIONED');
    expect(captureRefusal({ ...clear, provider: { ...clear.provider, status: 'suspended' } })?.code).toBe('PROVIDER_NOT_ACTIVE');
    const related = { ...clear, enterprise: { ...clear.enterprise, relatedCreditCodes: ['P'] } };
    expect(captureRefusal(related)?.code).toBe('RELATED_PARTY');
    expect(captureRefusal({ ...related, relatedPartyBan: false })).toBeNull();
    expect(captureRefusal({ ...clear, today: '2027-01-01' })?.code).toBe('VOUCHER_EXPIRED');
    // a booking's hours were checked against the validity when booked
    expect(captureRefusal({ ...clear, today: '2027-01-01', validUntil: null })).toBeNull();
  });

  it('refuses exactly when one of the screens fails, whatever the combination', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('active', 'suspended'),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.constantFrom('2026-12-02', '2026-12-03', '2026-12-04'), { nil: null }),
        (enterpriseSanctioned, providerSanctioned, status, related, ban, validUntil) => {
          const input: CaptureScreenInput = {
            ...clear,
            validUntil,
            relatedPartyBan: ban,
            enterprise: { ...clear.enterprise, relatedCreditCodes: related ? ['P'] : [], sanctioned: enterpriseSanctioned },
            provider: { ...clear.provider, status, sanctioned: providerSanctioned },
          };
          const fails =
            enterpriseSanctioned ||
            providerSanctioned ||
            status !== 'active' ||
            (related && ban) ||
            (validUntil !== null && validUntil < clear.today);
          expect(captureRefusal(input) !== null).toBe(fails);
        },
      ),
    );
  });
});
