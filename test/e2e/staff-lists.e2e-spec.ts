import { auth, OrgSession, TestApp } from '../support/test-app';

/** The lists of an organization's or bureau's own accounts page like every other list (API.md: `?limit=&offset=`). */
describe('staff lists page with limit and offset', () => {
  let t: TestApp;
  let provider: OrgSession;

  beforeAll(async () => {
    t = await TestApp.start({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    provider = await t.registerProvider('310100');
  });

  afterAll(() => t?.close());

  const page = async (path: string, who: Record<string, string>, query = '') =>
    (await t.http.get(`${path}${query}`).set(who).expect(200)).body;

  it('users: a page of the organization’s users, in the order they were made, and the whole count', async () => {
    const admin = auth(provider.token);
    for (const name of ['lab-clerk-a', 'lab-clerk-b', 'lab-clerk-c'])
      await t.http.post('/api/users').set(admin).send({ username: name, password: 'Clerk-Shanghai-2026' }).expect(201);
    const all = await page('/api/users', admin);
    expect(all.total).toBe(4);
    const names = all.items.map((u: { username: string }) => u.username);
    expect(names.slice(1)).toEqual(['lab-clerk-a', 'lab-clerk-b', 'lab-clerk-c']);
    const second = await page('/api/users', admin, '?limit=2&offset=1');
    expect(second).toEqual({
      total: 4,
      items: [expect.objectContaining({ username: 'lab-clerk-a' }), expect.objectContaining({ username: 'lab-clerk-b' })],
    });
    expect(await page('/api/users', admin, '?offset=4')).toEqual({ total: 4, items: [] });
  });

  it('API keys: newest first, a page of them and the whole count', async () => {
    const admin = await t.as('bureau-zj');
    const ids: string[] = [];
    for (const name of ['浙江省平台一', '浙江省平台二', '浙江省平台三'])
      ids.push((await t.http.post('/api/api-keys').set(admin).send({ name }).expect(201)).body.id);
    expect((await page('/api/api-keys', admin)).items.map((k: { id: string }) => k.id)).toEqual([...ids].reverse());
    const middle = await page('/api/api-keys', admin, '?limit=1&offset=1');
    expect(middle).toEqual({ total: 3, items: [expect.objectContaining({ id: ids[1], name: '浙江省平台二' })] });
  });

  it('webhooks: a page of the live subscriptions and their count', async () => {
    const who = auth(provider.token);
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push(
        (
          await t.http
            .post('/api/webhooks')
            .set(who)
            .send({ url: `http://127.0.0.1:9/hook-${n}`, events: ['*'] })
            .expect(201)
        ).body.id,
      );
    const last = await page('/api/webhooks', who, '?limit=2&offset=2');
    expect(last).toEqual({ total: 3, items: [expect.objectContaining({ id: ids[2], url: 'http://127.0.0.1:9/hook-3' })] });
    expect((await page('/api/webhooks', who, '?limit=2')).items.map((s: { id: string }) => s.id)).toEqual(ids.slice(0, 2));
  });

  it('bureau accounts awaiting a second person: a page, counted without those the asking admin made', async () => {
    const maker = await t.as('bureau-sh');
    const made: string[] = [];
    for (const name of ['sh-reviewer-a', 'sh-reviewer-b', 'sh-reviewer-c'])
      made.push(
        (await t.http.post('/api/users').set(maker).send({ username: name, password: 'Review-Shanghai-2026' }).expect(201)).body.id,
      );
    // the maker is not their second person: none of them is on its list, nor in its count
    expect(await page('/api/users/awaiting-activation', maker)).toEqual({ total: 0, items: [] });
    const platform = await t.as('platform');
    const all = await page('/api/users/awaiting-activation', platform);
    expect(all.items.map((u: { id: string }) => u.id)).toEqual(made);
    const second = await page('/api/users/awaiting-activation', platform, '?limit=1&offset=1');
    expect(second).toEqual({ total: 3, items: [expect.objectContaining({ id: made[1], username: 'sh-reviewer-b', madeBy: 'bureau-sh' })] });
  });

  it('refuses a limit or offset out of range on each, naming the field', async () => {
    const admin = auth(provider.token);
    for (const path of ['/api/users', '/api/webhooks', '/api/api-keys']) {
      const tooMany = await t.http.get(`${path}?limit=501`).set(admin).expect(400);
      expect(JSON.stringify(tooMany.body)).toContain('limit');
      const negative = await t.http.get(`${path}?offset=-1`).set(admin).expect(400);
      expect(JSON.stringify(negative.body)).toContain('offset');
    }
    const zero = await t.http
      .get('/api/users/awaiting-activation?limit=0')
      .set(await t.as('platform'))
      .expect(400);
    expect(JSON.stringify(zero.body)).toContain('limit');
  });
});
