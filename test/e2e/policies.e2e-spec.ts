import { clock, DAY_MS } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';
import { issueVoucher, openRegion, policyBody } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, TestApp } from '../support/test-app';

describe('policies and budgets', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const publish = async (bureau: string, regionCode: string, overrides: Record<string, unknown> = {}) =>
    t.http
      .post('/api/policies')
      .set(await t.as(bureau))
      .send(policyBody(regionCode, overrides));
  /** A version that must be accepted; shows the refusal when it is not. */
  const published = async (bureau: string, regionCode: string, overrides: Record<string, unknown> = {}) => {
    const res = await publish(bureau, regionCode, overrides);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  };
  const year = clock.year();

  it('describes its routes in the OpenAPI document', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/policies', '/api/policies/current', '/api/policies/compare', '/api/budgets/{regionCode}/{year}']),
    );
  });

  describe('publishing a policy version', () => {
    it('publishes Shanghai’s terms as version 1, echoing every field', async () => {
      const policy = await published('bureau-sh', '310000', { perRedemptionCapFen: 5_000_000, capByController: true, localBonusBp: 1000 });
      expect(policy).toEqual({
        id: expect.any(String),
        version: 1,
        regionCode: '310000',
        effectiveFrom: clock.today(),
        categories: [
          { category: 'testing', ratioBp: 5000 },
          { category: 'r_and_d', ratioBp: 5000 },
          { category: 'design', ratioBp: 4000 },
        ],
        acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
        localBonusBp: 1000,
        enterpriseAnnualCapFen: 50_000_000,
        teamAnnualCapFen: 10_000_000,
        maxVoucherFen: 30_000_000,
        perRedemptionCapFen: 5_000_000,
        capByController: true,
        voucherValidityDays: 365,
        holdExpiryDays: 30,
        autoApproveMaxFen: 10_000_000,
        redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
        settlementCycle: 'quarterly',
        relatedPartyBan: true,
        confirmDays: 7,
        dualControlFen: 0,
        status: 'published',
        createdAt: expect.any(String),
      });
    });

    it('fills the optional fields with their defaults', async () => {
      const body = policyBody('320000');
      for (const key of ['localBonusBp', 'teamAnnualCapFen', 'perRedemptionCapFen', 'capByController'] as const)
        delete (body as Record<string, unknown>)[key];
      const res = await t.http
        .post('/api/policies')
        .set(await t.as('bureau-js'))
        .send(body)
        .expect(201);
      expect(res.body).toMatchObject({
        localBonusBp: 0,
        teamAnnualCapFen: null,
        perRedemptionCapFen: null,
        capByController: false,
        confirmDays: 7,
        dualControlFen: 0,
      });
    });

    it('takes a confirmation window and a dual-control threshold, and shows them in the version in force', async () => {
      const policy = await published('bureau-js', '320300', { confirmDays: 14, dualControlFen: 5_000_000, autoApproveMaxFen: 1_000_000 });
      expect(policy).toMatchObject({ confirmDays: 14, dualControlFen: 5_000_000 });
      const current = await t.http
        .get('/api/policies/current?regionCode=320300')
        .set(await t.as('bureau-js'))
        .expect(200);
      expect(current.body).toMatchObject({ id: policy.id, confirmDays: 14, dualControlFen: 5_000_000, status: 'published' });
    });

    it('refuses a version dated before today: 422 POLICY_BACKDATED, and stores nothing', async () => {
      const yesterday = addDays(clock.today(), -1);
      for (const effectiveFrom of [yesterday, '2020-01-01']) {
        const res = await publish('bureau-ah', '340000', { effectiveFrom });
        expect(res.status).toBe(422);
        expect(res.body).toEqual({
          statusCode: 422,
          code: 'POLICY_BACKDATED',
          message: `effectiveFrom ${effectiveFrom} is in the past: a new version takes effect today (${clock.today()}) or later`,
        });
      }
      const zh = await t.http
        .post('/api/policies')
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send(policyBody('340000', { effectiveFrom: '2020-01-01' }));
      const [y, m, d] = clock.today().split('-').map(Number);
      expect(zh.body).toEqual({
        statusCode: 422,
        code: 'POLICY_BACKDATED',
        message: `生效日期 2020年1月1日 早于今天（${y}年${m}月${d}日），新版本须自今天或以后生效`,
      });
    });

    it('accepts the consistency limits themselves: every threshold equal to the cap it sits under', async () => {
      const policy = await published('bureau-js', '320600', {
        maxVoucherFen: 8_000_000,
        autoApproveMaxFen: 8_000_000,
        perRedemptionCapFen: 8_000_000,
        enterpriseAnnualCapFen: 20_000_000,
        teamAnnualCapFen: 20_000_000,
      });
      expect(policy).toMatchObject({ maxVoucherFen: 8_000_000, autoApproveMaxFen: 8_000_000, perRedemptionCapFen: 8_000_000 });
    });

    const inconsistent: [string, Record<string, unknown>, string[]][] = [
      ['an auto-approval threshold above the voucher cap', { autoApproveMaxFen: 30_000_001 }, ['autoApproveMaxFen', 'maxVoucherFen']],
      ['a redemption cap above the voucher cap', { perRedemptionCapFen: 30_000_001 }, ['perRedemptionCapFen', 'maxVoucherFen']],
      ['a team cap above the enterprise cap', { teamAnnualCapFen: 50_000_001 }, ['teamAnnualCapFen', 'enterpriseAnnualCapFen']],
      [
        'an auto-approval threshold at the dual-control threshold (approving at it takes two users)',
        { dualControlFen: 10_000_000 },
        ['autoApproveMaxFen must be below dualControlFen'],
      ],
      [
        'an auto-approval threshold above the dual-control threshold',
        { dualControlFen: 1 },
        ['autoApproveMaxFen must be below dualControlFen'],
      ],
      [
        'a voucher cap above the enterprise’s annual cap',
        { maxVoucherFen: 50_000_001 },
        ['maxVoucherFen must not exceed enterpriseAnnualCapFen'],
      ],
      [
        'a category’s ratio with the local bonus above the whole fee',
        {
          categories: [
            { category: 'testing', ratioBp: 5000 },
            { category: 'design', ratioBp: 9001 },
          ],
          localBonusBp: 1000,
        },
        ['categories.1.ratioBp (9001) plus localBonusBp (1000) must not exceed 10000'],
      ],
      [
        'a voucher cap lowered under the thresholds that sit under it',
        { maxVoucherFen: 1_000_000, perRedemptionCapFen: 2_000_000 },
        ['autoApproveMaxFen must not exceed maxVoucherFen', 'perRedemptionCapFen must not exceed maxVoucherFen'],
      ],
    ];
    it.each(inconsistent)('refuses %s with 400 naming both fields', async (_, overrides, fields) => {
      const res = await publish('bureau-ah', '340000', overrides);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      for (const field of fields) expect(res.body.message).toContain(field);
    });

    it('names each contradiction in Chinese to a Chinese caller, joined as a form’s problems are', async () => {
      const res = await t.http
        .post('/api/policies')
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send(policyBody('340000', { maxVoucherFen: 1_000_000, perRedemptionCapFen: 2_000_000 }));
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'autoApproveMaxFen：不能超过 maxVoucherFen；perRedemptionCapFen：不能超过 maxVoucherFen',
      });
    });

    it('names the dual-control and whole-fee contradictions in Chinese to a Chinese caller', async () => {
      const res = await t.http
        .post('/api/policies')
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send(
          policyBody('340000', {
            dualControlFen: 10_000_000,
            maxVoucherFen: 60_000_000,
            categories: [{ category: 'testing', ratioBp: 9500 }],
            localBonusBp: 1000,
          }),
        );
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message:
          'autoApproveMaxFen：须低于 dualControlFen，因为达到 dualControlFen 的审批须两名工作人员复核，自动审批却无人复核；' +
          'maxVoucherFen：不能超过 enterpriseAnnualCapFen；' +
          'categories.0.ratioBp（9500）加 localBonusBp（1000）不能超过 10000，即全部费用',
      });
    });

    it('accepts the new limits themselves: auto-approval just below dual control, a voucher of a whole year, a ratio with its bonus of 100 %', async () => {
      const policy = await published('bureau-js', '320700', {
        dualControlFen: 10_000_001,
        maxVoucherFen: 50_000_000,
        categories: [{ category: 'testing', ratioBp: 9000 }],
        localBonusBp: 1000,
      });
      expect(policy).toMatchObject({ autoApproveMaxFen: 10_000_000, dualControlFen: 10_000_001, maxVoucherFen: 50_000_000 });
      // with dual control off, auto-approval may reach the voucher cap as before
      await published('bureau-js', '320700', { dualControlFen: 0, autoApproveMaxFen: 30_000_000 });
    });

    it('accepts the extreme ratios 1 and 10000 basis points', async () => {
      const res = await publish('bureau-zj', '330100', {
        categories: [
          { category: 'testing', ratioBp: 1 },
          { category: 'consulting', ratioBp: 10000 },
        ],
      });
      expect(res.status).toBe(201);
      expect(res.body.categories).toEqual([
        { category: 'testing', ratioBp: 1 },
        { category: 'consulting', ratioBp: 10000 },
      ]);
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['a ratio of 0 basis points', { categories: [{ category: 'testing', ratioBp: 0 }] }, 'categories.0.ratioBp'],
      [
        'a ratio of 10001 basis points',
        {
          categories: [
            { category: 'testing', ratioBp: 5000 },
            { category: 'design', ratioBp: 10001 },
          ],
        },
        'categories.1.ratioBp',
      ],
      ['a fractional ratio', { categories: [{ category: 'testing', ratioBp: 50.5 }] }, 'categories.0.ratioBp'],
      [
        'a category listed twice',
        {
          categories: [
            { category: 'testing', ratioBp: 5000 },
            { category: 'testing', ratioBp: 6000 },
          ],
        },
        'categories',
      ],
      ['an unknown category', { categories: [{ category: 'catering', ratioBp: 5000 }] }, 'categories.0.category'],
      ['no category at all', { categories: [] }, 'categories'],
      ['an unknown accepted province', { acceptedProvinceCodes: ['310000', '350000'] }, 'acceptedProvinceCodes'],
      ['a city as an accepted province', { acceptedProvinceCodes: ['340100'] }, 'acceptedProvinceCodes'],
      ['an unknown region', { regionCode: '350000' }, 'regionCode'],
      ['a day that does not exist', { effectiveFrom: '2026-02-30' }, 'effectiveFrom'],
      ['a month that does not exist', { effectiveFrom: '2026-13-01' }, 'effectiveFrom'],
      ['a date in another format', { effectiveFrom: '2026/03/01' }, 'effectiveFrom'],
      ['a negative annual cap', { enterpriseAnnualCapFen: -1 }, 'enterpriseAnnualCapFen'],
      ['a zero voucher cap', { maxVoucherFen: 0 }, 'maxVoucherFen'],
      ['a fractional team cap', { teamAnnualCapFen: 100.5 }, 'teamAnnualCapFen'],
      ['a huge redemption cap', { perRedemptionCapFen: 1e20 }, 'perRedemptionCapFen'],
      ['an amount as a string', { maxVoucherFen: '30000000' }, 'maxVoucherFen'],
      ['a negative auto-approval threshold', { autoApproveMaxFen: -100 }, 'autoApproveMaxFen'],
      ['a local bonus above 100%', { localBonusBp: 10001 }, 'localBonusBp'],
      ['a confirmation window of 0 days', { confirmDays: 0 }, 'confirmDays'],
      ['a confirmation window above 60 days', { confirmDays: 61 }, 'confirmDays'],
      ['a negative dual-control threshold', { dualControlFen: -1 }, 'dualControlFen'],
      ['zero validity days', { voucherValidityDays: 0 }, 'voucherValidityDays'],
      ['an unknown redemption mode', { redemptionModes: ['cash'] }, 'redemptionModes'],
      ['an unknown settlement cycle', { settlementCycle: 'weekly' }, 'settlementCycle'],
      ['a missing relatedPartyBan', { relatedPartyBan: undefined }, 'relatedPartyBan'],
      ['an unknown field', { subsidyCeilingFen: 1 }, 'subsidyCeilingFen'],
      ['an unknown field inside a category', { categories: [{ category: 'testing', ratioBp: 5000, note: 'x' }] }, 'note'],
    ];
    it.each(invalid)('refuses %s with 400 naming the field', async (_, overrides, field) => {
      const res = await publish('bureau-ah', '340000', overrides);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
    });

    it('stored nothing for the refused versions', async () => {
      const res = await t.http
        .get('/api/policies?regionCode=340000')
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(res.body).toEqual({ items: [], total: 0 });
    });

    describeRaces('publications at once', () => {
      it('twenty versions of one region published at once: twenty 201s numbered 1–20 (a region’s first too)', async () => {
        await t.as('bureau-zj'); // signed in once: twenty logins at once would be the lockout's, run alone
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => publish('bureau-zj', '330900', { maxVoucherFen: 10_000_000 + i })),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
        expect(answers.map((a) => a.body.version).sort((a: number, b: number) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      });
    });

    it('counts versions up per region, each region on its own', async () => {
      const versions: number[] = [];
      for (let i = 0; i < 3; i++) versions.push((await published('bureau-js', '320500')).version);
      expect(versions).toEqual([1, 2, 3]);
      expect((await published('bureau-js', '320100')).version).toBe(1);
      expect((await published('bureau-js', '320000')).version).toBe(2);
    });

    it('numbers versions published at the same moment without a gap or a duplicate', async () => {
      const results = await Promise.all(Array.from({ length: 4 }, async () => publish('bureau-zj', '330200')));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4]);
    });
  });

  describe('who may publish', () => {
    it('refuses the Shanghai bureau Anhui’s province and its cities (403)', async () => {
      for (const region of ['340000', '340100']) {
        const res = await publish('bureau-sh', region);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });

    it('lets the Anhui provincial bureau publish for its city Hefei', async () => {
      const res = await publish('bureau-ah', '340100');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ regionCode: '340100', version: 1 });
    });

    it('refuses enterprises, providers and the platform (403), and anonymous callers (401)', async () => {
      const enterprise = await t.registerEnterprise('340100');
      const provider = await t.registerProvider('340100');
      for (const token of [enterprise.token, provider.token, await t.token('platform')]) {
        expect((await t.http.post('/api/policies').set(auth(token)).send(policyBody('340100')).expect(403)).body.code).toBe('FORBIDDEN');
      }
      await t.http.post('/api/policies').send(policyBody('340100')).expect(401);
    });
  });

  describe('versions and the version in force', () => {
    // A version takes effect today or later, so the schedule lies ahead: the year after next (Y).
    // Wuxi: v1 from Y-01-01, v2 and v3 both from Y-07-01, v4 from Y+1-01-01, then v5 published late but effective Y-03-01.
    const y = year + 2;
    const schedule = [`${y}-01-01`, `${y}-07-01`, `${y}-07-01`, `${y + 1}-01-01`, `${y}-03-01`];
    const current = async (date: string) => t.http.get(`/api/policies/current?regionCode=320200&date=${date}`).set(await t.as('bureau-sh'));

    beforeAll(async () => {
      for (const [i, effectiveFrom] of schedule.entries()) {
        await published('bureau-js', '320200', { effectiveFrom, maxVoucherFen: (i + 1) * 1_000_000, autoApproveMaxFen: 1_000_000 });
      }
    });

    it('lists every version of the region, newest first and paged like every list, to any signed-in user', async () => {
      const enterprise = await t.registerEnterprise('310000');
      const res = await t.http.get('/api/policies?regionCode=320200').set(auth(enterprise.token)).expect(200);
      expect(res.body.total).toBe(5);
      expect(res.body.items.map((p: { version: number; effectiveFrom: string }) => [p.version, p.effectiveFrom])).toEqual(
        schedule.map((d, i) => [i + 1, d]).reverse(),
      );
      const page = await t.http.get('/api/policies?regionCode=320200&limit=2&offset=1').set(auth(enterprise.token)).expect(200);
      expect([page.body.total, page.body.items.map((p: { version: number }) => p.version)]).toEqual([5, [4, 3]]);
      const bad = await t.http.get('/api/policies?regionCode=320200&limit=501').set(auth(enterprise.token)).expect(400);
      expect(bad.body.message).toContain('limit');
      await t.http.get('/api/policies?regionCode=320200').expect(401);
    });

    it.each([
      [`${y}-03-15`, 5, 'the latest effectiveFrom on or before the date, though published last'],
      [`${y}-01-01`, 1, 'the first version on its first day'],
      [`${y}-02-28`, 1, 'the first version before the second takes effect'],
      [`${y}-07-01`, 3, 'the higher version when two take effect the same day'],
      [`${y}-12-31`, 3, 'the tie winner until the next version'],
      [`${y + 1}-01-01`, 4, 'the newest version from its first day'],
      [`${y + 5}-06-30`, 4, 'the newest version long after'],
    ])('on %s is version %i: %s', async (date, version) => {
      const res = await current(date);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ regionCode: '320200', version, maxVoucherFen: version * 1_000_000 });
    });

    it('finds none before the first version takes effect (404)', async () => {
      for (const date of [`${y - 1}-12-31`, clock.today()]) {
        const res = await current(date);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
    });

    it('defaults the date to today', async () => {
      const js = await t.as('bureau-js');
      const today = () => t.http.get('/api/policies/current?regionCode=320200').set(js);
      expect((await today()).status).toBe(404);
      clock.travel(Date.parse(`${y}-08-15T04:00:00Z`) - clock.now().getTime());
      try {
        expect((await today()).body).toMatchObject({ version: 3, effectiveFrom: `${y}-07-01` });
      } finally {
        clock.reset();
      }
    });

    it('answers a city without its own policy 404 naming the province’s version its enterprises apply under', async () => {
      const zj = await t.as('bureau-zj');
      const provinceNow = () => t.http.get('/api/policies/current?regionCode=330000').set(zj);
      if ((await provinceNow()).status === 404) await published('bureau-zj', '330000');
      const province = await provinceNow().expect(200);
      const res = await t.http.get('/api/policies/current?regionCode=331000').set(zj).set('Accept-Language', 'zh-CN').expect(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(res.body.message).toContain(`台州市在`);
      expect(res.body.message).toContain(`本地企业按浙江省的政策（第 ${province.body.version} 版）申请`);
      // A province with none names no other.
      const none = await t.http.get('/api/policies/current?regionCode=330000&date=2020-01-01').set(zj).expect(404);
      expect(none.body.message).toBe('no policy of 330000 is in force on 2020-01-01');
    });

    it.each([
      ['regionCode=320200&date=2026-02-30', 'date'],
      ['regionCode=320200&date=2026-13-01', 'date'],
      ['regionCode=320200&date=2026-01-32', 'date'],
      ['regionCode=320200&date=yesterday', 'date'],
      ['regionCode=999999', 'regionCode'],
      ['', 'regionCode'],
    ])('refuses ?%s with 400 naming the field', async (query, field) => {
      const res = await t.http
        .get(`/api/policies/current?${query}`)
        .set(await t.as('bureau-js'))
        .expect(400);
      expect(res.body.message).toContain(field);
    });
  });

  describe('withdrawing a version before it takes effect', () => {
    // Shaoxing: v1 in force from today, v2 due in 10 days (withdrawn), v3 due in 20 days (kept).
    const region = '330600';
    const inTen = addDays(clock.today(), 10);
    const inTwenty = addDays(clock.today(), 20);
    let v1: { id: string }, v2: { id: string }, v3: { id: string };
    const withdraw = async (id: string, user = 'bureau-zj') =>
      t.http
        .post(`/api/policies/${id}/withdraw`)
        .set(await t.as(user))
        .send();
    const inForceOn = async (date: string) =>
      (
        await t.http
          .get(`/api/policies/current?regionCode=${region}&date=${date}`)
          .set(await t.as('bureau-zj'))
          .expect(200)
      ).body as { version: number; id: string };

    beforeAll(async () => {
      v1 = await published('bureau-zj', region, { maxVoucherFen: 20_000_000 });
      v2 = await published('bureau-zj', region, { effectiveFrom: inTen, maxVoucherFen: 25_000_000 });
      v3 = await published('bureau-zj', region, { effectiveFrom: inTwenty, maxVoucherFen: 28_000_000 });
    });

    it('withdraws a version not yet in force: it never comes into force, the versions around it do', async () => {
      expect((await inForceOn(inTen)).version).toBe(2);
      const res = await withdraw(v2.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: v2.id,
        version: 2,
        effectiveFrom: inTen,
        maxVoucherFen: 25_000_000,
        status: 'withdrawn',
        withdrawnAt: expect.any(String),
      });
      expect(await inForceOn(inTen)).toMatchObject({ id: v1.id, version: 1 });
      expect(await inForceOn(addDays(inTwenty, -1))).toMatchObject({ version: 1 });
      expect(await inForceOn(inTwenty)).toMatchObject({ id: v3.id, version: 3 });
      clock.travel(11 * DAY_MS);
      try {
        expect(
          (
            await t.http
              .get(`/api/policies/current?regionCode=${region}`)
              .set(await t.as('bureau-zj'))
              .expect(200)
          ).body,
        ).toMatchObject({ version: 1, maxVoucherFen: 20_000_000 });
      } finally {
        clock.reset();
      }
      const versions = await t.http
        .get(`/api/policies?regionCode=${region}`)
        .set(await t.as('bureau-zj'))
        .expect(200);
      expect(versions.body.items.map((p: { version: number; status: string }) => [p.version, p.status])).toEqual([
        [3, 'published'],
        [2, 'withdrawn'],
        [1, 'published'],
      ]);
      // The withdrawn version keeps its number: the next one is 4.
      expect((await published('bureau-zj', region, { effectiveFrom: addDays(inTwenty, 10) })).version).toBe(4);
      const audit = await t.http
        .get(`/api/audit?entityType=policy&entityId=${v2.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['policy.withdrawn', 'policy.published']);
    });

    it('refuses to withdraw it twice, or a version in force: 409 INVALID_STATE', async () => {
      expect((await withdraw(v2.id)).body).toEqual({
        statusCode: 409,
        code: 'INVALID_STATE',
        message: 'this version was withdrawn already',
      });
      expect((await withdraw(v1.id)).body).toEqual({
        statusCode: 409,
        code: 'INVALID_STATE',
        message: `this version took effect on ${clock.today()}: publish a new one instead`,
      });
      expect(await inForceOn(clock.today())).toMatchObject({ id: v1.id, version: 1 });
    });

    it('lets only a bureau of the region withdraw: another province’s bureau, payees and the platform 403; unknown 404', async () => {
      for (const user of ['bureau-sh', 'bureau-ah', 'platform']) expect((await withdraw(v3.id, user)).status).toBe(403);
      const enterprise = await t.registerEnterprise(region);
      await t.http.post(`/api/policies/${v3.id}/withdraw`).set(auth(enterprise.token)).expect(403);
      await t.http.post(`/api/policies/${v3.id}/withdraw`).expect(401);
      expect((await withdraw('00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect(await inForceOn(inTwenty)).toMatchObject({ id: v3.id, status: 'published' });
    });
  });

  describe('comparing the provinces’ policies', () => {
    beforeAll(async () => {
      await published('bureau-ah', '340000', {
        categories: [
          { category: 'testing', ratioBp: 6000 },
          { category: 'r_and_d', ratioBp: 5000 },
          { category: 'design', ratioBp: 4000 },
        ],
        enterpriseAnnualCapFen: 60_000_000,
        settlementCycle: 'monthly',
      });
    });

    it('puts Shanghai’s and Anhui’s policies in force side by side, field by field', async () => {
      const res = await t.http
        .get('/api/policies/compare?regionCodes=310000,340000')
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(res.body.date).toBe(clock.today());
      expect(res.body.regionCodes).toEqual(['310000', '340000']);
      expect(res.body.policies['310000']).toMatchObject({ regionCode: '310000', version: 1 });
      expect(res.body.policies['340000']).toMatchObject({ regionCode: '340000', version: 1 });
      const field = (name: string) => res.body.fields.find((f: { field: string }) => f.field === name);
      expect(field('enterpriseAnnualCapFen')).toEqual({
        field: 'enterpriseAnnualCapFen',
        values: { '310000': 50_000_000, '340000': 60_000_000 },
        same: false,
      });
      expect(field('settlementCycle')).toEqual({
        field: 'settlementCycle',
        values: { '310000': 'quarterly', '340000': 'monthly' },
        same: false,
      });
      expect(field('maxVoucherFen')).toEqual({
        field: 'maxVoucherFen',
        values: { '310000': 30_000_000, '340000': 30_000_000 },
        same: true,
      });
      expect(field('capByController')).toEqual({ field: 'capByController', values: { '310000': true, '340000': false }, same: false });
      expect(field('localBonusBp')).toMatchObject({ values: { '310000': 1000, '340000': 0 }, same: false });
      expect(field('categories').same).toBe(false);
      expect(field('categories').values['340000']).toEqual([
        { category: 'testing', ratioBp: 6000 },
        { category: 'r_and_d', ratioBp: 5000 },
        { category: 'design', ratioBp: 4000 },
      ]);
      expect(field('acceptedProvinceCodes')).toMatchObject({ same: true });
      expect(field('relatedPartyBan')).toMatchObject({ values: { '310000': true, '340000': true }, same: true });
    });

    it('compares the confirmation window and the dual-control threshold too', async () => {
      // Quzhou confirms in 7 days with dual control off; Lishui confirms in 14 and takes two people from ¥200,000.
      await published('bureau-zj', '330800', {});
      await published('bureau-zj', '331100', { confirmDays: 14, dualControlFen: 20_000_000 });
      const res = await t.http
        .get('/api/policies/compare?regionCodes=330800,331100')
        .set(await t.as('bureau-zj'))
        .expect(200);
      const field = (name: string) => res.body.fields.find((f: { field: string }) => f.field === name);
      expect(field('confirmDays')).toEqual({ field: 'confirmDays', values: { '330800': 7, '331100': 14 }, same: false });
      expect(field('dualControlFen')).toEqual({ field: 'dualControlFen', values: { '330800': 0, '331100': 20_000_000 }, same: false });
    });

    it('shows null for a region with no policy in force', async () => {
      const res = await t.http
        .get('/api/policies/compare?regionCodes=310000,330400')
        .set(await t.as('bureau-zj'))
        .expect(200);
      expect(res.body.policies['330400']).toBeNull();
      const cap = res.body.fields.find((f: { field: string }) => f.field === 'maxVoucherFen');
      expect(cap).toEqual({ field: 'maxVoucherFen', values: { '310000': 30_000_000, '330400': null }, same: false });
    });

    it.each(['regionCodes=310000', 'regionCodes=310000,999999', '', 'regionCodes=310000,340000&date=2026-13-01'])(
      'refuses ?%s with 400',
      async (query) => {
        const res = await t.http
          .get(`/api/policies/compare?${query}`)
          .set(await t.as('bureau-sh'))
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      },
    );
  });

  describe('budgets', () => {
    const budget = (regionCode: string, y: number | string = year) => `/api/budgets/${regionCode}/${y}`;

    it('sets a budget, raises it and lowers it: total = available + committed', async () => {
      const ah = await t.as('bureau-ah');
      expect((await t.http.put(budget('340200')).set(ah).send({ totalFen: 2_000_000_000 }).expect(200)).body).toEqual({
        regionCode: '340200',
        year,
        totalFen: 2_000_000_000,
        availableFen: 2_000_000_000,
        committedFen: 0,
      });
      expect((await t.http.put(budget('340200')).set(ah).send({ totalFen: 2_500_000_000 }).expect(200)).body).toMatchObject({
        totalFen: 2_500_000_000,
        availableFen: 2_500_000_000,
      });
      expect((await t.http.put(budget('340200')).set(ah).send({ totalFen: 1_200_000_000 }).expect(200)).body).toMatchObject({
        totalFen: 1_200_000_000,
        availableFen: 1_200_000_000,
      });
      const read = await t.http
        .get(budget('340200'))
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(read.body).toEqual({ regionCode: '340200', year, totalFen: 1_200_000_000, availableFen: 1_200_000_000, committedFen: 0 });
    });

    it('never lowers a budget below what vouchers have committed (422 BUDGET_BELOW_COMMITTED)', async () => {
      await openRegion(t, '320400', { budgetFen: 20_000_000 });
      const enterprise = await t.registerEnterprise('320400');
      const voucher = await issueVoucher(t, enterprise.token, 8_000_000);
      expect(voucher.issuingRegionCode).toBe('320400');
      const js = await t.as('bureau-js');
      expect((await t.http.get(budget('320400')).set(js).expect(200)).body).toMatchObject({
        totalFen: 20_000_000,
        availableFen: 12_000_000,
        committedFen: 8_000_000,
      });

      const below = await t.http.put(budget('320400')).set(js).send({ totalFen: 7_999_999 }).expect(422);
      expect(below.body).toEqual({ statusCode: 422, code: 'BUDGET_BELOW_COMMITTED', message: expect.stringContaining('8000000') });
      const zh = await t.http.put(budget('320400')).set(js).set('Accept-Language', 'zh-CN').send({ totalFen: 7_999_999 }).expect(422);
      expect(zh.body.message).toBe(`常州市 ${clock.today().slice(0, 4)} 年度预算不能低于已承诺（已发券）的 ¥80,000.00`);
      expect((await t.http.get(budget('320400')).set(js).expect(200)).body).toMatchObject({
        totalFen: 20_000_000,
        availableFen: 12_000_000,
        committedFen: 8_000_000,
      });

      const exactly = await t.http.put(budget('320400')).set(js).send({ totalFen: 8_000_000 }).expect(200);
      expect(exactly.body).toEqual({ regionCode: '320400', year, totalFen: 8_000_000, availableFen: 0, committedFen: 8_000_000 });
      const raised = await t.http.put(budget('320400')).set(js).send({ totalFen: 30_000_001 }).expect(200);
      expect(raised.body).toEqual({ regionCode: '320400', year, totalFen: 30_000_001, availableFen: 22_000_001, committedFen: 8_000_000 });
    });

    it('lets only a bureau of the region or its province set it (403 otherwise)', async () => {
      for (const token of [await t.token('bureau-sh'), await t.token('platform'), (await t.registerEnterprise('340100')).token]) {
        const res = await t.http.put(budget('340000')).set(auth(token)).send({ totalFen: 1 }).expect(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      await t.http
        .put(budget('340100'))
        .set(await t.as('bureau-sh'))
        .send({ totalFen: 1 })
        .expect(403);
      await t.http
        .get(budget('340000'))
        .set(await t.as('bureau-ah'))
        .expect(404);
    });

    it('answers an unknown region with 404 and a bad year or amount with 400', async () => {
      const ah = await t.as('bureau-ah');
      expect((await t.http.put(budget('350000')).set(ah).send({ totalFen: 1 }).expect(404)).body.code).toBe('NOT_FOUND');
      await t.http.get(budget('350000')).set(ah).expect(404);
      // ParseIntPipe read 0x7EA, 2026.0, 02026 and ' 2026' as 2026, and a PUT changed that year's budget
      for (const y of ['20x6', '1999', '2101', '2026.5', '0x7EA', '2026.0', '02026', '%202026']) {
        expect((await t.http.put(budget('340000', y)).set(ah).send({ totalFen: 1 }).expect(400)).body.message).toContain('year');
        expect((await t.http.get(budget('340000', y)).set(ah).expect(400)).body.message).toContain('year');
      }
      for (const totalFen of [-1, 1.5, '100', 1e20, null]) {
        expect((await t.http.put(budget('340000')).set(ah).send({ totalFen }).expect(400)).body.message).toContain('totalFen');
      }
      expect((await t.http.put(budget('340000')).set(ah).send({ totalFen: 1, availableFen: 1 }).expect(400)).body.message).toContain(
        'availableFen',
      );
      await t.http.get(budget('340000')).set(ah).expect(404);
    });

    it('records each change in the audit trail', async () => {
      const res = await t.http
        .get(`/api/audit?entityType=budget&entityId=320400-${year}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(res.body.items.map((e: { summary: { toFen: number } }) => e.summary.toFen).sort((a: number, b: number) => a - b)).toEqual([
        8_000_000, 20_000_000, 30_000_001,
      ]);
    });
  });
});
