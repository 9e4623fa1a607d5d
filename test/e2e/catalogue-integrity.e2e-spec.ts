import { randomBytes } from 'node:crypto';
import { beijingDate, clock, DAY_MS } from '../../src/common/clock';
import { FacilityRepository } from '../../src/facilities/facility.repository';
import { describeRaces } from '../support/races';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

/** The cap this suite runs with (MAX_FACILITIES_PER_PROVIDER): small, so that reaching it takes a few rows. */
const CAP = 12;
const HEADER = 'externalRef,name,category,unit,unitPriceFen,description';
/** The visible text of a page, tags and whitespace taken out. */
const text = (html: string) => html.replace(/<[^>]*>/g, '').replace(/\s+/g, '');
/** A word no other facility holds, to find a lab's own in search. */
const marker = () => `M${randomBytes(4).toString('hex')}`;
const OPEN_ALWAYS = {
  openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })),
  closures: [],
  minNoticeHours: 0,
  maxAdvanceDays: 30,
  freeCancellationHours: 0,
  lateCancellationFeeBp: 0,
  requiresQualification: false,
};

describe('the public catalogue lists only labs open for business, and no lab can flood it', () => {
  let t: TestApp;

  beforeAll(async () => (t = await TestApp.start({ MAX_FACILITIES_PER_PROVIDER: String(CAP) })));
  afterAll(() => t?.close());
  afterEach(() => clock.reset());

  const list = async (lab: OrgSession, body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ category: 'testing', unit: 'hour', unitPriceFen: 80_000, ...body })
        .expect(201)
    ).body as { id: string; status: string; bookable: boolean };
  const search = async (query: string) =>
    (await t.http.get(`/api/facilities?${query}`).expect(200)).body as { items: { id: string }[]; total: number };
  const ids = async (query: string) => (await search(query)).items.map((i) => i.id).sort();
  const csvImport = (lab: OrgSession, csv: string, dryRun = false) =>
    t.http
      .post(`/api/facilities/import${dryRun ? '?dryRun=true' : ''}`)
      .set(auth(lab.token))
      .set('content-type', 'text/csv')
      .send(csv);
  const rows = (from: number, count: number, prefix: string) =>
    Array.from({ length: count }, (_, i) => `${prefix}-${from + i},仪器 ${prefix} ${from + i},testing,sample,${10_000 + i},`);
  const liveOf = async (lab: OrgSession) =>
    (await search('provinceCode=310000&limit=500')).items.filter(
      (f) => (f as unknown as { providerId: string }).providerId === lab.organizationId,
    ).length;

  /** A Shanghai lab named after `word`, admitted at once, with an hourly instrument open round the clock and a sample service. */
  async function labWithInstruments(word: string, organization: Record<string, unknown> = {}) {
    const lab = await t.registerProvider('310104', { name: `上海${word}检测中心`, ...organization });
    const tem = await list(lab, { name: `透射电镜 ${word}` });
    await t.http.put(`/api/facilities/${tem.id}/calendar`).set(auth(lab.token)).send(OPEN_ALWAYS).expect(200);
    const icp = await list(lab, { name: `ICP-MS ${word}`, unit: 'sample', unitPriceFen: 25_000 });
    return { lab, tem: tem.id, icp: icp.id };
  }

  /** What the public sees of one facility: its JSON, its page, and (with a calendar) whether a slot of the next two days is free. */
  async function publicView(id: string, hourly = true) {
    const json = (await t.http.get(`/api/facilities/${id}`).expect(200)).body as { status: string; bookable: boolean };
    const page = text((await t.http.get(`/facilities/${id}`).expect(200)).text);
    if (!hourly) return { status: json.status, bookable: json.bookable, page };
    const [from, to] = [0, DAY_MS].map((ms) => beijingDate(new Date(clock.now().getTime() + ms)));
    const slots = (await t.http.get(`/api/facilities/${id}/availability?from=${from}&to=${to}`).expect(200)).body.slots as {
      free: boolean;
    }[];
    return { status: json.status, bookable: json.bookable, page, anyFree: slots.some((s) => s.free) };
  }

  async function expectAdvertised(word: string, facilities: string[], advertised: boolean) {
    expect(await ids(`q=${word}`)).toEqual(advertised ? [...facilities].sort() : []);
    expect((await search(`q=${word}`)).total).toBe(advertised ? facilities.length : 0);
    // without q, the page and its total come from the index and the subtraction of unlisted providers
    const all = await search('provinceCode=310000&category=testing&limit=500');
    expect(all.items.some((i) => facilities.includes(i.id))).toBe(advertised);
    expect(all.total).toBe(all.items.length);
    const catalogue = text((await t.http.get(`/facilities?q=${word}`).expect(200)).text);
    expect(catalogue.includes(`透射电镜${word}`)).toBe(advertised);
    const [, admitted] = text((await t.http.get('/notices').expect(200)).text).split('天入库');
    expect(admitted.includes(`上海${word}检测中心`)).toBe(advertised);
    const tem = await publicView(facilities[0]);
    expect(tem).toMatchObject({ status: advertised ? 'active' : 'suspended', bookable: advertised, anyFree: advertised });
    expect(tem.page.includes('暂停服务')).toBe(!advertised);
    expect(tem.page.includes('近期可预约时段')).toBe(advertised);
  }

  describe('a lab under a credit sanction (失信联合惩戒)', () => {
    it('leaves search, the catalogue page and the notices while the sanction is in force; its pages say it cannot be booked; lifted, it returns', async () => {
      const word = marker();
      const { lab, tem, icp } = await labWithInstruments(word);
      await expectAdvertised(word, [tem, icp], true);

      // recorded by a bureau of another province: a sanction binds in every province
      const sanction = await t.http
        .post('/api/sanctions')
        .set(auth(await t.token('bureau-ah')))
        .send({ creditCode: lab.creditCode, reason: '伪造检测报告' })
        .expect(201);
      await expectAdvertised(word, [tem, icp], false);
      // the lab itself still reads its own facility, and sees why it is out of the catalogue
      const own = await t.http.get(`/api/facilities/${icp}`).set(auth(lab.token)).expect(200);
      expect(own.body).toMatchObject({ id: icp, status: 'suspended', bookable: false });

      await t.http
        .post(`/api/sanctions/${sanction.body.id}/lift`)
        .set(auth(await t.token('bureau-ah')))
        .expect(200);
      await expectAdvertised(word, [tem, icp], true);
    });

    it('reaches a lab through its actual controller: the sanctioned party’s company leaves the catalogue with it', async () => {
      const word = marker();
      const controller = creditCodeIn('310000');
      const { tem, icp } = await labWithInstruments(word, { controllerCreditCode: controller });
      await expectAdvertised(word, [tem, icp], true);
      const sanction = await t.http
        .post('/api/sanctions')
        .set(auth(await t.token('bureau-js')))
        .send({ creditCode: controller, reason: '骗取财政补贴' })
        .expect(201);
      await expectAdvertised(word, [tem, icp], false);
      await t.http
        .post(`/api/sanctions/${sanction.body.id}/lift`)
        .set(auth(await t.token('bureau-js')))
        .expect(200);
      await expectAdvertised(word, [tem, icp], true);
    });

    it('binds through its last day (until, Beijing time) and no longer after it', async () => {
      const word = marker();
      const { lab, tem, icp } = await labWithInstruments(word);
      const until = beijingDate(new Date(clock.now().getTime() + DAY_MS));
      await t.http
        .post('/api/sanctions')
        .set(auth(await t.token('bureau-sh')))
        .send({ creditCode: lab.creditCode, reason: '违规收费', until })
        .expect(201);
      await expectAdvertised(word, [tem, icp], false);
      clock.travel(DAY_MS);
      expect(await ids(`q=${word}`)).toEqual([]);
      clock.travel(DAY_MS);
      expect(beijingDate(clock.now()) > until).toBe(true);
      expect(await ids(`q=${word}`)).toEqual([tem, icp].sort());
      expect((await publicView(icp, false)).status).toBe('active');
    });
  });

  describe('a suspended lab', () => {
    it('reads suspended and not bookable in GET /api/facilities/:id, its page says so and offers no slot, as search hides it', async () => {
      const word = marker();
      const { lab, tem, icp } = await labWithInstruments(word);
      await t.http
        .post(`/api/providers/${lab.organizationId}/suspend`)
        .set(auth(await t.token('bureau-sh')))
        .send({ reason: '停业整顿' })
        .expect(200);
      expect(await ids(`q=${word}`)).toEqual([]);
      const view = await publicView(tem);
      expect(view).toMatchObject({ status: 'suspended', bookable: false, anyFree: false });
      expect(view.page).toContain('该服务机构目前暂停服务，本服务暂不可预约或下单。');
      expect(view.page).not.toContain('仪器设施');
      expect(view.page).not.toContain('近期可预约时段');
      expect((await publicView(icp, false)).status).toBe('suspended');
      // a bureau still reads it
      const bureau = await t.http
        .get(`/api/facilities/${tem}`)
        .set(auth(await t.token('bureau-sh')))
        .expect(200);
      expect(bureau.body).toMatchObject({ id: tem, status: 'suspended', bookable: false });
    });
  });

  describe(`at most MAX_FACILITIES_PER_PROVIDER (${CAP} here) live facilities per lab`, () => {
    it('refuses an import that would pass the cap, whole and dry run too, with 422 LIMIT_REACHED naming the cap and the count', async () => {
      const lab = await t.registerProvider('310104');
      const first = await csvImport(lab, [HEADER, ...rows(0, 10, 'A')].join('\r\n')).expect(200);
      expect(first.body.created).toBe(10);

      const three = [HEADER, ...rows(10, 3, 'A')].join('\r\n');
      for (const dryRun of [true, false]) {
        const res = await csvImport(lab, three, dryRun).expect(422);
        expect(res.body).toMatchObject({ code: 'LIMIT_REACHED', message: expect.stringContaining(`at most ${CAP}`) });
        expect(res.body.message).toContain('has 10');
        expect(res.body.message).toContain('add 3');
      }
      const zh = await csvImport(lab, three).set('Accept-Language', 'zh-CN').expect(422);
      expect(zh.body.message).toContain(`最多上架 ${CAP} 项`);
      expect(zh.body.message).toContain('已有 10 项');
      expect(zh.body.message).toContain('新增 3 项');
      expect(await liveOf(lab)).toBe(10);

      // the same file again with changed prices adds nothing: it passes, as does one that fills the cap exactly
      const repriced = [HEADER, ...rows(0, 10, 'A').map((r) => r.replace(/,(\d+),$/, (_, p) => `,${Number(p) + 1},`))].join('\r\n');
      expect((await csvImport(lab, repriced).expect(200)).body).toMatchObject({ created: 0, updated: 10 });
      expect((await csvImport(lab, [HEADER, ...rows(10, 2, 'A')].join('\r\n')).expect(200)).body.created).toBe(2);
      const single = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '第十三台', category: 'testing', unit: 'item', unitPriceFen: 100 })
        .expect(422);
      expect(single.body).toMatchObject({ code: 'LIMIT_REACHED' });
      expect(single.body.message).toContain(`has ${CAP}`);

      // retiring one makes room for one
      const some = (await search('provinceCode=310000&limit=500')).items.find(
        (f) => (f as unknown as { providerId: string }).providerId === lab.organizationId,
      )!;
      await t.http.post(`/api/facilities/${some.id}/retire`).set(auth(lab.token)).expect(200);
      await list(lab, { name: '替换的仪器' });
      expect(await liveOf(lab)).toBe(CAP);
    });
  });

  describeRaces('concurrent creates against the cap', () => {
    it('lets concurrent creates of one lab fill the cap and no more, however they interleave', async () => {
      const lab = await t.registerProvider('310104');
      await csvImport(lab, [HEADER, ...rows(0, CAP - 3, 'B')].join('\r\n')).expect(200);
      // each create waits a moment after counting: without the provider's row lock they would all count the same
      const facilities = t.get(FacilityRepository);
      const count = facilities.liveCount.bind(facilities);
      const slow = jest.spyOn(facilities, 'liveCount').mockImplementation(async (providerId) => {
        const n = await count(providerId);
        await new Promise((resolve) => setTimeout(resolve, 30));
        return n;
      });
      try {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            t.http
              .post('/api/facilities')
              .set(auth(lab.token))
              .send({ name: `并发仪器 ${i}`, category: 'testing', unit: 'hour', unitPriceFen: 1_000 + i }),
          ),
        );
        expect(answers.map((a) => a.status).sort()).toEqual([...Array(3).fill(201), ...Array(7).fill(422)]);
        expect(answers.filter((a) => a.status === 422).every((a) => a.body.code === 'LIMIT_REACHED')).toBe(true);
      } finally {
        slow.mockRestore();
      }
      expect(await liveOf(lab)).toBe(CAP);
    });
  });

  describe('a CSV row with more cells than the header', () => {
    it('refuses the file with 400 naming the line and the counts, in English and Chinese, and imports nothing', async () => {
      const lab = await t.registerProvider('310104');
      const csv = [HEADER, 'C-1,扫描电镜,testing,hour,40000,含能谱', 'C-2,X 射线衍射仪,testing,hour,30000,含制样, 高分辨'].join('\r\n');
      const en = await csvImport(lab, csv).expect(400);
      expect(en.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('line 3: 7 cells') });
      expect(en.body.message).toContain('6 columns');
      const zh = await csvImport(lab, csv, true).set('Accept-Language', 'zh-CN').expect(400);
      expect(zh.body.message).toContain('第 3 行有 7 个单元格，但首行只列出 6 列');
      expect(await liveOf(lab)).toBe(0);
      // quoted, the comma is part of the description
      const quoted = csv.replace('含制样, 高分辨', '"含制样, 高分辨"');
      expect((await csvImport(lab, quoted).expect(200)).body).toMatchObject({ created: 2, rejected: [] });
    });
  });

  describe('a calendar whose notice is not shorter than its advance', () => {
    it('is refused with 400 naming minNoticeHours and maxAdvanceDays, in English and Chinese; an hour less is accepted', async () => {
      const lab = await t.registerProvider('310104');
      const tem = await list(lab, { name: '场发射电镜' });
      const put = (terms: Record<string, unknown>, lng = 'en') =>
        t.http
          .put(`/api/facilities/${tem.id}/calendar`)
          .set(auth(lab.token))
          .set('Accept-Language', lng)
          .send({ ...OPEN_ALWAYS, ...terms });
      for (const minNoticeHours of [720, 168]) {
        const en = await put({ minNoticeHours, maxAdvanceDays: 7 }).expect(400);
        expect(en.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining(`minNoticeHours (${minNoticeHours})`),
        });
        expect(en.body.message).toContain('maxAdvanceDays × 24 (7 days = 168 hours)');
      }
      const zh = await put({ minNoticeHours: 720, maxAdvanceDays: 7 }, 'zh-CN').expect(400);
      expect(zh.body.message).toContain('minNoticeHours（720 小时）须小于 maxAdvanceDays × 24（7 天即 168 小时）');
      await t.http.get(`/api/facilities/${tem.id}/calendar`).expect(404);
      expect((await put({ minNoticeHours: 167, maxAdvanceDays: 7 }).expect(200)).body).toMatchObject({
        minNoticeHours: 167,
        maxAdvanceDays: 7,
      });
    });
  });
});
