import { randomBytes } from 'node:crypto';
import { AuditEntry } from '../../src/audit/audit-entry.entity';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { clock, DAY_MS } from '../../src/common/clock';
import { newId } from '../../src/common/ids';
import { FacilityRepository } from '../../src/facilities/facility.repository';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

interface FacilityBody {
  id: string;
  providerId: string;
  name: string;
  category: string;
  unitPriceFen: number;
  provinceCode: string;
  regionCode: string;
  description: string | null;
  contact: string | null;
  status: string;
}

const TEM = {
  name: '透射电子显微镜 (TEM) 机时',
  category: 'testing',
  unit: 'hour',
  unitPriceFen: 80000,
  description: 'JEOL JEM-F200 场发射透射电镜，含制样',
};
/** A word no other test uses, so searches in a shared database see only this test's facilities. */
const marker = () => `mk${randomBytes(4).toString('hex')}`;

describe('facilities', () => {
  let t: TestApp;
  let shLab: OrgSession;
  let zjLab: OrgSession;
  beforeAll(async () => {
    t = await TestApp.start();
    shLab = await t.registerProvider('310115', { name: '上海微观表征公共服务平台' });
    zjLab = await t.registerProvider('330100', { name: '浙江大学分析测试中心' });
  });
  afterAll(() => t.close());

  const list = (provider: OrgSession, body: Record<string, unknown>) => t.http.post('/api/facilities').set(auth(provider.token)).send(body);
  const listed = async (provider: OrgSession, body: Record<string, unknown>): Promise<FacilityBody> =>
    (await list(provider, { ...TEM, ...body }).expect(201)).body;
  const search = async (query: string) =>
    (await t.http.get(`/api/facilities?${query}`).expect(200)).body as { items: FacilityBody[]; total: number };
  const searchIds = async (query: string) => (await search(query)).items.map((f) => f.id);

  describe('listing a facility', () => {
    it('lets a Shanghai lab list a TEM at ¥800 an hour, in its own province and region', async () => {
      const res = await list(shLab, TEM).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        providerId: shLab.organizationId,
        providerName: '上海微观表征公共服务平台',
        provinceCode: '310000',
        regionCode: '310000',
        name: '透射电子显微镜 (TEM) 机时',
        category: 'testing',
        unit: 'hour',
        unitPriceFen: 80000,
        description: 'JEOL JEM-F200 场发射透射电镜，含制样',
        contact: null,
        status: 'active',
        bookable: true,
        ratingAvg: null,
        ratingCount: 0,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const read = await t.http.get(`/api/facilities/${res.body.id}`).expect(200);
      expect(read.body).toEqual(res.body);
    });

    it('takes a city provider’s region: a Suzhou lab lists under 320500 in province 320000', async () => {
      const suzhou = await t.registerProvider('320505');
      const f = await listed(suzhou, { name: '扫描电镜 SEM', description: undefined });
      expect(f).toMatchObject({ provinceCode: '320000', regionCode: '320500', description: null });
    });

    it('refuses a provider still applied with 422 PROVIDER_NOT_ACTIVE', async () => {
      const applied = await t.registerProvider('310104', {}, false);
      const res = await list(applied, TEM).expect(422);
      expect(res.body).toEqual({ statusCode: 422, code: 'PROVIDER_NOT_ACTIVE', message: expect.stringContaining('applied') });
    });

    it('refuses a provider in public notice until the notice ends', async () => {
      const p = await t.registerProvider('340100', {}, false);
      const admitted = await t.http
        .post(`/api/providers/${p.organizationId}/admit`)
        .set(auth(await t.token('bureau-ah')))
        .send({ noticeDays: 7 })
        .expect(200);
      expect((await list(p, TEM).expect(422)).body.code).toBe('PROVIDER_NOT_ACTIVE');
      const word = marker();
      // to the notice's end: the midnight (Beijing) after its last day
      clock.travel(Date.parse(admitted.body.noticeEndsAt) - clock.now().getTime());
      try {
        const f = await listed(p, { name: `合肥 ICP-MS ${word}` });
        // The row still says public_notice: search must apply the ended notice itself.
        expect(await searchIds(`q=${word}`)).toEqual([f.id]);
      } finally {
        clock.reset();
      }
      expect(await searchIds(`q=${word}`)).toEqual([]);
    });

    it('refuses a suspended provider with 422 PROVIDER_NOT_ACTIVE', async () => {
      const p = await t.registerProvider('330200');
      await t.http
        .post(`/api/providers/${p.organizationId}/suspend`)
        .set(auth(await t.token('bureau-zj')))
        .send({ reason: '虚假使用记录' })
        .expect(200);
      expect((await list(p, TEM).expect(422)).body.code).toBe('PROVIDER_NOT_ACTIVE');
    });

    it('lets only providers list: enterprise and bureau 403, anonymous 401', async () => {
      const e = await t.registerEnterprise('340100');
      expect((await list(e, TEM).expect(403)).body.code).toBe('FORBIDDEN');
      await t.http
        .post('/api/facilities')
        .set(auth(await t.token('bureau-sh')))
        .send(TEM)
        .expect(403);
      await t.http
        .post('/api/facilities')
        .set(auth(await t.token('platform')))
        .send(TEM)
        .expect(403);
      expect((await t.http.post('/api/facilities').send(TEM).expect(401)).body.code).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['a negative price', { unitPriceFen: -100 }, 'unitPriceFen'],
      ['a zero price', { unitPriceFen: 0 }, 'unitPriceFen'],
      ['a fractional price', { unitPriceFen: 800.5 }, 'unitPriceFen'],
      ['a price above 10^10 fen', { unitPriceFen: 10_000_000_001 }, 'unitPriceFen'],
      ['a price beyond safe integers', { unitPriceFen: 1e20 }, 'unitPriceFen'],
      ['a price as a string', { unitPriceFen: '80000' }, 'unitPriceFen'],
      ['an unknown category', { category: 'catering' }, 'category'],
      ['an unknown unit', { unit: 'day' }, 'unit'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name of 201 characters', { name: '镜'.repeat(201) }, 'name'],
      ['a description of 2001 characters', { description: 'x'.repeat(2001) }, 'description'],
      ['an unknown field', { providerId: newId() }, 'providerId'],
    ])('rejects %s with 400 naming the field', async (_, change, field) => {
      const res = await list(shLab, { ...TEM, ...change }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain(field);
    });

    it('rejects a missing price or category', async () => {
      const { unitPriceFen: _p, category: _c, ...rest } = TEM;
      const res = await list(shLab, rest).expect(400);
      expect(res.body.message).toEqual(expect.stringContaining('unitPriceFen'));
      expect(res.body.message).toEqual(expect.stringContaining('category'));
    });

    it('accepts the largest price, exactly 10^10 fen', async () => {
      expect((await listed(shLab, { name: '同步辐射光束线 整期包用', unitPriceFen: 10_000_000_000 })).unitPriceFen).toBe(10_000_000_000);
    });

    it('honours an Idempotency-Key: the repeat returns the same facility and lists nothing new', async () => {
      const word = marker();
      const body = { ...TEM, name: `重复提交 ${word}` };
      const first = await t.http
        .post('/api/facilities')
        .set(auth(shLab.token))
        .set('Idempotency-Key', `fac-${word}`)
        .send(body)
        .expect(201);
      const again = await t.http
        .post('/api/facilities')
        .set(auth(shLab.token))
        .set('Idempotency-Key', `fac-${word}`)
        .send(body)
        .expect(201);
      expect(again.body).toEqual(first.body);
      expect((await search(`q=${word}`)).total).toBe(1);
    });
  });

  describe('searching', () => {
    let word: string;
    let shTem: FacilityBody;
    let shXrd: FacilityBody;
    let zjTem: FacilityBody;
    let zjDesign: FacilityBody;
    beforeAll(async () => {
      word = marker();
      shTem = await listed(shLab, { name: `透射电镜 TEM ${word}`, unitPriceFen: 80000 });
      shXrd = await listed(shLab, { name: `X射线衍射 XRD ${word}`, unitPriceFen: 30000, description: '粉末衍射，无电镜' });
      zjTem = await listed(zjLab, { name: `球差校正电镜 ${word}`, unitPriceFen: 150000, description: null });
      zjDesign = await listed(zjLab, {
        name: `工业设计 ${word}`,
        category: 'design',
        unit: 'item',
        unitPriceFen: 30000,
        description: '外观与结构设计',
      });
    });

    it('needs no login and answers cheapest first, ties by id', async () => {
      const page = await search(`q=${word}`);
      expect(page.total).toBe(4);
      const tie = [shXrd.id, zjDesign.id].sort();
      expect(page.items.map((f) => f.id)).toEqual([...tie, shTem.id, zjTem.id]);
      expect(page.items.map((f) => f.unitPriceFen)).toEqual([30000, 30000, 80000, 150000]);
      expect(page.items.find((f) => f.id === zjTem.id)).toMatchObject({ providerName: '浙江大学分析测试中心', provinceCode: '330000' });
    });

    it('filters by province', async () => {
      expect(await searchIds(`q=${word}&provinceCode=330000`)).toEqual([zjDesign.id, zjTem.id]);
      const all = await search('provinceCode=310000&limit=500');
      expect(all.items.every((f) => f.provinceCode === '310000')).toBe(true);
      expect(all.items.map((f) => f.id)).toEqual(expect.arrayContaining([shTem.id, shXrd.id]));
      expect(await searchIds(`q=${word}&provinceCode=340000`)).toEqual([]);
    });

    it('filters by category, alone or with the province', async () => {
      expect(await searchIds(`q=${word}&category=design`)).toEqual([zjDesign.id]);
      const testing = await search('category=testing&limit=500');
      expect(testing.items.every((f) => f.category === 'testing')).toBe(true);
      expect(await searchIds(`provinceCode=310000&category=testing&q=${word}`)).toEqual([shXrd.id, shTem.id]);
    });

    it('finds Chinese text in the name or the description', async () => {
      // '电镜' is in three names and in the XRD description; not in the design service.
      const ids = await searchIds(`q=${encodeURIComponent('电镜')}&limit=500`);
      expect(ids).toEqual(expect.arrayContaining([shTem.id, shXrd.id, zjTem.id]));
      expect(ids).not.toContain(zjDesign.id);
      expect(await searchIds(`q=${encodeURIComponent('外观')}&provinceCode=330000&limit=500`)).toContain(zjDesign.id);
      expect(await searchIds(`q=${encodeURIComponent('球差校正')}&limit=500`)).toEqual([zjTem.id]);
    });

    it('finds two Han characters only together in one field, not split between the name and the description', async () => {
      // Two characters are one pair, which is the whole match (no LIKE confirms it): the pair must not span fields.
      const split = await listed(shLab, { name: `样品制备龘`, description: '靐测试' });
      const inName = await listed(shLab, { name: `龘靐分析仪`, description: null });
      const inDescription = await listed(shLab, { name: '分析仪', description: '配套龘靐软件' });
      const ids = await searchIds(`q=${encodeURIComponent('龘靐')}&limit=500`);
      expect(ids.sort()).toEqual([inName.id, inDescription.id].sort());
      expect(ids).not.toContain(split.id);
      expect(await searchIds(`q=${encodeURIComponent('龘靐')}&provinceCode=330000`)).toEqual([]);
    });

    it('ignores case', async () => {
      expect(await searchIds(`q=${word.toUpperCase()}&provinceCode=310000`)).toEqual([shXrd.id, shTem.id]);
      expect(await searchIds(`q=xrd%20${word}`)).toEqual([shXrd.id]);
    });

    it('treats %, _ and the escape character ! in q as plain characters', async () => {
      const w = marker();
      const pct = await listed(shLab, { name: `纯度 99.99%检测 ${w}` });
      const under = await listed(shLab, { name: `样品_批量 ${w}` });
      const bang = await listed(shLab, { name: `警示!标签 ${w}` });
      await listed(shLab, { name: `样品A批量 ${w}`, description: '纯度检测' });
      expect(await searchIds(`q=${encodeURIComponent(`99%检测 ${w}`)}`)).toEqual([pct.id]);
      expect(await searchIds(`q=${encodeURIComponent(`%检测 ${w}`)}`)).toEqual([pct.id]);
      expect(await searchIds(`q=${encodeURIComponent(`品_批量 ${w}`)}`)).toEqual([under.id]);
      expect(await searchIds(`q=${encodeURIComponent(`!标签 ${w}`)}`)).toEqual([bang.id]);
    });

    it('pages with limit and offset and counts the whole match', async () => {
      const first = await search(`q=${word}&limit=3&offset=0`);
      const second = await search(`q=${word}&limit=3&offset=3`);
      expect(first.total).toBe(4);
      expect(second.total).toBe(4);
      expect(first.items).toHaveLength(3);
      expect(second.items.map((f) => f.id)).toEqual([zjTem.id]);
      expect((await search(`q=${word}&limit=2&offset=1`)).items.map((f) => f.unitPriceFen)).toEqual([30000, 80000]);
      expect(await search(`q=${word}&offset=10`)).toEqual({ items: [], total: 4 }); // past the end: still the whole count
    });

    it.each([
      ['an unknown category', 'category=catering'],
      ['a city code as province', 'provinceCode=320500'],
      ['a malformed province', 'provinceCode=31'],
      ['a zero limit', 'limit=0'],
      ['a limit above 500', 'limit=501'],
      ['a negative offset', 'offset=-1'],
      ['an empty q', 'q='],
      ['an unknown parameter', 'sort=price'],
    ])('rejects %s with 400', async (_, query) => {
      expect((await t.http.get(`/api/facilities?${query}`).expect(400)).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('changing and retiring', () => {
    it('lets the provider change the price, name and description, and search sees it', async () => {
      const word = marker();
      const f = await listed(shLab, { name: `场发射扫描电镜 ${word}` });
      const res = await t.http
        .patch(`/api/facilities/${f.id}`)
        .set(auth(shLab.token))
        .send({ unitPriceFen: 60000, description: null })
        .expect(200);
      expect(res.body).toMatchObject({ id: f.id, unitPriceFen: 60000, description: null, name: f.name, status: 'active' });
      expect(res.body.updatedAt >= res.body.createdAt).toBe(true);
      const renamed = await t.http
        .patch(`/api/facilities/${f.id}`)
        .set(auth(shLab.token))
        .send({ name: `  FE-SEM ${word}  ` })
        .expect(200);
      expect(renamed.body.name).toBe(`FE-SEM ${word}`);
      expect((await search(`q=${word}`)).items).toEqual([renamed.body]);
    });

    it('keeps whom to ask: set when listed, changed, kept by a change of something else, cleared with null', async () => {
      const f = await listed(shLab, { contact: '  张老师 021-6543 2100  ' });
      expect(f.contact).toBe('张老师 021-6543 2100');
      const patch = (body: object) => t.http.patch(`/api/facilities/${f.id}`).set(auth(shLab.token)).send(body);
      expect((await patch({ contact: 'sem@lab.example.cn' }).expect(200)).body.contact).toBe('sem@lab.example.cn');
      expect((await patch({ unitPriceFen: 70000 }).expect(200)).body.contact).toBe('sem@lab.example.cn');
      expect((await t.http.get(`/api/facilities/${f.id}`).expect(200)).body.contact).toBe('sem@lab.example.cn');
      expect((await patch({ contact: null }).expect(200)).body.contact).toBeNull();
      for (const contact of ['x'.repeat(201), '021\n6543', 42, '', '   ', '\u202e0212']) {
        const refused = await patch({ contact }).expect(400);
        expect(refused.body.message).toContain('contact');
      }
    });

    it('answers another provider with 404 and a non-provider with 403', async () => {
      const f = await listed(shLab, {});
      const res = await t.http.patch(`/api/facilities/${f.id}`).set(auth(zjLab.token)).send({ unitPriceFen: 1 }).expect(404);
      expect(res.body.code).toBe('NOT_FOUND');
      await t.http.post(`/api/facilities/${f.id}/retire`).set(auth(zjLab.token)).expect(404);
      await t.http
        .patch(`/api/facilities/${f.id}`)
        .set(auth(await t.token('bureau-sh')))
        .send({ unitPriceFen: 1 })
        .expect(403);
      await t.http.patch(`/api/facilities/${f.id}`).send({ unitPriceFen: 1 }).expect(401);
      expect((await t.http.get(`/api/facilities/${f.id}`).expect(200)).body.unitPriceFen).toBe(80000);
    });

    it.each([
      ['a fractional price', { unitPriceFen: 1.5 }],
      ['a null price', { unitPriceFen: null }],
      ['a null name', { name: null }],
      ['a category change', { category: 'design' }],
      ['nothing to change', {}],
    ])('rejects a change with %s: 400', async (_, body) => {
      const f = await listed(shLab, {});
      expect((await t.http.patch(`/api/facilities/${f.id}`).set(auth(shLab.token)).send(body).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
    });

    it('retires a facility: it leaves search, stays readable, and cannot be retired or changed again (409)', async () => {
      const word = marker();
      const f = await listed(shLab, { name: `核磁共振 NMR ${word}` });
      expect(await searchIds(`q=${word}`)).toEqual([f.id]);
      const res = await t.http.post(`/api/facilities/${f.id}/retire`).set(auth(shLab.token)).expect(200);
      expect(res.body).toMatchObject({ id: f.id, status: 'retired' });
      expect(await search(`q=${word}`)).toEqual({ items: [], total: 0 });
      expect((await t.http.get(`/api/facilities/${f.id}`).expect(200)).body.status).toBe('retired');
      expect((await t.http.post(`/api/facilities/${f.id}/retire`).set(auth(shLab.token)).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await t.http.patch(`/api/facilities/${f.id}`).set(auth(shLab.token)).send({ unitPriceFen: 1 }).expect(409)).body.code).toBe(
        'INVALID_STATE',
      );
    });

    it('hides a suspended provider’s facilities and shows them again on readmission', async () => {
      const p = await t.registerProvider('310112');
      const word = marker();
      const f = await listed(p, { name: `质谱联用 ${word}` });
      expect(await searchIds(`q=${word}`)).toEqual([f.id]);
      const sh = auth(await t.token('bureau-sh'));
      await t.http.post(`/api/providers/${p.organizationId}/suspend`).set(sh).send({ reason: '虚开发票' }).expect(200);
      expect(await search(`q=${word}`)).toEqual({ items: [], total: 0 });
      await t.http.post(`/api/providers/${p.organizationId}/admit`).set(sh).send({ noticeDays: 0 }).expect(200);
      expect(await searchIds(`q=${word}`)).toEqual([f.id]);
    });

    it('answers unknown and malformed ids with 404', async () => {
      expect((await t.http.get(`/api/facilities/${newId()}`).expect(404)).body.code).toBe('NOT_FOUND');
      await t.http.get('/api/facilities/not-an-id').expect(404);
      await t.http.post(`/api/facilities/${newId()}/retire`).set(auth(shLab.token)).expect(404);
      await t.http.patch(`/api/facilities/${newId()}`).set(auth(shLab.token)).send({ unitPriceFen: 1 }).expect(404);
    });

    it('lets only one of concurrent retirements succeed', async () => {
      const f = await listed(shLab, {});
      const results = await Promise.all(
        Array.from({ length: 6 }, () => t.http.post(`/api/facilities/${f.id}/retire`).set(auth(shLab.token))),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    });
  });

  describe('ratings after confirmed usage', () => {
    let enterprise: OrgSession & { voucherId: string };
    let sem: FacilityBody;
    beforeAll(async () => {
      await openRegion(t, '340100');
      const e = await t.registerEnterprise('340100', { name: '合肥量子芯科技有限公司' });
      enterprise = { ...e, voucherId: (await issueVoucher(t, e.token, 1_000_000)).id };
      sem = await listed(shLab, { name: `场发射扫描电镜 SEM ${marker()}`, unitPriceFen: 20_000 });
    });

    /** One SEM hour held on the Hefei voucher; captured by the lab unless told, and confirmed by the enterprise if asked. */
    async function used(opts: { capture?: boolean; confirm?: boolean } = {}): Promise<string> {
      const held = await t.http
        .post('/api/redemptions')
        .set(auth(enterprise.token))
        .send({ voucherId: enterprise.voucherId, facilityId: sem.id, quantity: 1 })
        .expect(201);
      if (opts.capture === false) return held.body.id;
      await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(shLab.token)).send({ actualQuantity: 1 }).expect(200);
      if (opts.confirm) await t.http.post(`/api/redemptions/${held.body.id}/confirm`).set(auth(enterprise.token)).expect(200);
      return held.body.id;
    }
    const rate = (redemptionId: string, body: Record<string, unknown>, session: OrgSession = enterprise) =>
      t.http.post(`/api/redemptions/${redemptionId}/rating`).set(auth(session.token)).send(body);
    const facility = async () => (await t.http.get(`/api/facilities/${sem.id}`).expect(200)).body as FacilityBody & Record<string, unknown>;

    it('shows no average and a count of 0 before the first rating, and an empty public list', async () => {
      expect(await facility()).toMatchObject({ ratingAvg: null, ratingCount: 0 });
      expect((await t.http.get(`/api/facilities/${sem.id}/ratings`).expect(200)).body).toEqual({ items: [], total: 0 });
    });

    it('refuses a rating before the usage is confirmed: 409 INVALID_STATE, held or captured alike', async () => {
      for (const id of [await used({ capture: false }), await used()]) {
        const res = await rate(id, { score: 5 }).expect(409);
        expect(res.body).toEqual({ statusCode: 409, code: 'INVALID_STATE', message: 'a service can be rated once its usage is confirmed' });
      }
      expect(await facility()).toMatchObject({ ratingAvg: null, ratingCount: 0 });
    });

    it('takes one rating per confirmed service and averages them to one decimal; a second rating is 409 DUPLICATE', async () => {
      const first = await used({ confirm: true });
      const res = await rate(first, { score: 5, comment: '  制样快，数据清晰  ' }).expect(201);
      expect(res.body).toEqual({
        redemptionId: first,
        facilityId: sem.id,
        score: 5,
        comment: '制样快，数据清晰',
        createdAt: expect.any(String),
      });
      expect(await facility()).toMatchObject({ ratingAvg: 5, ratingCount: 1 });
      const again = await rate(first, { score: 1 }).expect(409);
      expect(again.body).toMatchObject({ code: 'DUPLICATE', message: 'this redemption was rated already' });
      expect(await facility()).toMatchObject({ ratingAvg: 5, ratingCount: 1 });

      // 5 + 4 + 4 = 13 over 3 = 4.33… → 4.3; with a 2: 15 over 4 = 3.75 → 3.8
      for (const score of [4, 4]) await rate(await used({ confirm: true }), { score }).expect(201);
      expect(await facility()).toMatchObject({ ratingAvg: 4.3, ratingCount: 3 });
      await rate(await used({ confirm: true }), { score: 2, comment: '预约等了两周' }).expect(201);
      expect(await facility()).toMatchObject({ ratingAvg: 3.8, ratingCount: 4 });
      const search = await t.http.get(`/api/facilities?q=${encodeURIComponent(sem.name)}`).expect(200);
      expect(search.body.items).toEqual([expect.objectContaining({ id: sem.id, ratingAvg: 3.8, ratingCount: 4 })]);
      // Public without their author: the lab's events and audit records carry no rating that names the redemption.
      const ratedIn = async (path: string, session: OrgSession) =>
        ((await t.http.get(path).set(auth(session.token)).expect(200)).body.items as { type?: string; action?: string }[]).filter(
          (x) => (x.type ?? x.action) === 'facility.rated',
        ).length;
      expect(await ratedIn('/api/events?limit=500', shLab)).toBe(0);
      expect(await ratedIn('/api/audit?limit=500', shLab)).toBe(0);
      expect(await ratedIn('/api/events?limit=500', enterprise)).toBe(4);
    });

    it('lists the ratings publicly, newest first, without saying who rated', async () => {
      const [a, b] = [await used({ confirm: true }), await used({ confirm: true })];
      try {
        clock.travel(60_000);
        await rate(a, { score: 3 }).expect(201);
        clock.travel(60_000);
        await rate(b, { score: 4, comment: '报告专业' }).expect(201);
      } finally {
        clock.reset();
      }
      const res = await t.http.get(`/api/facilities/${sem.id}/ratings`).expect(200);
      expect(res.body.total).toBe(6);
      expect(res.body.items.slice(0, 2)).toEqual([
        { score: 4, comment: '报告专业', createdAt: expect.any(String) },
        { score: 3, createdAt: expect.any(String) },
      ]);
      const times = res.body.items.map((r: { createdAt: string }) => r.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
      expect(res.body.items.map((r: { score: number }) => r.score).sort()).toEqual([2, 3, 4, 4, 4, 5]);
      const page = await t.http.get(`/api/facilities/${sem.id}/ratings?limit=2&offset=1`).expect(200);
      expect(page.body).toEqual({ items: res.body.items.slice(1, 3), total: 6 });
      expect(await facility()).toMatchObject({ ratingAvg: 3.7, ratingCount: 6 }); // 22 over 6 = 3.67 → 3.7
      expect((await t.http.get(`/api/facilities/${newId()}/ratings`).expect(404)).body.code).toBe('NOT_FOUND');
    });

    it('lets only the enterprise that used the service rate it, with a score from 1 to 5', async () => {
      const id = await used({ confirm: true });
      const stranger = await t.registerEnterprise('340100');
      expect((await rate(id, { score: 5 }, stranger).expect(404)).body.code).toBe('NOT_FOUND');
      expect((await rate(id, { score: 5 }, shLab).expect(403)).body.code).toBe('FORBIDDEN');
      await t.http.post(`/api/redemptions/${id}/rating`).send({ score: 5 }).expect(401);
      const malformed: [Record<string, unknown>, string][] = [
        [{ score: 0 }, 'score'],
        [{ score: 6 }, 'score'],
        [{ score: 4.5 }, 'score'],
        [{ score: '5' }, 'score'],
        [{}, 'score'],
        [{ score: 5, comment: '' }, 'comment'],
        [{ score: 5, comment: 'x'.repeat(501) }, 'comment'],
        [{ score: 5, enterpriseId: stranger.organizationId }, 'enterpriseId'],
      ];
      for (const [body, field] of malformed) {
        const res = await rate(id, body).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
      }
      expect(await facility()).toMatchObject({ ratingCount: 6 });
    });

    it('counts silence as confirmation once the window closed, and refuses a disputed service', async () => {
      const silent = await used();
      const disputed = await used();
      await t.http
        .post(`/api/redemptions/${disputed}/dispute`)
        .set(auth(enterprise.token))
        .send({ reason: '实际只用了半小时' })
        .expect(200);
      clock.travel(7 * DAY_MS + 1000); // past the policy's default confirmDays
      try {
        await rate(silent, { score: 5 }).expect(201);
        expect((await rate(disputed, { score: 1 }).expect(409)).body.code).toBe('INVALID_STATE');
      } finally {
        clock.reset();
      }
      expect(await facility()).toMatchObject({ ratingAvg: 3.9, ratingCount: 7 }); // 27 over 7 = 3.857 → 3.9
    });
  });

  describe('for other modules and auditors', () => {
    it('reads a facility through its repository in any status, typed; an unknown id reads as nothing', async () => {
      const f = await listed(zjLab, { unitPriceFen: 12345 });
      const facilities = t.get(FacilityRepository);
      const loaded = (await facilities.get(f.id))!;
      expect(loaded).toMatchObject({
        id: f.id,
        providerId: zjLab.organizationId,
        unitPriceFen: 12345,
        provinceCode: '330000',
        status: 'active',
      });
      expect(typeof loaded.unitPriceFen).toBe('number');
      expect(await facilities.get(newId())).toBeUndefined();
    });

    it('audits listing, change and retirement under the facility’s region and provider', async () => {
      const f = await listed(zjLab, {});
      await t.http.patch(`/api/facilities/${f.id}`).set(auth(zjLab.token)).send({ unitPriceFen: 90000 }).expect(200);
      await t.http.post(`/api/facilities/${f.id}/retire`).set(auth(zjLab.token)).expect(200);
      expect(f.regionCode).toBe('330100'); // Hangzhou: the provider's city
      await t.get(AuditSealer).sealAll();
      const entries = await t.dataSource
        .getRepository(AuditEntry)
        .find({ where: { entityType: 'facility', entityId: f.id }, order: { seq: 'ASC' } });
      expect(entries.map((e) => e.action)).toEqual(['facility.created', 'facility.updated', 'facility.retired']);
      expect(
        entries.every((e) => e.regionCode === f.regionCode && e.organizationId === zjLab.organizationId && e.actorId === zjLab.userId),
      ).toBe(true);
      expect(JSON.parse(entries[1].summary)).toEqual({ before: { unitPriceFen: 80000 }, after: { unitPriceFen: 90000 } });
    });

    it('describes every route in the OpenAPI document', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/facilities', '/api/facilities/{id}', '/api/facilities/{id}/retire']),
      );
      expect(Object.keys(doc.paths['/api/facilities'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(doc.paths['/api/facilities'].get.security ?? []).toEqual([]);
      expect(doc.components.schemas.CreateFacilityInput.properties.unitPriceFen).toMatchObject({ minimum: 1, maximum: 10_000_000_000 });
    });
  });
});
