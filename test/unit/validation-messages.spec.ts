import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateUserInput, LoginInput, RegisterInput } from '../../src/auth/auth.dto';
import { describeViolations } from '../../src/common/http/validation';
import { Language } from '../../src/common/i18n/messages';
import { CreatePolicyInput } from '../../src/policies/policy.dto';
import { CreateSettlementInput, SettlementQuery } from '../../src/settlement/settlement.dto';
import { ApplyInput } from '../../src/vouchers/voucher.dto';

/** What the service answers for `body` sent as `cls`, in `lng`: every constraint is checked, as the request pipe does. */
async function said(cls: new () => object, body: Record<string, unknown>, lng: Language): Promise<string> {
  const errors = await validate(plainToInstance(cls, body), { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false });
  return describeViolations(errors, lng);
}

const register = (organization: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  username: 'hefei-micronano',
  password: 'Demo-pass-2026',
  role: 'enterprise',
  organization: { name: '合肥微纳新材料科技有限公司', creditCode: '91340100MA2T8XQ21W', ...organization },
  ...rest,
});

describe('validation messages: one per field, in the caller’s language', () => {
  it('a missing field is required, whatever else its rules ask', async () => {
    expect(await said(LoginInput, { username: 'bureau-ah' }, 'zh')).toBe('password：必填');
    expect(await said(LoginInput, { username: 'bureau-ah' }, 'en')).toBe('password: is required');
    expect(await said(LoginInput, { username: 'bureau-ah', password: null }, 'zh')).toBe('password：必填');
  });

  it('an amount that is no whole number of fen says so once, not three contradicting times', async () => {
    expect(await said(ApplyInput, { amountFen: '10元', purpose: '电镜' }, 'zh')).toBe('amountFen：须为整数（单位：分）');
    expect(await said(ApplyInput, { amountFen: 12.5, purpose: '电镜' }, 'en')).toBe(
      'amountFen: must be a whole number of fen (1 yuan = 100 fen)',
    );
    expect(await said(ApplyInput, { amountFen: 0, purpose: '电镜' }, 'zh')).toBe('amountFen：须为 1–10000000000000 的整数（单位：分）');
  });

  it('a length says what is allowed: not empty, at most so many, or a range', async () => {
    expect(await said(ApplyInput, { amountFen: 100, purpose: '' }, 'zh')).toBe('purpose：不能为空');
    expect(await said(ApplyInput, { amountFen: 100, purpose: '' }, 'en')).toBe('purpose: must not be empty');
    expect(await said(ApplyInput, { amountFen: 100, purpose: '测'.repeat(501) }, 'zh')).toBe('purpose：最多 500 个字符');
    expect(await said(ApplyInput, { amountFen: 100, purpose: 'x'.repeat(501) }, 'en')).toBe('purpose: must be at most 500 characters long');
    expect(await said(RegisterInput, register({ name: '合' }), 'zh')).toBe('organization.name：长度须为 2–200 个字符');
  });

  it('a field that breaks two rules is named once', async () => {
    const zh = await said(RegisterInput, register({ name: '' }), 'zh');
    expect(zh).toBe('organization.name：长度须为 2–200 个字符');
    expect(await said(RegisterInput, register({ name: '\u200b\u200b' }), 'zh')).toBe(
      'organization.name：至少须含 2 个可见字符（空格和不可见字符不计）',
    );
  });

  it('a username says which characters it may hold', async () => {
    expect(await said(RegisterInput, register({}, { username: 'a b' }), 'zh')).toBe('username：须为 3–64 个字母、数字、点、下划线或连字符');
    expect(await said(RegisterInput, register({}, { username: 'a b' }), 'en')).toBe(
      'username: must be 3–64 letters, digits, dots, underscores or hyphens',
    );
    expect(await said(LoginInput, { username: 'bureau-ah', password: 'x', otp: '12ab' }, 'zh')).toBe('otp：须为当前的 6 位动态验证码');
  });

  it('a count is an integer within its range, told whole', async () => {
    for (const limit of [0, 501, 2.5, 'abc']) expect(await said(SettlementQuery, { limit }, 'zh')).toBe('limit：须为 1–500 的整数');
    expect(await said(SettlementQuery, { limit: 0 }, 'en')).toBe('limit: must be a whole number from 1 to 500');
  });

  it('region and province codes are explained, not listed', async () => {
    expect(await said(CreateSettlementInput, { regionCode: '999999' }, 'zh')).toBe('regionCode：须为沪苏浙皖的省或城市代码（如 340100）');
    expect(await said(CreateSettlementInput, { regionCode: '999999' }, 'en')).toBe(
      'regionCode: must be the code of a province or city of Shanghai, Jiangsu, Zhejiang or Anhui (such as 340100)',
    );
    const policy = {
      regionCode: '340000',
      effectiveFrom: '2026-01-01',
      categories: [{ category: 'testing', ratioBp: 5000 }],
      acceptedProvinceCodes: ['340100'],
      enterpriseAnnualCapFen: 50_000_000,
      maxVoucherFen: 30_000_000,
      voucherValidityDays: 365,
      holdExpiryDays: 30,
      autoApproveMaxFen: 5_000_000,
    };
    expect(await said(CreatePolicyInput, policy, 'zh')).toContain(
      'acceptedProvinceCodes：须为沪苏浙皖的省级代码（310000、320000、330000、340000）',
    );
    expect(await said(CreatePolicyInput, policy, 'en')).toContain(
      'acceptedProvinceCodes: only the province codes 310000 (Shanghai), 320000 (Jiangsu), 330000 (Zhejiang) and 340000 (Anhui) are accepted',
    );
  });

  it('an e-mail address is told as one before its length', async () => {
    expect(await said(CreateUserInput, { username: 'bureau-ah-reviewer', password: 'Demo-pass-2026', email: 'x' }, 'zh')).toBe(
      'email：必须是电子邮箱地址',
    );
  });

  it('an unknown field is named as such even when it is null', async () => {
    expect(await said(ApplyInput, { amountFen: 100, purpose: '电镜', colour: null }, 'zh')).toBe('colour：不是可接受的字段');
  });
});
