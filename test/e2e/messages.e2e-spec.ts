import { getMetadataStorage } from 'class-validator';
import { AppModule } from '../../src/app.module';
import { ERROR_STATUS } from '../../src/common/errors/domain-error';
import { CATALOGUES, LANGUAGES } from '../../src/common/i18n/messages';
import { issueVoucher, openRegion, policyBody } from '../support/fixtures';
import { auth, creditCodeIn, TestApp } from '../support/test-app';

const HAN = /[\u4e00-\u9fff]/;
/** Every code the service answers: those declared with their status, and the last-resort 500. */
const DECLARED_CODES = [...Object.keys(ERROR_STATUS), 'INTERNAL_ERROR'];

/** The dotted keys of a catalogue, so both languages can be compared key for key. */
const keysOf = (o: object, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keysOf(v as object, `${prefix}${k}.`) : [`${prefix}${k}`]));

describe('messages in the caller’s language (Accept-Language: zh* → Chinese, anything else → English)', () => {
  describe('catalogues', () => {
    it.each(DECLARED_CODES)('%s has a message in both catalogues, the Chinese one in Chinese', (code) => {
      const en = CATALOGUES.en.errors as Record<string, string>;
      const zh = CATALOGUES.zh.errors as Record<string, string>;
      expect(en[code]).toMatch(/\w{3}/);
      expect(zh[code]).toMatch(HAN);
    });

    it('holds no message for a code the service does not declare, and both catalogues hold the same keys', () => {
      expect(Object.keys(CATALOGUES.en.errors).sort()).toEqual([...DECLARED_CODES].sort());
      expect(keysOf(CATALOGUES.zh).sort()).toEqual(keysOf(CATALOGUES.en).sort());
      for (const lng of LANGUAGES) for (const key of keysOf(CATALOGUES[lng])) expect(key).not.toBe('');
    });
  });

  it('every validation constraint a DTO of the service uses has a message in both catalogues', () => {
    expect(AppModule).toBeDefined(); // loading the app module registers every DTO's constraints
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<unknown, { type: string; constraintCls: new () => unknown }[]>;
      getTargetValidatorConstraints(cls: new () => unknown): { name: string }[];
    };
    const used = new Set<string>();
    for (const list of storage.validationMetadatas.values()) {
      for (const m of list) {
        if (m.type === 'customValidation') used.add(storage.getTargetValidatorConstraints(m.constraintCls)[0].name);
        else if (m.type !== 'conditionalValidation') used.add(m.type);
      }
    }
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) {
      expect([name, (CATALOGUES.en.validation as Record<string, string>)[name]]).toEqual([name, expect.stringContaining('{{field}}')]);
      expect([name, (CATALOGUES.zh.validation as Record<string, string>)[name]]).toEqual([name, expect.stringMatching(HAN)]);
    }
  });

  describe('answers', () => {
    let t: TestApp;
    beforeAll(async () => (t = await TestApp.start()));
    afterAll(() => t.close());

    it('a refusal for a missing record answers in Chinese to zh-CN, with the same code and status', async () => {
      const e = await t.registerEnterprise('310104');
      const missing = '/api/vouchers/00000000-0000-4000-8000-000000000000';
      const zh = await t.http.get(missing).set(auth(e.token)).set('Accept-Language', 'zh-CN').expect(404);
      expect(zh.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: '未找到创新券' });
      const en = await t.http.get(missing).set(auth(e.token)).expect(404);
      expect(en.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'voucher not found' });
    });

    it('names the missing calendar feed, booking and notification in Chinese, not 未找到该记录 with English words', async () => {
      const e = await t.registerEnterprise('310104');
      const zh = (path: string) => t.http.get(path).set(auth(e.token)).set('Accept-Language', 'zh-CN').expect(404);
      expect((await zh('/api/calendar/not-a-token.ics')).body.message).toBe('未找到日历订阅');
      expect((await zh('/api/bookings/00000000-0000-4000-8000-000000000000')).body.message).toBe('未找到预约');
      const read = await t.http
        .post('/api/notifications/00000000-0000-4000-8000-000000000000/read')
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .expect(404);
      expect(read.body.message).toBe('未找到通知');
    });

    it('a malformed id is answered as an unknown one is: the route names what it reads, not 未找到记录', async () => {
      const e = await t.registerEnterprise('310104');
      const unknown = '00000000-0000-4000-8000-000000000000';
      const routes: [method: 'get' | 'post', path: string, zh: string][] = [
        ['get', '/api/vouchers/:id', '未找到创新券'],
        ['get', '/api/voucher-applications/:id', '未找到创新券申请'],
        ['get', '/api/redemptions/:id', '未找到核销记录'],
        ['get', '/api/bookings/:id', '未找到预约'],
        ['get', '/api/facilities/:id', '未找到仪器或服务'],
        ['get', '/api/organizations/:id', '未找到机构'],
        ['get', '/api/webhooks/:id/deliveries', '未找到Webhook 订阅'],
        ['post', '/api/notifications/:id/read', '未找到通知'],
      ];
      for (const [method, path, message] of routes) {
        const answer = async (id: string, language?: string) => {
          const req = t.http[method](path.replace(':id', id)).set(auth(e.token));
          return (await (language ? req.set('Accept-Language', language) : req).expect(404)).body;
        };
        expect({ path, body: await answer('not-an-id', 'zh-CN') }).toEqual({ path, body: await answer(unknown, 'zh-CN') });
        expect((await answer('not-an-id', 'zh-CN')).message).toBe(message);
        expect({ path, body: await answer('1 OR 1=1') }).toEqual({ path, body: await answer(unknown) });
      }
    });

    it('a role refusal says which roles may call the route, in either language', async () => {
      const e = await t.registerEnterprise('310104');
      const call = () => t.http.post('/api/settlements').set(auth(e.token)).send({ regionCode: '310000' });
      const en = await call().expect(403);
      expect(en.body).toMatchObject({ code: 'FORBIDDEN', message: 'only bureau may call this route (you are signed in as enterprise)' });
      const zh = await call().set('Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.8').expect(403);
      expect(zh.body).toMatchObject({ code: 'FORBIDDEN', message: '仅科技主管部门可调用此接口（当前角色：用券企业）' });
      const clearing = await t.http
        .get('/api/clearing?from=2026-01-01&to=2026-12-31')
        .set(auth(e.token))
        .set('Accept-Language', 'zh')
        .expect(403);
      expect(clearing.body.message).toContain('长三角平台');
    });

    it('a validation 400 names every field and what is wrong with it, in Chinese', async () => {
      const e = await t.registerEnterprise('310104');
      const res = await t.http
        .post('/api/voucher-applications')
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .send({ amountFen: 12.5, purpose: 'SEM', colour: 'blue' })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toBe('colour：不是可接受的字段；amountFen：须为整数（单位：分）');
      const english = await t.http
        .post('/api/voucher-applications')
        .set(auth(e.token))
        .send({ amountFen: 12.5, purpose: 'SEM' })
        .expect(400);
      expect(english.body.message).toBe('amountFen: must be a whole number of fen (1 yuan = 100 fen)');
    });

    it('one message per field: required when missing, else the first rule it breaks, in either language', async () => {
      const e = await t.registerEnterprise('310104');
      const said = async (path: string, body: object, lng?: string) => {
        const req = t.http.post(path).set(auth(e.token));
        const res = await (lng ? req.set('Accept-Language', lng) : req).send(body).expect(400);
        expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String) });
        return res.body.message as string;
      };
      const apply = '/api/voucher-applications';
      expect(await said('/api/auth/login', { username: 'bureau-ah' }, 'zh-CN')).toBe('password：必填');
      expect(await said('/api/auth/login', { username: 'bureau-ah' })).toBe('password: is required');
      expect(await said(apply, { amountFen: '10元', purpose: 'SEM' }, 'zh-CN')).toBe('amountFen：须为整数（单位：分）');
      expect(await said(apply, { amountFen: 100, purpose: '' }, 'zh-CN')).toBe('purpose：不能为空');
      expect(await said(apply, { amountFen: 100, purpose: '测'.repeat(501) }, 'zh-CN')).toBe('purpose：最多 500 个字符');
      expect(await said(apply, { amountFen: 100, purpose: 'x'.repeat(501) })).toBe('purpose: must be at most 500 characters long');
      expect(await said(apply, { purpose: 'SEM' }, 'zh-CN')).toBe('amountFen：必填');
      expect(await said('/api/redemptions', { facilityId: e.organizationId, quantity: 1 }, 'zh-CN')).toMatch(/^voucherId：必填/);
      const register = { password: 'Demo-pass-2026', role: 'enterprise', organization: { name: '', creditCode: creditCodeIn('310000') } };
      expect(await said('/api/auth/register', { ...register, username: 'a b' }, 'zh-CN')).toBe(
        'username：须为 3–64 个字母、数字、点、下划线或连字符；organization.name：长度须为 2–200 个字符',
      );
      expect(await said('/api/auth/register', { ...register, username: 'a b' })).toBe(
        'username: must be 3–64 letters, digits, dots, underscores or hyphens; organization.name: must be 2–200 characters long',
      );
      for (const limit of ['0', '501', 'abc']) {
        const res = await t.http
          .get(`/api/voucher-applications?limit=${limit}`)
          .set(auth(e.token))
          .set('Accept-Language', 'zh-CN')
          .expect(400);
        expect(res.body.message).toBe('limit：须为 1–500 的整数');
      }
      const en = await t.http.get('/api/voucher-applications?limit=0').set(auth(e.token)).expect(400);
      expect(en.body.message).toBe('limit: must be a whole number from 1 to 500');
    });

    it('region and province codes are explained rather than listed, in either language', async () => {
      const bureau = await t.token('bureau-zj');
      const zh = await t.http
        .post('/api/settlements')
        .set(auth(bureau))
        .set('Accept-Language', 'zh-CN')
        .send({ regionCode: '999999' })
        .expect(400);
      expect(zh.body.message).toBe('regionCode：须为沪苏浙皖的省或城市代码（如 340100）');
      const en = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: '999999' }).expect(400);
      expect(en.body.message).toBe(
        'regionCode: must be the code of a province or city of Shanghai, Jiangsu, Zhejiang or Anhui (such as 340100)',
      );
      const policy = policyBody('330000', { acceptedProvinceCodes: ['330100'] });
      const zhPolicy = await t.http.post('/api/policies').set(auth(bureau)).set('Accept-Language', 'zh-CN').send(policy).expect(400);
      expect(zhPolicy.body.message).toBe('acceptedProvinceCodes：须为沪苏浙皖的省级代码（310000、320000、330000、340000）');
    });

    it('an English bound reads as English: an empty list must not be empty, a count is in the singular when it is one', async () => {
      const res = await t.http
        .post('/api/policies')
        .set(auth(await t.token('bureau-zj')))
        .send(policyBody('330000', { categories: [] }))
        .expect(400);
      expect(res.body.message).toBe('categories: must not be empty');
    });

    it('bounds and lists of a constraint survive translation', async () => {
      const bureau = await t.token('bureau-zj');
      const res = await t.http
        .post('/api/policies')
        .set(auth(bureau))
        .set('Accept-Language', 'zh-CN')
        .send(policyBody('330000', { settlementCycle: 'yearly', voucherValidityDays: 0 }))
        .expect(400);
      expect(res.body.message).toContain('settlementCycle：须为以下取值之一：monthly, quarterly');
      expect(res.body.message).toContain('voucherValidityDays：须为 1–3650 的整数');
      expect(res.body.message).not.toMatch(/must|should/);
    });

    it('a business-rule 422 written from the catalogue gives its figures the Chinese way', async () => {
      const res = await t.http
        .post('/api/policies')
        .set(auth(await t.token('bureau-zj')))
        .set('Accept-Language', 'zh-CN')
        .send(policyBody('330000', { effectiveFrom: '2000-01-01' }))
        .expect(422);
      expect(res.body.code).toBe('POLICY_BACKDATED');
      expect(res.body.message).toMatch(/^生效日期 2000年1月1日 早于今天（\d{4}年\d{1,2}月\d{1,2}日），新版本须自今天或以后生效$/);
    });

    it('401, malformed JSON and unknown routes answer in Chinese too', async () => {
      const unauthenticated = await t.http.get('/api/vouchers').set('Accept-Language', 'zh-CN').expect(401);
      expect(unauthenticated.body).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(HAN) });
      const malformed = await t.http
        .post('/api/auth/login')
        .set('Accept-Language', 'zh-CN')
        .set('Content-Type', 'application/json')
        .send('{"username":')
        .expect(400);
      expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'body：请求体不是有效的 JSON' });
      const tooLarge = await t.http
        .post('/api/auth/login')
        .set('Accept-Language', 'zh-CN')
        .send({ username: 'x'.repeat(200_000), password: 'y' })
        .expect(413);
      expect(tooLarge.body).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body：请求内容超过 100 KB 上限' });
      const e = await t.registerEnterprise('310104');
      const key = await t.http
        .post('/api/voucher-applications')
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .set('Idempotency-Key', 'x'.repeat(129))
        .send({ amountFen: 100_000, purpose: 'SEM' })
        .expect(400);
      expect(key.body.message).toBe('Idempotency-Key：须为 1–128 个可打印 ASCII 字符');
      const route = await t.http.get('/api/no-such-route').set('Accept-Language', 'zh-CN').expect(404);
      expect(route.body).toMatchObject({ code: 'NOT_FOUND', message: '没有这个接口：GET /api/no-such-route' });
    });

    it('a quote’s refusal (a 200 answer) is in the caller’s language too, its code unchanged', async () => {
      await openRegion(t, '340100');
      const e = await t.registerEnterprise('340104');
      const lab = await t.registerProvider('310115');
      const facility = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 50_000 })
        .expect(201);
      const voucher = await issueVoucher(t, e.token, 1_000_000);
      await t.http
        .patch(`/api/organizations/${e.organizationId}`)
        .set(auth(e.token))
        .send({ relatedCreditCodes: [lab.creditCode] })
        .expect(200);
      const quote = (language?: string) => {
        const req = t.http.get(`/api/facilities/${facility.body.id}/quote?voucherId=${voucher.id}&quantity=1`).set(auth(e.token));
        return (language ? req.set('Accept-Language', language) : req).expect(200);
      };
      const zh = (await quote('zh-CN')).body.refusal;
      expect(zh).toEqual({
        code: 'RELATED_PARTY',
        message: `用券企业 ${e.creditCode} 与服务机构 ${lab.creditCode} 存在关联关系，本券政策禁止关联方用券`,
      });
      const en = (await quote()).body.refusal;
      expect(en.code).toBe('RELATED_PARTY');
      expect(en.message).not.toMatch(HAN);
      const compared = await t.http
        .get(`/api/quotes?voucherId=${voucher.id}&category=testing&quantity=1`)
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .expect(200);
      const refused = compared.body.items.find((i: { quote: { refusal?: unknown } }) => i.quote.refusal);
      expect(refused.quote.refusal.message).toMatch(HAN);
    });

    it('negotiates by q-values: English when English is preferred or no Chinese is acceptable', async () => {
      const ask = (language: string) => t.http.get('/api/vouchers').set('Accept-Language', language).expect(401);
      expect((await ask('en-US,zh;q=0.5')).body.message).not.toMatch(HAN);
      expect((await ask('fr-FR')).body.message).not.toMatch(HAN);
      expect((await ask('zh-TW')).body.message).toMatch(HAN);
      expect((await ask('fr;q=0.9,zh-Hans;q=0.8')).body.message).toMatch(HAN);
      expect((await t.http.get('/api/vouchers').expect(401)).body.message).toBe('a valid bearer token of a live session is required');
    });
  });
});
