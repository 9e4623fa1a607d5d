import { clock, DAY_MS } from '../../src/common/clock';
import { Sweeps } from '../../src/common/sweeps';
import { issueVoucher, openRegion, policyBody } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

interface Voucher {
  id: string;
  faceValueFen: number;
  availableFen: number;
  heldFen: number;
  spentFen: number;
  policyId: string;
  validUntil: string;
  status: string;
}
interface Facility {
  id: string;
  providerId: string;
}

const HEFEI = '340100';
const TEM = { name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
const ICP_MS = { name: 'ICP-MS 元素分析', category: 'testing', unit: 'sample', unitPriceFen: 30_000 };
const HOLD_EXPIRY_DAYS = 30;

describe('redemptions: a voucher minted in Anhui spent at a Shanghai lab', () => {
  let t: TestApp;
  let shLab: OrgSession;
  let shTem: Facility;
  let bureauAh: string;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI, { budgetFen: 2_000_000_000 });
    bureauAh = await t.token('bureau-ah');
    shLab = await t.registerProvider('310115', { name: '上海微观表征公共服务平台' });
    shTem = await listFacility(shLab, TEM);
  });
  afterAll(() => t.close());

  async function listFacility(provider: OrgSession, body: Record<string, unknown>): Promise<Facility> {
    return (await t.http.post('/api/facilities').set(auth(provider.token)).send(body).expect(201)).body;
  }

  /** A new Hefei enterprise with a voucher pinned to a policy version published just before with `terms`. */
  async function hefeiVoucher(amountFen: number, terms: Record<string, unknown> = {}, organization: Record<string, unknown> = {}) {
    await t.http.post('/api/policies').set(auth(bureauAh)).send(policyBody(HEFEI, terms)).expect(201);
    const e = await t.registerEnterprise(HEFEI, organization);
    const v: Voucher = await issueVoucher(t, e.token, amountFen);
    return { e, v };
  }

  const quote = (e: OrgSession, facilityId: string, voucherId: string, quantity: number | string, mode?: string) =>
    t.http
      .get(`/api/facilities/${facilityId}/quote`)
      .query({ voucherId, quantity, ...(mode ? { mode } : {}) })
      .set(auth(e.token));
  const hold = (e: OrgSession, body: Record<string, unknown>) => t.http.post('/api/redemptions').set(auth(e.token)).send(body);
  const capture = (p: OrgSession, id: string, actualQuantity: unknown) =>
    t.http.post(`/api/redemptions/${id}/capture`).set(auth(p.token)).send({ actualQuantity });
  const cancel = (s: OrgSession, id: string) => t.http.post(`/api/redemptions/${id}/cancel`).set(auth(s.token)).send({});
  const voucherOf = async (e: OrgSession, id: string): Promise<Voucher> =>
    (await t.http.get(`/api/vouchers/${id}`).set(auth(e.token)).expect(200)).body;
  const balances = async (e: OrgSession, id: string) => {
    const { availableFen, heldFen, spentFen } = await voucherOf(e, id);
    return { availableFen, heldFen, spentFen };
  };
  const hefeiBudget = async () => {
    const { totalFen, availableFen, committedFen } = (
      await t.http.get(`/api/budgets/${HEFEI}/${clock.year()}`).set(auth(bureauAh)).expect(200)
    ).body;
    return { totalFen, availableFen, committedFen };
  };
  const figures = (b: Record<string, unknown>) => {
    const { mode, feeFen, ratioBp, subsidyFen, selfPayFen, crossProvince, policyId } = b;
    return { mode, feeFen, ratioBp, subsidyFen, selfPayFen, crossProvince, policyId };
  };

  /** Quotes, then holds: both must agree; the hold is 201 and its figures equal the quote's. */
  async function quotedHold(e: OrgSession, facility: Facility, voucherId: string, quantity: number, mode?: string) {
    const q = await quote(e, facility.id, voucherId, quantity, mode).expect(200);
    expect(q.body.refusal).toBeUndefined();
    const h = await hold(e, { voucherId, facilityId: facility.id, quantity, ...(mode ? { mode } : {}) }).expect(201);
    const { policyVersion, ...priced } = q.body;
    expect(policyVersion).toEqual(expect.any(Number));
    expect(figures(h.body)).toEqual(priced);
    return h.body;
  }

  /** The quote shows the refusal; the hold is refused 422 with the same code and message, and holds nothing. */
  async function expectRefused(e: OrgSession, facility: Facility, voucherId: string, code: string, quantity = 2, mode?: string) {
    const before = await balances(e, voucherId);
    const q = await quote(e, facility.id, voucherId, quantity, mode).expect(200);
    expect(q.body.refusal).toEqual({ code, message: expect.any(String) });
    expect(q.body).toMatchObject({ subsidyFen: 0, selfPayFen: q.body.feeFen });
    const res = await hold(e, { voucherId, facilityId: facility.id, quantity, ...(mode ? { mode } : {}) }).expect(422);
    expect(res.body).toEqual({ statusCode: 422, code, message: q.body.refusal.message });
    expect(await balances(e, voucherId)).toEqual(before);
    return q.body.refusal.message as string;
  }

  describe('the reference scenario', () => {
    it("a 合肥 enterprise's voucher pays 50% of two hours on a Shanghai TEM at ¥800/hour, one hour is used", async () => {
      const budgetBefore = await hefeiBudget();
      const { e, v } = await hefeiVoucher(1_000_000);
      expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
      const issued = {
        totalFen: budgetBefore.totalFen,
        availableFen: budgetBefore.availableFen - 1_000_000,
        committedFen: budgetBefore.committedFen + 1_000_000,
      };
      expect(await hefeiBudget()).toEqual(issued);

      const q = await quote(e, shTem.id, v.id, 2).expect(200);
      expect(q.body).toEqual({
        mode: 'provider_redeemed',
        feeFen: 160_000,
        ratioBp: 5000,
        subsidyFen: 80_000,
        selfPayFen: 80_000,
        crossProvince: true,
        policyId: v.policyId,
        policyVersion: 2, // openRegion published the first, hefeiVoucher the second
      });

      const held = await hold(e, { voucherId: v.id, facilityId: shTem.id, quantity: 2 }).expect(201);
      expect(held.body).toEqual({
        id: expect.any(String),
        status: 'held',
        voucherId: v.id,
        facilityId: shTem.id,
        providerId: shLab.organizationId,
        enterpriseId: e.organizationId,
        payeeId: shLab.organizationId,
        issuingRegionCode: HEFEI,
        providerProvinceCode: '310000',
        crossProvince: true,
        mode: 'provider_redeemed',
        quantity: 2,
        unitPriceFen: 80_000,
        feeFen: 160_000,
        ratioBp: 5000,
        subsidyFen: 80_000,
        selfPayFen: 80_000,
        perRedemptionCapFen: null,
        policyId: expect.any(String),
        expiresAt: expect.any(String),
        createdAt: expect.any(String),
      });
      expect(held.body.policyId).toBe(v.policyId);
      expect(Date.parse(held.body.expiresAt) - Date.parse(held.body.createdAt)).toBe(HOLD_EXPIRY_DAYS * DAY_MS);
      expect(await balances(e, v.id)).toEqual({ availableFen: 920_000, heldFen: 80_000, spentFen: 0 });
      expect(await hefeiBudget()).toEqual(issued);

      const captured = await capture(shLab, held.body.id, 1).expect(200);
      // the record keeps what was held beside what was captured; the enterprise has confirmDays to confirm the usage
      expect(captured.body).toMatchObject({
        status: 'captured',
        quantity: 2,
        feeFen: 160_000,
        subsidyFen: 80_000,
        selfPayFen: 80_000,
        capturedQuantity: 1,
        actualQuantity: 1,
        capturedFeeFen: 80_000,
        capturedSubsidyFen: 40_000,
        capturedSelfPayFen: 40_000,
        capturedAt: expect.any(String),
        usage: 'pending',
      });
      expect(Date.parse(captured.body.usageDueAt) - Date.parse(captured.body.capturedAt)).toBe(7 * DAY_MS);
      expect(await balances(e, v.id)).toEqual({ availableFen: 960_000, heldFen: 0, spentFen: 40_000 });
      expect(await hefeiBudget()).toEqual(issued);
      expect((await t.http.get(`/api/redemptions/${held.body.id}`).set(auth(e.token)).expect(200)).body).toEqual(captured.body);
      expect((await t.ledgerCheck()).violations).toEqual([]);

      const audit = await t.http
        .get('/api/audit')
        .query({ entityType: 'redemption', entityId: held.body.id })
        .set(auth(await t.token('platform')))
        .expect(200);
      expect(audit.body.items.map((a: { action: string }) => a.action).sort()).toEqual(['redemption.captured', 'redemption.held']);
    });
  });

  describe('the subsidy arithmetic', () => {
    it('a Hefei enterprise at an Anhui lab with localBonusBp 1000 gets 6000 bp', async () => {
      const wuhuLab = await t.registerProvider('340202', { name: '芜湖检测认证中心' });
      const icp = await listFacility(wuhuLab, ICP_MS);
      const { e, v } = await hefeiVoucher(1_000_000, { localBonusBp: 1000 });
      const h = await quotedHold(e, icp, v.id, 3);
      expect(h).toMatchObject({
        crossProvince: false,
        providerProvinceCode: '340000',
        feeFen: 90_000,
        ratioBp: 6000,
        subsidyFen: 54_000,
        selfPayFen: 36_000,
      });
      // The bonus is for providers in the issuing province only: the Shanghai TEM stays at 50%.
      expect((await quote(e, shTem.id, v.id, 2).expect(200)).body).toMatchObject({ ratioBp: 5000, subsidyFen: 80_000 });
    });

    it('perRedemptionCapFen lowers the subsidy, and still applies on capture', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { perRedemptionCapFen: 50_000 });
      const h = await quotedHold(e, shTem, v.id, 2);
      expect(h).toMatchObject({ feeFen: 160_000, ratioBp: 5000, subsidyFen: 50_000, selfPayFen: 110_000, perRedemptionCapFen: 50_000 });
      expect(await balances(e, v.id)).toEqual({ availableFen: 950_000, heldFen: 50_000, spentFen: 0 });
      const c = await capture(shLab, h.id, 2).expect(200);
      expect(c.body).toMatchObject({ feeFen: 160_000, subsidyFen: 50_000, selfPayFen: 110_000 });
      expect(await balances(e, v.id)).toEqual({ availableFen: 950_000, heldFen: 0, spentFen: 50_000 });
    });

    it('pins the policy version of issue: a later version does not change the voucher’s terms', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { categories: [{ category: 'testing', ratioBp: 3000 }] });
      await t.http
        .post('/api/policies')
        .set(auth(bureauAh))
        .send(policyBody(HEFEI, { categories: [{ category: 'testing', ratioBp: 8000 }] }))
        .expect(201);
      expect((await quotedHold(e, shTem, v.id, 1)).ratioBp).toBe(3000);
    });

    it('a nearly spent voucher pays only what it has left, then refuses VOUCHER_INSUFFICIENT_BALANCE', async () => {
      const { e, v } = await hefeiVoucher(100_000);
      expect((await quotedHold(e, shTem, v.id, 2)).subsidyFen).toBe(80_000);
      const partial = await quotedHold(e, shTem, v.id, 2);
      expect(partial).toMatchObject({ feeFen: 160_000, subsidyFen: 20_000, selfPayFen: 140_000 });
      expect(await balances(e, v.id)).toEqual({ availableFen: 0, heldFen: 100_000, spentFen: 0 });
      const message = await expectRefused(e, shTem, v.id, 'VOUCHER_INSUFFICIENT_BALANCE');
      expect(message).toContain('no available balance');
    });

    it('refuses a service whose subsidy would round to zero fen as VOUCHER_INSUFFICIENT_BALANCE', async () => {
      const oneFen = await listFacility(shLab, { ...TEM, name: '打印服务', unit: 'item', unitPriceFen: 1 });
      const { e, v } = await hefeiVoucher(100_000);
      expect(await expectRefused(e, oneFen, v.id, 'VOUCHER_INSUFFICIENT_BALANCE', 1)).toContain('zero');
    });
  });

  describe('modes', () => {
    it('enterprise_reimbursed (通用) makes the enterprise the payee', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 1, 'enterprise_reimbursed');
      expect(h).toMatchObject({
        mode: 'enterprise_reimbursed',
        payeeId: e.organizationId,
        providerId: shLab.organizationId,
        subsidyFen: 40_000,
      });
    });

    it('defaults to enterprise_reimbursed where that is the only mode allowed', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { redemptionModes: ['enterprise_reimbursed'] });
      expect(await quotedHold(e, shTem, v.id, 1)).toMatchObject({ mode: 'enterprise_reimbursed', payeeId: e.organizationId });
    });
  });

  describe('every refusal has its code, and the quote agrees with the hold', () => {
    it('VOUCHER_NOT_ACTIVE: a revoked voucher', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      await t.http.post(`/api/vouchers/${v.id}/revoke`).set(auth(bureauAh)).send({ reason: '虚假申报材料' }).expect(200);
      expect(await expectRefused(e, shTem, v.id, 'VOUCHER_NOT_ACTIVE')).toContain('revoked');
    });

    it('VOUCHER_EXPIRED: a voucher past its last valid day', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { voucherValidityDays: 30 });
      clock.travel(31 * DAY_MS);
      try {
        expect(await expectRefused(e, shTem, v.id, 'VOUCHER_EXPIRED')).toContain(v.validUntil);
      } finally {
        clock.reset();
      }
    });

    it('VOUCHER_EXPIRED still once the sweep has marked the voucher expired, in Chinese with its last day', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { voucherValidityDays: 30 });
      clock.travel(31 * DAY_MS);
      try {
        await t.get(Sweeps).runAll();
        expect((await voucherOf(e, v.id)).status).toBe('expired');
        expect(await expectRefused(e, shTem, v.id, 'VOUCHER_EXPIRED')).toContain(v.validUntil);
        const zh = await hold(e, { voucherId: v.id, facilityId: shTem.id, quantity: 1 }).set('Accept-Language', 'zh-CN').expect(422);
        expect(zh.body).toMatchObject({ code: 'VOUCHER_EXPIRED', message: expect.stringContaining('届满') });
      } finally {
        clock.reset();
      }
    });

    it('PROVIDER_NOT_ACTIVE: a suspended provider', async () => {
      const lab = await t.registerProvider('310104');
      const f = await listFacility(lab, TEM);
      await t.http
        .post(`/api/providers/${lab.organizationId}/suspend`)
        .set(auth(await t.token('bureau-sh')))
        .send({ reason: '虚假使用记录' })
        .expect(200);
      const { e, v } = await hefeiVoucher(1_000_000);
      expect(await expectRefused(e, f, v.id, 'PROVIDER_NOT_ACTIVE')).toContain('suspended');
    });

    it('SANCTIONED: an enterprise on the shared credit-sanction list', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      await t.http
        .post('/api/sanctions')
        .set(auth(await t.token('bureau-js')))
        .send({ creditCode: e.creditCode, reason: '伪造检测报告' })
        .expect(201);
      expect(await expectRefused(e, shTem, v.id, 'SANCTIONED')).toContain(`the enterprise ${e.creditCode}`);
    });

    it('SANCTIONED: a provider on the shared credit-sanction list', async () => {
      const lab = await t.registerProvider('310104');
      const f = await listFacility(lab, TEM);
      await t.http
        .post('/api/sanctions')
        .set(auth(await t.token('bureau-sh')))
        .send({ creditCode: lab.creditCode, reason: '虚开发票' })
        .expect(201);
      const { e, v } = await hefeiVoucher(1_000_000);
      expect(await expectRefused(e, f, v.id, 'SANCTIONED')).toContain(`the provider ${lab.creditCode}`);
    });

    it('MODE_NOT_ALLOWED: 通用 under a policy that allows only 通兑', async () => {
      const { e, v } = await hefeiVoucher(1_000_000, { redemptionModes: ['provider_redeemed'] });
      expect(await expectRefused(e, shTem, v.id, 'MODE_NOT_ALLOWED', 2, 'enterprise_reimbursed')).toContain('enterprise_reimbursed');
    });

    it('CATEGORY_NOT_COVERED: consulting under a policy that covers testing, R&D and design', async () => {
      const advice = await listFacility(shLab, { name: '技术咨询', category: 'consulting', unit: 'item', unitPriceFen: 500_000 });
      const { e, v } = await hefeiVoucher(1_000_000);
      expect(await expectRefused(e, advice, v.id, 'CATEGORY_NOT_COVERED', 1)).toContain('consulting');
    });

    it('PROVINCE_NOT_ACCEPTED: a Zhejiang lab under a policy accepting Shanghai and Anhui only', async () => {
      const zjLab = await t.registerProvider('330106');
      const f = await listFacility(zjLab, TEM);
      const { e, v } = await hefeiVoucher(1_000_000, { acceptedProvinceCodes: ['310000', '340000'] });
      expect(await expectRefused(e, f, v.id, 'PROVINCE_NOT_ACCEPTED')).toContain('Zhejiang (330000)');
      expect((await quotedHold(e, shTem, v.id, 1)).subsidyFen).toBe(40_000);
    });

    it('RELATED_PARTY: the enterprise lists the provider among its related parties', async () => {
      const lab = await t.registerProvider('310104');
      const f = await listFacility(lab, TEM);
      const { e, v } = await hefeiVoucher(1_000_000, {}, { relatedCreditCodes: [lab.creditCode] });
      expect(await expectRefused(e, f, v.id, 'RELATED_PARTY')).toContain('related parties');
    });

    it('RELATED_PARTY: both share an actual controller', async () => {
      const controller = creditCodeIn('310101');
      const lab = await t.registerProvider('310104', { controllerCreditCode: controller });
      const f = await listFacility(lab, TEM);
      const { e, v } = await hefeiVoucher(1_000_000, {}, { controllerCreditCode: controller });
      await expectRefused(e, f, v.id, 'RELATED_PARTY');
    });

    it('related parties may trade when the policy does not ban it', async () => {
      const lab = await t.registerProvider('310104');
      const f = await listFacility(lab, TEM);
      const { e, v } = await hefeiVoucher(1_000_000, { relatedPartyBan: false }, { relatedCreditCodes: [lab.creditCode] });
      expect((await quotedHold(e, f, v.id, 1)).subsidyFen).toBe(40_000);
    });

    it('a retired facility takes no new orders: quote and hold 409', async () => {
      const f = await listFacility(shLab, { ...TEM, name: '旧电镜' });
      await t.http.post(`/api/facilities/${f.id}/retire`).set(auth(shLab.token)).expect(200);
      const { e, v } = await hefeiVoucher(1_000_000);
      expect((await quote(e, f.id, v.id, 1).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await hold(e, { voucherId: v.id, facilityId: f.id, quantity: 1 }).expect(409)).body.code).toBe('INVALID_STATE');
    });
  });

  describe('input', () => {
    let e: OrgSession;
    let v: Voucher;
    beforeAll(async () => ({ e, v } = await hefeiVoucher(1_000_000)));

    it.each([
      ['a zero quantity', { quantity: 0 }, 'quantity'],
      ['a negative quantity', { quantity: -1 }, 'quantity'],
      ['a fractional quantity', { quantity: 1.5 }, 'quantity'],
      ['a quantity above 1,000,000', { quantity: 1_000_001 }, 'quantity'],
      ['a quantity as a string', { quantity: '2' }, 'quantity'],
      ['an unknown mode', { mode: 'cash' }, 'mode'],
      ['a malformed voucherId', { voucherId: 'AH-2026-000001' }, 'voucherId'],
      ['an unknown field', { subsidyFen: 1 }, 'subsidyFen'],
    ])('rejects a hold with %s: 400 naming the field', async (_, change, field) => {
      const res = await hold(e, { voucherId: v.id, facilityId: shTem.id, quantity: 2, ...change }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain(field);
    });

    it('rejects a fee above 10^13 fen with 400, on quote and hold alike', async () => {
      const beamline = await listFacility(shLab, { ...TEM, name: '同步辐射光束线 整期包用', unitPriceFen: 10_000_000_000 });
      expect((await quote(e, beamline.id, v.id, 1000).expect(200)).body.feeFen).toBe(10_000_000_000_000);
      for (const res of [
        await quote(e, beamline.id, v.id, 1001),
        await hold(e, { voucherId: v.id, facilityId: beamline.id, quantity: 1001 }),
      ]) {
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('quantity') });
      }
    });

    it.each([['0'], ['-3'], ['1.5'], ['two'], ['']])('rejects a quote for quantity "%s" with 400', async (quantity) => {
      expect((await quote(e, shTem.id, v.id, quantity).expect(400)).body.message).toContain('quantity');
    });

    it('answers 404 for an unknown facility or voucher, and for another enterprise’s voucher', async () => {
      const other = await t.registerEnterprise(HEFEI);
      const unknown = '00000000-0000-4000-8000-000000000000';
      await quote(e, unknown, v.id, 1).expect(404);
      await quote(e, shTem.id, unknown, 1).expect(404);
      await quote(other, shTem.id, v.id, 1).expect(404);
      await hold(other, { voucherId: v.id, facilityId: shTem.id, quantity: 1 }).expect(404);
      await hold(e, { voucherId: v.id, facilityId: unknown, quantity: 1 }).expect(404);
      expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
    });

    it('lets only enterprises quote and hold', async () => {
      await t.http.get(`/api/facilities/${shTem.id}/quote`).query({ voucherId: v.id, quantity: 1 }).set(auth(shLab.token)).expect(403);
      await t.http.post('/api/redemptions').set(auth(bureauAh)).send({ voucherId: v.id, facilityId: shTem.id, quantity: 1 }).expect(403);
      await t.http.post('/api/redemptions').send({ voucherId: v.id, facilityId: shTem.id, quantity: 1 }).expect(401);
    });

    it('rejects a capture with a malformed actualQuantity', async () => {
      const h = await quotedHold(e, shTem, v.id, 1);
      for (const actualQuantity of [-1, 0.5, '1', 1_000_001, null]) {
        expect((await capture(shLab, h.id, actualQuantity).expect(400)).body.message).toContain('actualQuantity');
      }
      await cancel(e, h.id).expect(200);
    });
  });

  describe('capture and cancel', () => {
    it('a second capture, or a capture after cancel, is 409 INVALID_STATE; nothing moves', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const a = await quotedHold(e, shTem, v.id, 2);
      await capture(shLab, a.id, 2).expect(200);
      expect((await capture(shLab, a.id, 2).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await cancel(e, a.id).expect(409)).body.code).toBe('INVALID_STATE');
      const b = await quotedHold(e, shTem, v.id, 1);
      const cancelled = await cancel(e, b.id).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', subsidyFen: 40_000, closedAt: expect.any(String) });
      expect((await capture(shLab, b.id, 1).expect(409)).body.code).toBe('INVALID_STATE');
      expect(await balances(e, v.id)).toEqual({ availableFen: 920_000, heldFen: 0, spentFen: 80_000 });
    });

    it('the provider may cancel; another enterprise or provider gets 404, and the enterprise may not capture', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const stranger = await t.registerEnterprise(HEFEI);
      const otherLab = await t.registerProvider('310104');
      const h = await quotedHold(e, shTem, v.id, 1);
      expect((await cancel(stranger, h.id).expect(404)).body.code).toBe('NOT_FOUND');
      await cancel(otherLab, h.id).expect(404);
      await capture(otherLab, h.id, 1).expect(404);
      await capture(e, h.id, 1).expect(403);
      await t.http.post(`/api/redemptions/${h.id}/cancel`).set(auth(bureauAh)).expect(403);
      await cancel(shLab, h.id).expect(200);
      expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
    });

    it('capturing zero units releases the whole hold', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 2);
      expect((await capture(shLab, h.id, 0).expect(200)).body).toMatchObject({
        status: 'captured',
        capturedQuantity: 0,
        capturedSubsidyFen: 0,
        capturedFeeFen: 0,
        subsidyFen: 80_000,
      });
      expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
    });

    it('a provider cannot capture more than the enterprise agreed to: 1,000 hours on a 1-hour hold is refused', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 1);
      const res = await capture(shLab, h.id, 1000).expect(422);
      expect(res.body).toMatchObject({ code: 'CAPTURE_EXCEEDS_HOLD', message: expect.stringContaining('1000') });
      expect(await balances(e, v.id)).toEqual({ availableFen: 960_000, heldFen: 40_000, spentFen: 0 });
      expect((await capture(shLab, h.id, 1).expect(200)).body).toMatchObject({ capturedQuantity: 1, capturedSubsidyFen: 40_000 });
    });

    it('revoking a voucher cancels its open holds: nothing is left for the provider to capture, all of it goes back to the budget', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 2);
      const before = await hefeiBudget();
      await t.http.post(`/api/vouchers/${v.id}/revoke`).set(auth(bureauAh)).send({ reason: '涉嫌骗补' }).expect(200);
      expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status).toBe('cancelled');
      expect((await capture(shLab, h.id, 1).expect(409)).body.code).toBe('INVALID_STATE');
      expect(await balances(e, v.id)).toEqual({ availableFen: 0, heldFen: 0, spentFen: 0 });
      expect(await hefeiBudget()).toEqual({
        totalFen: before.totalFen,
        availableFen: before.availableFen + 1_000_000,
        committedFen: before.committedFen - 1_000_000,
      });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });

  describe('hold expiry', () => {
    it('a hold past expiresAt reads as expired at once, and the sweep gives its subsidy back', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 2);
      clock.travel(HOLD_EXPIRY_DAYS * DAY_MS + 1000);
      try {
        expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status).toBe('expired');
        const expiredIds = (
          await t.http.get('/api/redemptions').query({ status: 'expired' }).set(auth(e.token)).expect(200)
        ).body.items.map((r: { id: string }) => r.id);
        expect(expiredIds).toEqual([h.id]);
        expect((await t.http.get('/api/redemptions').query({ status: 'held' }).set(auth(e.token)).expect(200)).body.total).toBe(0);
        expect(await balances(e, v.id)).toEqual({ availableFen: 920_000, heldFen: 80_000, spentFen: 0 });

        const swept = await t.get(Sweeps).runAll();
        expect(swept['hold-expiry']).toBeGreaterThanOrEqual(1);
        expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
        expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
          status: 'expired',
          closedAt: expect.any(String),
        });
        expect((await t.get(Sweeps).runAll())['hold-expiry']).toBe(0);
        await capture(shLab, h.id, 1).expect(409);
      } finally {
        clock.reset();
      }
    });

    it('capturing an expired hold before any sweep is 409, and expires it in passing', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const h = await quotedHold(e, shTem, v.id, 2);
      clock.travel(HOLD_EXPIRY_DAYS * DAY_MS + 1000);
      try {
        const res = await capture(shLab, h.id, 1).set('Idempotency-Key', `late-${h.id}`).expect(409);
        expect(res.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('expired') });
        expect(await balances(e, v.id)).toEqual({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
        // The refusal consumed no Idempotency-Key: a retry is refused for the same reason, not as a conflict.
        expect((await capture(shLab, h.id, 1).set('Idempotency-Key', `late-${h.id}`).expect(409)).body.code).toBe('INVALID_STATE');
        expect((await cancel(e, h.id).expect(409)).body.code).toBe('INVALID_STATE');
      } finally {
        clock.reset();
      }
      expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status).toBe('expired');
    });
  });

  describe('reading', () => {
    let e: OrgSession;
    let h: { id: string };
    beforeAll(async () => {
      let v: Voucher;
      ({ e, v } = await hefeiVoucher(1_000_000));
      h = await quotedHold(e, shTem, v.id, 1);
    });

    const ids = async (token: string, query: Record<string, unknown> = {}) =>
      (
        await t.http
          .get('/api/redemptions')
          .query({ limit: 500, ...query })
          .set(auth(token))
          .expect(200)
      ).body.items.map((r: { id: string }) => r.id);

    it('shows a redemption to the enterprise, the provider, the issuing bureau and the platform', async () => {
      for (const token of [e.token, shLab.token, bureauAh, await t.token('platform')]) {
        expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(token)).expect(200)).body.id).toBe(h.id);
        expect(await ids(token)).toContain(h.id);
      }
    });

    it('hides it from everyone else: 404 and absent from their lists', async () => {
      const strangers = [
        (await t.registerEnterprise(HEFEI)).token,
        (await t.registerProvider('310104')).token,
        await t.token('bureau-sh'),
        await t.token('bureau-js'),
      ];
      for (const token of strangers) {
        expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(token)).expect(404)).body.code).toBe('NOT_FOUND');
        expect(await ids(token)).not.toContain(h.id);
      }
    });

    it('lists the enterprise’s own redemptions newest first, filtered by status, paged', async () => {
      const { e: own, v } = await hefeiVoucher(1_000_000);
      const first = await quotedHold(own, shTem, v.id, 1);
      const second = await quotedHold(own, shTem, v.id, 2);
      await capture(shLab, first.id, 1).expect(200);
      expect(await ids(own.token)).toEqual([second.id, first.id]);
      expect(await ids(own.token, { status: 'captured' })).toEqual([first.id]);
      expect(await ids(own.token, { status: 'held' })).toEqual([second.id]);
      expect(await ids(own.token, { status: 'cancelled' })).toEqual([]);
      const page = await t.http.get('/api/redemptions').query({ limit: 1, offset: 1 }).set(auth(own.token)).expect(200);
      expect(page.body).toEqual({ items: [expect.objectContaining({ id: first.id })], total: 2 });
      await t.http.get('/api/redemptions').query({ status: 'paid' }).set(auth(own.token)).expect(400);
      await t.http.get('/api/redemptions/not-an-id').set(auth(own.token)).expect(404);
    });
  });

  describe('idempotency', () => {
    it('a replayed hold returns the same 201 body and holds once; another body under the key is 409', async () => {
      const { e, v } = await hefeiVoucher(1_000_000);
      const body = { voucherId: v.id, facilityId: shTem.id, quantity: 2 };
      const first = await hold(e, body).set('Idempotency-Key', 'hold-tem-2h').expect(201);
      const again = await hold(e, body).set('Idempotency-Key', 'hold-tem-2h').expect(201);
      expect(again.body).toEqual(first.body);
      expect(await balances(e, v.id)).toEqual({ availableFen: 920_000, heldFen: 80_000, spentFen: 0 });
      const conflict = await hold(e, { ...body, quantity: 3 })
        .set('Idempotency-Key', 'hold-tem-2h')
        .expect(409);
      expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
      expect((await t.http.get('/api/redemptions').set(auth(e.token)).expect(200)).body.total).toBe(1);
    });
  });

  describe('comparing one category across provinces', () => {
    it('ranks by what the enterprise would pay after subsidy, refused ones last, each with the quote a hold would get', async () => {
      const transfer = { category: 'tech_transfer', unit: 'item' };
      const sh = await listFacility(shLab, { ...transfer, name: '上海 专利转化评估', unitPriceFen: 100_000 });
      const ahLab = await t.registerProvider('340104');
      const ah = await listFacility(ahLab, { ...transfer, name: '合肥 专利转化评估', unitPriceFen: 110_000 });
      const js = await listFacility(await t.registerProvider('320506'), { ...transfer, name: '苏州 专利转化评估', unitPriceFen: 120_000 });
      const zj = await listFacility(await t.registerProvider('330106'), { ...transfer, name: '杭州 专利转化评估', unitPriceFen: 90_000 });
      const retired = await listFacility(ahLab, { ...transfer, name: '已下架', unitPriceFen: 1_000 });
      await t.http.post(`/api/facilities/${retired.id}/retire`).set(auth(ahLab.token)).expect(200);
      const { e, v } = await hefeiVoucher(1_000_000, {
        categories: [{ category: 'tech_transfer', ratioBp: 5000 }],
        acceptedProvinceCodes: ['310000', '320000', '340000'],
        localBonusBp: 1000,
      });

      const res = await t.http
        .get('/api/quotes')
        .query({ category: 'tech_transfer', voucherId: v.id, quantity: 1 })
        .set(auth(e.token))
        .expect(200);
      expect(res.body.total).toBe(4);
      expect(
        res.body.items.map((i: { facility: Facility; quote: Record<string, unknown> }) => [
          i.facility.id,
          i.quote.selfPayFen,
          i.quote.refusal && (i.quote.refusal as { code: string }).code,
        ]),
      ).toEqual([
        [ah.id, 44_000, undefined],
        [sh.id, 50_000, undefined],
        [js.id, 60_000, undefined],
        [zj.id, 90_000, 'PROVINCE_NOT_ACCEPTED'],
      ]);
      for (const item of res.body.items) {
        expect((await quote(e, item.facility.id, v.id, 1).expect(200)).body).toEqual(item.quote);
      }
      const page = await t.http
        .get('/api/quotes')
        .query({ category: 'tech_transfer', voucherId: v.id, limit: 1, offset: 1 })
        .set(auth(e.token))
        .expect(200);
      expect(page.body.items.map((i: { facility: Facility }) => i.facility.id)).toEqual([sh.id]);

      const stranger = await t.registerEnterprise(HEFEI);
      await t.http.get('/api/quotes').query({ category: 'tech_transfer', voucherId: v.id }).set(auth(stranger.token)).expect(404);
      await t.http.get('/api/quotes').query({ category: 'catering', voucherId: v.id }).set(auth(e.token)).expect(400);
      await t.http.get('/api/quotes').query({ category: 'tech_transfer', voucherId: v.id }).set(auth(shLab.token)).expect(403);
    });
  });

  it('describes every route in the OpenAPI document', async () => {
    const paths = Object.keys((await t.http.get('/docs-json').expect(200)).body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/redemptions',
        '/api/redemptions/{id}',
        '/api/redemptions/{id}/capture',
        '/api/redemptions/{id}/cancel',
        '/api/facilities/{id}/quote',
        '/api/quotes',
      ]),
    );
  });
});
