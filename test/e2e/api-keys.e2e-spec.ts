import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, PASSWORD, TestApp } from '../support/test-app';

describe('API keys for provincial systems', () => {
  let t: TestApp;
  let enterprise: OrgSession;
  let otherEnterprise: OrgSession;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '340000');
    await openRegion(t, '320000');
    [enterprise, otherEnterprise] = await Promise.all([t.registerEnterprise('340100'), t.registerEnterprise('340100')]);
  });

  afterAll(() => t?.close());

  const create = (token: string, body: object) => t.http.post('/api/api-keys').set(auth(token)).send(body);

  it('is made by an admin and shown once, acts with the bureau’s scope, notes lastUsedAt, and is 401 at once when revoked', async () => {
    const bureau = await t.token('bureau-ah');
    const made = await create(bureau, { name: '安徽省科技创新券平台' }).expect(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      name: '安徽省科技创新券平台',
      key: expect.stringMatching(/^yrdk_[A-Za-z0-9_-]{40}$/),
      readOnly: false,
    });
    const key = made.body.key as string;
    // shown once: the list names the key by its prefix only, and nothing stored is the key
    const listed = await t.http.get('/api/api-keys').set(auth(bureau)).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: made.body.id, prefix: key.slice(0, 12), lastUsedAt: null, revokedAt: null }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    const [stored] = await t.dataSource.query('SELECT * FROM api_key WHERE id = ?', [made.body.id]);
    expect(JSON.stringify(stored)).not.toContain(key);

    // the bureau's scope: its region's records, another province's refused
    await issueVoucher(t, enterprise.token, 100_000);
    const apps = await t.http.get('/api/voucher-applications').set(auth(key)).expect(200);
    expect(apps.body.items.length).toBeGreaterThan(0);
    const events = await t.http.get('/api/events').set(auth(key)).expect(200);
    expect(events.body.items.every((e: { data: { regionCode?: string } }) => (e.data.regionCode ?? '34').startsWith('34'))).toBe(true);
    expect((await t.http.get('/api/stats/regions/320000').set(auth(key))).status).toBe(403);
    expect((await t.http.get('/api/stats/regions/340000').set(auth(key))).status).toBe(200);
    // it writes as the bureau too (not read-only), and the audit log names the key as the actor
    const sanction = await t.http
      .post('/api/sanctions')
      .set(auth(key))
      .send({ creditCode: otherEnterprise.creditCode, reason: '伪造检测报告' })
      .expect(201);
    const audit = await t.http.get(`/api/audit?entityId=${sanction.body.id}`).set(auth(bureau)).expect(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'sanction.recorded', actorId: made.body.id, actorRole: 'bureau' });

    const used = await t.http.get('/api/api-keys').set(auth(bureau)).expect(200);
    expect(Date.parse(used.body.items[0].lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);

    // a machine credential has no account: account routes are refused
    expect((await t.http.get('/api/auth/me').set(auth(key))).status).toBe(403);
    expect((await create(key, { name: 'x' })).status).toBe(403);

    await t.http.delete(`/api/api-keys/${made.body.id}`).set(auth(bureau)).expect(204);
    const after = await t.http.get('/api/voucher-applications').set(auth(key));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');
    expect((await t.http.delete(`/api/api-keys/${made.body.id}`).set(auth(bureau))).status).toBe(404);
    const entries = await t.http.get(`/api/audit?entityId=${made.body.id}`).set(auth(bureau)).expect(200);
    expect(entries.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['api_key.created', 'api_key.revoked']);
  });

  it('read-only: reads, and is 403 on every write', async () => {
    const made = await create(enterprise.token, { name: '实验室预约系统', readOnly: true }).expect(201);
    expect(made.body.readOnly).toBe(true);
    const key = made.body.key as string;
    const vouchers = await t.http.get('/api/vouchers').set(auth(key)).expect(200);
    expect(vouchers.body.items.length).toBeGreaterThan(0);
    for (const [method, path, body] of [
      ['post', '/api/voucher-applications', { amountFen: 10_000, purpose: '检测' }],
      ['post', '/api/webhooks', { url: 'https://8.8.8.8/hook', events: ['*'] }],
      ['delete', `/api/api-keys/${made.body.id}`, undefined],
    ] as const) {
      const res = await t.http[method](path).set(auth(key)).send(body);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
  });

  it('acts as its organization only: another organization’s records stay 404, and only an admin makes keys', async () => {
    const key = (await create(otherEnterprise.token, { name: '企业 ERP' }).expect(201)).body.key;
    const mine = await t.http.get('/api/vouchers').set(auth(enterprise.token)).expect(200);
    expect((await t.http.get(`/api/vouchers/${mine.body.items[0].id}`).set(auth(key))).status).toBe(404);
    expect((await t.http.get('/api/vouchers').set(auth(key)).expect(200)).body.items).toEqual([]);
    // a staff member who is not the organization's admin may not make keys
    const staff = `staff-${Date.now()}`;
    await t.http.post('/api/users').set(auth(enterprise.token)).send({ username: staff, password: PASSWORD }).expect(201);
    const staffToken = (await t.login(staff, PASSWORD)).accessToken;
    expect((await create(staffToken, { name: 'x' })).status).toBe(403);
    expect((await t.http.get('/api/api-keys').set(auth(staffToken))).status).toBe(403);
    // another organization's key is not this admin's to revoke
    const theirs = (await t.http.get('/api/api-keys').set(auth(otherEnterprise.token)).expect(200)).body.items[0];
    expect((await t.http.delete(`/api/api-keys/${theirs.id}`).set(auth(enterprise.token))).status).toBe(404);
  });

  it('refuses unknown keys (401) and bad input (400 naming the field)', async () => {
    expect((await t.http.get('/api/vouchers').set(auth('yrdk_' + 'A'.repeat(40)))).status).toBe(401);
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', readOnly: 'yes' }, 'readOnly'],
      [{ name: 'x', role: 'platform' }, 'role'],
    ] as const) {
      const res = await create(enterprise.token, body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
    }
  });
});
