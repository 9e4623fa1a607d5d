import { issueVoucher, openRegion, policyBody } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';

interface Item {
  facility: { id: string; unitPriceFen: number; provinceCode: string };
  quote: { feeFen: number; selfPayFen: number; subsidyFen: number; refusal?: { code: string } };
}

/**
 * The comparison reads only its page from the database (comparisonRuns): whatever mix of cheaper and dearer, local and
 * cross-province, capped and refused facilities, every page is the slice of the one ranking, each quote is what the
 * single quote answers, and the total counts every facility ranked.
 */
describe('comparing a category across provinces, page by page', () => {
  let t: TestApp;
  let e: OrgSession;
  let voucherId: string;
  const listed = new Set<string>();
  /** The facility of a lab the enterprise controls. */
  let ofControlled: string;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI, { budgetFen: 2_000_000_000 });
    const bureau = await t.token('bureau-ah');
    await t.http
      .post('/api/policies')
      .set(auth(bureau))
      .send(
        policyBody(HEFEI, {
          categories: [{ category: 'consulting', ratioBp: 5000 }],
          acceptedProvinceCodes: ['310000', '320000', '340000'],
          localBonusBp: 1000,
          perRedemptionCapFen: 40_000,
        }),
      )
      .expect(201);
    e = await t.registerEnterprise(HEFEI);
    voucherId = (await issueVoucher(t, e.token, 1_000_000)).id;

    const list = async (p: OrgSession, unitPriceFen: number, category = 'consulting') => {
      const body = { name: `技术咨询 ${unitPriceFen}`, category, unit: 'item', unitPriceFen };
      const f = (await t.http.post('/api/facilities').set(auth(p.token)).send(body).expect(201)).body as { id: string };
      if (category === 'consulting') listed.add(f.id);
      return f;
    };
    // 1 and 2 fen: no subsidy at all, or a single fen (floor); 100,000 fen: the cap binds local and cross alike, so a
    // local and a cross-province facility pay the same and the id decides; Zhejiang is not accepted.
    const prices = [1, 2, 15, 30_000, 66_666, 70_000, 100_000, 100_000, 250_000];
    for (const region of ['340104', '310115', '320506', '330106']) {
      const p = await t.registerProvider(region);
      for (const price of prices) await list(p, price);
    }
    const sanctioned = await t.registerProvider('310104');
    // a sanctioned provider's facilities are not ranked at all, as a suspended one's (the single quote still refuses them)
    for (const price of [30_000, 2]) listed.delete((await list(sanctioned, price)).id);
    await t.http
      .post('/api/sanctions')
      .set(auth(await t.token('bureau-sh')))
      .send({ creditCode: sanctioned.creditCode, reason: '虚开发票' })
      .expect(201);
    const controlled = await t.registerProvider('340104', { controllerCreditCode: e.creditCode });
    ofControlled = (await list(controlled, 50_000)).id;
    const declaring = await t.registerProvider('320506', { relatedCreditCodes: [e.creditCode] });
    await list(declaring, 50_000);
    const suspended = await t.registerProvider('340104');
    await list(suspended, 10_000);
    listed.delete([...listed].pop()!); // a suspended provider's facility is not ranked at all
    await t.http
      .post(`/api/providers/${suspended.organizationId}/suspend`)
      .set(auth(await t.token('bureau-ah')))
      .send({ reason: '停业整顿' })
      .expect(200);
    const retiring = await t.registerProvider('320506');
    const retired = await list(retiring, 1_000);
    listed.delete(retired.id);
    await t.http.post(`/api/facilities/${retired.id}/retire`).set(auth(retiring.token)).expect(200);
    await list(retiring, 5_000, 'design'); // another category
  });
  afterAll(() => t?.close());

  const compare = async (query: Record<string, unknown>, who = e) =>
    (
      await t.http
        .get('/api/quotes')
        .query({ category: 'consulting', voucherId, ...query })
        .set(auth(who.token))
        .expect(200)
    ).body as {
      items: Item[];
      total: number;
    };
  const rank = (a: Item, b: Item) =>
    Number(!!a.quote.refusal) - Number(!!b.quote.refusal) ||
    a.quote.selfPayFen - b.quote.selfPayFen ||
    a.quote.feeFen - b.quote.feeFen ||
    a.facility.id.localeCompare(b.facility.id);

  it.each([1, 3])('ranks every facility once, in order, each quote as the single quote says it (quantity %i)', async (quantity) => {
    const all = await compare({ quantity, limit: 500 });
    expect(all.total).toBe(listed.size);
    expect(new Set(all.items.map((i) => i.facility.id))).toEqual(listed);
    expect(all.items).toEqual([...all.items].sort(rank));
    const refusals = all.items.filter((i) => i.quote.refusal).map((i) => i.quote.refusal!.code);
    expect(new Set(refusals)).toEqual(
      new Set(['PROVINCE_NOT_ACCEPTED', 'RELATED_PARTY', ...(quantity === 1 ? ['VOUCHER_INSUFFICIENT_BALANCE'] : [])]),
    );
    for (const item of all.items) {
      const single = await t.http
        .get(`/api/facilities/${item.facility.id}/quote`)
        .query({ voucherId, quantity })
        .set(auth(e.token))
        .expect(200);
      expect(single.body).toEqual(item.quote);
    }
  });

  it('answers every page as the slice of that ranking, with the whole total', async () => {
    const all = (await compare({ limit: 500 })).items;
    for (const limit of [1, 4, 7, 25]) {
      for (let offset = 0; offset <= all.length + 1; offset += 3) {
        const page = await compare({ limit, offset });
        expect(page.total).toBe(all.length);
        expect(page.items).toEqual(all.slice(offset, offset + limit));
      }
    }
  });

  it('ranks everything as refused, by fee, when the voucher itself is refused', async () => {
    await t.http
      .post('/api/sanctions')
      .set(auth(await t.token('bureau-ah')))
      .send({ creditCode: e.creditCode, reason: '伪造检测报告' })
      .expect(201);
    const all = await compare({ limit: 500 });
    // the sanction binds the lab the enterprise controls too: its facility leaves the ranking, as a sanctioned lab's
    expect(all.total).toBe(listed.size - 1);
    expect(all.items.map((i) => i.facility.id)).not.toContain(ofControlled);
    expect(all.items.every((i) => i.quote.refusal?.code === 'SANCTIONED')).toBe(true);
    expect(all.items).toEqual([...all.items].sort(rank));
    expect((await compare({ limit: 5, offset: 7 })).items).toEqual(all.items.slice(7, 12));
  });
});
