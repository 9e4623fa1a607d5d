import { issueVoucher, openRegion, bureauFor } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

/** English detail in brackets, as a Chinese answer gave it before its rule had its own Chinese sentence. */
const ENGLISH_IN_BRACKETS = /[（(][^）)]*[A-Za-z][^）)]*[）)]/;

/**
 * A Hefei voucher under a policy that accepts providers of Shanghai and Anhui only, in 通兑 mode only: the refusals
 * enterprises and labs meet on holds, quotes, capture and usage, answered wholly in Chinese to zh-CN with their
 * figures, and word for word as before in English.
 */
describe('refusals of holds, quotes, capture and usage in Chinese', () => {
  let t: TestApp;
  let shLab: OrgSession;
  let zjLab: OrgSession;
  const facilities: Record<string, string> = {};

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '340100', { policy: { acceptedProvinceCodes: ['310000', '340000'], redemptionModes: ['provider_redeemed'] } });
    shLab = await t.registerProvider('310115');
    zjLab = await t.registerProvider('330100');
    const list = async (lab: OrgSession, name: string, body: Record<string, unknown>) => {
      const res = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name, category: 'testing', unit: 'hour', unitPriceFen: 80_000, ...body })
        .expect(201);
      facilities[name] = res.body.id;
    };
    await list(shLab, 'tem', {});
    await list(shLab, 'xrd', { unit: 'sample', unitPriceFen: 30_000 });
    await list(shLab, 'advice', { category: 'consulting', unit: 'item' });
    await list(shLab, 'penny', { unitPriceFen: 1 });
    await list(zjLab, 'sem', {});
  });
  afterAll(() => t.close());
  let bureauJs: string;
  beforeAll(async () => {
    bureauJs = await t.token('bureau-js');
  });

  const hefeiVoucher = async () => {
    const e = await t.registerEnterprise('340104');
    return { e, v: await issueVoucher(t, e.token, 1_000_000) };
  };
  const hold = (e: OrgSession, body: Record<string, unknown>, language?: string) => {
    const req = t.http.post('/api/redemptions').set(auth(e.token));
    return (language ? req.set('Accept-Language', language) : req).send(body);
  };
  /** The same request in English and in Chinese: both refused alike, with their messages. */
  const inBoth = async (call: (language?: string) => ReturnType<typeof hold>, status: number) => {
    const en = (await call().expect(status)).body;
    const zh = (await call('zh-CN').expect(status)).body;
    expect(zh.code).toBe(en.code);
    expect(zh.message).not.toMatch(ENGLISH_IN_BRACKETS);
    return { code: en.code as string, en: en.message as string, zh: zh.message as string };
  };

  describe('a hold (and its quote) refused by the voucher’s policy', () => {
    it('a Zhejiang lab the policy does not accept: the province and those accepted by name', async () => {
      const { e, v } = await hefeiVoucher();
      const said = await inBoth((l) => hold(e, { voucherId: v.id, facilityId: facilities.sem, quantity: 1 }, l), 422);
      expect(said).toEqual({
        code: 'PROVINCE_NOT_ACCEPTED',
        en: "Providers in Zhejiang (330000) are not accepted by the voucher's policy (accepted: Shanghai (310000), Anhui (340000)).",
        zh: '本券政策不接受浙江省的服务机构（可用券的省市：上海市、安徽省）',
      });
      const quote = await t.http
        .get(`/api/facilities/${facilities.sem}/quote?voucherId=${v.id}&quantity=1`)
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .expect(200);
      expect(quote.body.refusal).toEqual({ code: 'PROVINCE_NOT_ACCEPTED', message: said.zh });
    });

    it('通用 where the policy pays only 通兑: both modes by their Chinese names', async () => {
      const { e, v } = await hefeiVoucher();
      const body = { voucherId: v.id, facilityId: facilities.tem, quantity: 1, mode: 'enterprise_reimbursed' };
      expect(await inBoth((l) => hold(e, body, l), 422)).toEqual({
        code: 'MODE_NOT_ALLOWED',
        en: "Redemption mode enterprise_reimbursed is not allowed by the voucher's policy (allowed: provider_redeemed).",
        zh: '本券政策不允许以通用方式兑付（允许的方式：通兑）',
      });
    });

    it('a consulting service the policy does not cover: the category by its Chinese name', async () => {
      const { e, v } = await hefeiVoucher();
      expect(await inBoth((l) => hold(e, { voucherId: v.id, facilityId: facilities.advice, quantity: 1 }, l), 422)).toEqual({
        code: 'CATEGORY_NOT_COVERED',
        en: "The service category consulting is not covered by the voucher's policy.",
        zh: '本券政策不支持“咨询”类服务',
      });
    });

    it('a 1-fen service whose subsidy rounds to nothing: the fee in yuan and the ratio in percent', async () => {
      const { e, v } = await hefeiVoucher();
      expect(await inBoth((l) => hold(e, { voucherId: v.id, facilityId: facilities.penny, quantity: 1 }, l), 422)).toEqual({
        code: 'VOUCHER_INSUFFICIENT_BALANCE',
        en: 'The subsidy on a fee of 1 fen at 5000 bp would be zero fen, so there is nothing to redeem.',
        zh: '费用 ¥0.01 按补贴比例 50% 计算的补贴不足 1 分，没有可兑付的金额',
      });
    });
  });

  describe('capture and usage', () => {
    const capture = (id: string, actualQuantity: number) => (language?: string) => {
      const req = t.http.post(`/api/redemptions/${id}/capture`).set(auth(shLab.token));
      return (language ? req.set('Accept-Language', language) : req).send({ actualQuantity });
    };

    it('more samples than held: the quantities in the facility’s unit (样), in English as before', async () => {
      const { e, v } = await hefeiVoucher();
      const h = (await hold(e, { voucherId: v.id, facilityId: facilities.xrd, quantity: 2 }).expect(201)).body;
      expect(await inBoth(capture(h.id, 5), 422)).toEqual({
        code: 'CAPTURE_EXCEEDS_HOLD',
        en: 'actualQuantity 5 exceeds the 2 units held; the enterprise agreed to no more',
        zh: '实际用量 5 样超过冻结的用量 2 样，用券企业未同意更多用量',
      });
    });

    it('a hold captured already (INVALID_STATE): its state named in Chinese', async () => {
      const { e, v } = await hefeiVoucher();
      const h = (await hold(e, { voucherId: v.id, facilityId: facilities.tem, quantity: 2 }).expect(201)).body;
      await capture(h.id, 2)().expect(200);
      expect(await inBoth(capture(h.id, 1), 409)).toEqual({
        code: 'INVALID_STATE',
        en: 'the redemption is captured; only a held redemption can be closed',
        zh: '该核销记录已核销，只有冻结中的核销记录可以核销或取消',
      });
    });

    it('usage confirmed already, then a resolution of an undisputed usage (INVALID_STATE), and a resolution above the capture with its unit', async () => {
      const { e, v } = await hefeiVoucher();
      const confirmed = (await hold(e, { voucherId: v.id, facilityId: facilities.tem, quantity: 1 }).expect(201)).body;
      await capture(confirmed.id, 1)().expect(200);
      const confirm = (language?: string) => {
        const req = t.http.post(`/api/redemptions/${confirmed.id}/confirm`).set(auth(e.token));
        return language ? req.set('Accept-Language', language) : req;
      };
      await confirm().expect(200);
      expect(await inBoth(confirm, 409)).toEqual({
        code: 'INVALID_STATE',
        en: 'the usage is already confirmed',
        zh: '该次服务的用量已确认，不能再确认或提出异议',
      });

      const bureau = await t.token(bureauFor('340100'));
      const resolve = (id: string, actualQuantity: number) => (language?: string) => {
        const req = t.http.post(`/api/redemptions/${id}/resolve`).set(auth(bureau));
        return (language ? req.set('Accept-Language', language) : req).send({ actualQuantity });
      };
      expect(await inBoth(resolve(confirmed.id, 0), 409)).toEqual({
        code: 'INVALID_STATE',
        en: 'the usage is confirmed; only a disputed usage can be resolved',
        zh: '该次服务的用量已确认，只有有异议的用量才能裁定',
      });

      const disputed = (await hold(e, { voucherId: v.id, facilityId: facilities.xrd, quantity: 3 }).expect(201)).body;
      await capture(disputed.id, 2)().expect(200);
      await t.http.post(`/api/redemptions/${disputed.id}/dispute`).set(auth(e.token)).send({ reason: '只测了 1 个样品' }).expect(200);
      expect(await inBoth(resolve(disputed.id, 3), 400)).toEqual({
        code: 'VALIDATION_FAILED',
        en: 'actualQuantity: a resolution may not exceed the 2 units captured',
        zh: 'actualQuantity：裁定用量不能超过已核销的用量 2 样',
      });
    });

    it('a retired facility takes no order (INVALID_STATE)', async () => {
      const { e, v } = await hefeiVoucher();
      const retired = (
        await t.http
          .post('/api/facilities')
          .set(auth(shLab.token))
          .send({ name: '旧衍射仪', category: 'testing', unit: 'sample', unitPriceFen: 30_000 })
          .expect(201)
      ).body.id;
      await t.http.post(`/api/facilities/${retired}/retire`).set(auth(shLab.token)).expect(200);
      expect(await inBoth((l) => hold(e, { voucherId: v.id, facilityId: retired, quantity: 1 }, l), 409)).toEqual({
        code: 'INVALID_STATE',
        en: 'the facility is retired; it takes no new orders',
        zh: '该仪器或服务已下架，不再接受新订单',
      });
    });
  });

  it('another region’s bureau is told which bureau may act, wholly in Chinese; in English as before', async () => {
    const said = await inBoth((l) => {
      const req = t.http.put('/api/budgets/340100/2026').set(auth(bureauJs));
      return (l ? req.set('Accept-Language', l) : req).send({ totalFen: 1 });
    }, 403);
    expect(said).toEqual({
      code: 'FORBIDDEN',
      en: 'only the bureau of region 340100 or its province may act on the budget of 340100',
      zh: '合肥市的此项事务由合肥市科学技术局或安徽省科学技术厅负责',
    });
    // A municipality has one bureau, a 科委, and no province above it.
    const shanghai = await t.http
      .get('/api/reports/annual?regionCode=310000&year=2026')
      .set(auth(bureauJs))
      .set('Accept-Language', 'zh-CN');
    expect([shanghai.status, shanghai.body.message]).toEqual([403, '上海市的此项事务由上海市科学技术委员会负责']);
  });

  it('a field a pattern checks says what it must be in Chinese, not only that its format is wrong; in English as before', async () => {
    const calendar = (l?: string) => {
      const req = t.http.put(`/api/facilities/${facilities.tem}/calendar`).set(auth(shLab.token));
      return (l ? req.set('Accept-Language', l) : req).send({
        openingHours: [{ weekday: 1, from: '09:30', to: '18:00' }],
        minNoticeHours: 24,
        maxAdvanceDays: 60,
        freeCancellationHours: 24,
        lateCancellationFeeBp: 5000,
        requiresQualification: false,
      });
    };
    expect(await inBoth(calendar, 400)).toEqual({
      code: 'VALIDATION_FAILED',
      en: 'openingHours.0.from must be a whole hour HH:00',
      zh: 'openingHours.0.from：须为整点，格式为 HH:00（如 09:00）',
    });
    const search = (l?: string) => {
      const req = t.http.get('/api/facilities?provinceCode=110000');
      return l ? req.set('Accept-Language', l) : req;
    };
    expect(await inBoth(search, 400)).toEqual({
      code: 'VALIDATION_FAILED',
      en: 'provinceCode must be a province code of the region: 310000, 320000, 330000 or 340000',
      zh: 'provinceCode：须为沪苏浙皖的省级代码（310000、320000、330000、340000）',
    });
    const dryRun = (l?: string) => {
      const req = t.http.post('/api/facilities/import?dryRun=yes').set(auth(shLab.token));
      return (l ? req.set('Accept-Language', l) : req).send({ rows: [] });
    };
    expect(await inBoth(dryRun, 400)).toMatchObject({ code: 'VALIDATION_FAILED', zh: 'dryRun：须为 true 或 false' });
  });

  it('a path no route serves is 404 naming it, in Chinese too', async () => {
    const en = await t.http.get('/api/nope').expect(404);
    expect(en.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Cannot GET /api/nope' });
    const zh = await t.http.get('/api/nope').set('Accept-Language', 'zh-CN').expect(404);
    expect(zh.body.message).toBe('没有这个接口：GET /api/nope');
  });

  it('an enterprise claiming a redemption not its own, or reading a budget not set or a region not listed, is 404 wholly in Chinese', async () => {
    const { e: other, v } = await hefeiVoucher();
    const held = await hold(other, { voucherId: v.id, facilityId: facilities.tem, quantity: 1 }).expect(201);
    const { e } = await hefeiVoucher();
    const claim = (l?: string) => {
      const req = t.http.post('/api/claims').set(auth(e.token));
      return (l ? req.set('Accept-Language', l) : req).send({
        redemptionIds: [held.body.id],
        evidence: { contractNo: 'HT-1', invoiceNo: 'FP-404-1' },
      });
    };
    expect(await inBoth(claim, 404)).toEqual({
      code: 'NOT_FOUND',
      en: `redemptionIds: redemption ${held.body.id} not found`,
      zh: `redemptionIds：未找到核销记录 ${held.body.id}（不存在或不属于贵单位）`,
    });
    const budget = (path: string) => (l?: string) => {
      const req = t.http.get(path).set(auth(e.token));
      return (l ? req.set('Accept-Language', l) : req).send();
    };
    expect(await inBoth(budget('/api/budgets/340100/2099'), 404)).toEqual({
      code: 'NOT_FOUND',
      en: 'budget of 340100 for 2099 not found',
      zh: '合肥市尚未设置 2099 年度预算',
    });
    expect(await inBoth(budget('/api/budgets/999999/2026'), 404)).toEqual({
      code: 'NOT_FOUND',
      en: 'region 999999 not found',
      zh: '未知的地区代码 999999',
    });
  });
});
