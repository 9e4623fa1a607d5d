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

  /** A key made through the typed client, as a provincial platform's admin would. */
  const create = async (token: string, body: { name: string; readOnly?: boolean }) =>
    (await t.client(token)).POST('/api/api-keys', { body });

  it('is made by an admin and shown once, acts with the bureau’s scope, notes lastUsedAt, and is 401 at once when revoked', async () => {
    const bureau = await t.client(await t.token('bureau-ah'));
    const made = await create(await t.token('bureau-ah'), { name: '安徽省科技创新券平台' });
    expect(made.response.status).toBe(201);
    expect(made.data).toEqual({
      id: expect.any(String),
      name: '安徽省科技创新券平台',
      key: expect.stringMatching(/^yrdk_[A-Za-z0-9_-]{40}$/),
      readOnly: false,
    });
    const { id, key } = made.data!;
    const byKey = await t.client(key);
    // shown once: the list names the key by its prefix only, and nothing stored is the key
    const listed = await bureau.GET('/api/api-keys');
    expect(listed.response.status).toBe(200);
    expect(listed.data!.items).toEqual([expect.objectContaining({ id, prefix: key.slice(0, 12), lastUsedAt: null, revokedAt: null })]);
    expect(JSON.stringify(listed.data)).not.toContain(key);
    const [stored] = await t.dataSource.query('SELECT * FROM api_key WHERE id = ?', [id]);
    expect(JSON.stringify(stored)).not.toContain(key);

    // the bureau's scope: its region's records, another province's refused
    await issueVoucher(t, enterprise.token, 100_000);
    const apps = await byKey.GET('/api/voucher-applications');
    expect(apps.response.status).toBe(200);
    expect(apps.data!.items.length).toBeGreaterThan(0);
    const events = await byKey.GET('/api/events');
    expect(events.response.status).toBe(200);
    expect(events.data!.items.every((e) => ((e.data.regionCode as string | undefined) ?? '34').startsWith('34'))).toBe(true);
    expect((await byKey.GET('/api/stats/regions/{code}', { params: { path: { code: '320000' } } })).response.status).toBe(403);
    expect((await byKey.GET('/api/stats/regions/{code}', { params: { path: { code: '340000' } } })).response.status).toBe(200);
    // it writes as the bureau too (not read-only), and the audit log names the key as the actor
    const sanction = await byKey.POST('/api/sanctions', { body: { creditCode: otherEnterprise.creditCode, reason: '伪造检测报告' } });
    expect(sanction.response.status).toBe(201);
    const audit = await bureau.GET('/api/audit', { params: { query: { entityId: sanction.data!.id } } });
    expect(audit.response.status).toBe(200);
    expect(audit.data!.items[0]).toMatchObject({ action: 'sanction.recorded', actorId: id, actorRole: 'bureau' });

    const used = await bureau.GET('/api/api-keys');
    expect(Date.parse(used.data!.items[0].lastUsedAt!)).toBeGreaterThan(Date.now() - 60_000);

    // a machine credential has no account: account routes are refused
    expect((await byKey.GET('/api/auth/me')).response.status).toBe(403);
    expect((await create(key, { name: 'x' })).response.status).toBe(403);
    // ... however the path is spelled: the router decodes it, so the guard reads the route, not the URL
    for (const [method, path] of [
      ['get', '/api/%61uth/me'],
      ['post', '/api/%61uth/logout'],
      ['post', '/api/auth/%70assword'],
      ['get', '/api/%75sers'],
      ['get', '/api/api-%6Beys'],
    ] as const) {
      const res = await t.http[method](path).set(auth(key)).send({});
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'FORBIDDEN' });
    }

    // a webhook it makes names it as its maker, so that a leaked key's subscriptions can be told apart and deleted
    const hook = await byKey.POST('/api/webhooks', { body: { url: 'https://8.8.8.8/hook', events: ['provider.admitted'] } });
    expect(hook.response.status).toBe(201);
    const hooks = await bureau.GET('/api/webhooks');
    expect(hooks.data!.items.find((h) => h.id === hook.data!.id)).toMatchObject({ createdBy: id });
    expect((await bureau.DELETE('/api/webhooks/{id}', { params: { path: { id: hook.data!.id } } })).response.status).toBe(204);

    expect((await bureau.DELETE('/api/api-keys/{id}', { params: { path: { id } } })).response.status).toBe(204);
    const after = await byKey.GET('/api/voucher-applications');
    expect(after.response.status).toBe(401);
    expect(after.error?.code).toBe('UNAUTHENTICATED');
    expect((await bureau.DELETE('/api/api-keys/{id}', { params: { path: { id } } })).response.status).toBe(404);
    const entries = await bureau.GET('/api/audit', { params: { query: { entityId: id } } });
    expect(entries.response.status).toBe(200);
    expect(entries.data!.items.map((e) => e.action).sort()).toEqual(['api_key.created', 'api_key.revoked']);
  });

  it('read-only: reads, and is 403 on every write', async () => {
    const made = await create(enterprise.token, { name: '实验室预约系统', readOnly: true });
    expect(made.response.status).toBe(201);
    expect(made.data!.readOnly).toBe(true);
    const readOnly = await t.client(made.data!.key);
    const vouchers = await readOnly.GET('/api/vouchers');
    expect(vouchers.response.status).toBe(200);
    expect(vouchers.data!.items.length).toBeGreaterThan(0);
    for (const write of [
      () => readOnly.POST('/api/voucher-applications', { body: { amountFen: 10_000, purpose: '检测' } }),
      () => readOnly.POST('/api/webhooks', { body: { url: 'https://8.8.8.8/hook', events: ['*'] } }),
      () => readOnly.DELETE('/api/api-keys/{id}', { params: { path: { id: made.data!.id } } }),
    ]) {
      const { response, error } = await write();
      expect(response.status).toBe(403);
      expect(error?.code).toBe('FORBIDDEN');
    }
  });

  it('acts as its organization only: another organization’s records stay 404, and only an admin makes keys', async () => {
    const made = await create(otherEnterprise.token, { name: '企业 ERP' });
    expect(made.response.status).toBe(201);
    const theirKey = await t.client(made.data!.key);
    const mine = await (await t.client(enterprise.token)).GET('/api/vouchers');
    expect(mine.response.status).toBe(200);
    expect((await theirKey.GET('/api/vouchers/{id}', { params: { path: { id: mine.data!.items[0].id } } })).response.status).toBe(404);
    const theirVouchers = await theirKey.GET('/api/vouchers');
    expect(theirVouchers.response.status).toBe(200);
    expect(theirVouchers.data!.items).toEqual([]);
    // a staff member who is not the organization's admin may not make keys
    const staff = `staff-${Date.now()}`;
    const added = await (await t.client(enterprise.token)).POST('/api/users', { body: { username: staff, password: PASSWORD } });
    expect(added.response.status).toBe(201);
    const staffToken = (await t.login(staff, PASSWORD)).accessToken;
    expect((await create(staffToken, { name: 'x' })).response.status).toBe(403);
    expect((await (await t.client(staffToken)).GET('/api/api-keys')).response.status).toBe(403);
    // another organization's key is not this admin's to revoke
    const theirs = (await (await t.client(otherEnterprise.token)).GET('/api/api-keys')).data!.items[0];
    const revoke = await (await t.client(enterprise.token)).DELETE('/api/api-keys/{id}', { params: { path: { id: theirs.id } } });
    expect(revoke.response.status).toBe(404);
  });

  it('refuses unknown keys (401) and bad input (400 naming the field)', async () => {
    expect((await (await t.client('yrdk_' + 'A'.repeat(40))).GET('/api/vouchers')).response.status).toBe(401);
    // Bodies the typed client would refuse to compile: sent as raw JSON.
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', readOnly: 'yes' }, 'readOnly'],
      [{ name: 'x', role: 'platform' }, 'role'],
    ] as const) {
      const res = await t.http.post('/api/api-keys').set(auth(enterprise.token)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
    }
  });

  it('is refused (401) at once, on the next request, while the admin who made it is disabled; another admin’s key goes on', async () => {
    const lab = await t.registerProvider('340100');
    const colleague = `admin-${Date.now()}`;
    const added = await t.http
      .post('/api/users')
      .set(auth(lab.token))
      .send({ username: colleague, password: PASSWORD, admin: true })
      .expect(201);
    const theirs = await create((await t.login(colleague, PASSWORD)).accessToken, { name: '实验室 LIMS' });
    const mine = await create(lab.token, { name: '实验室门户' });
    const events = (key: string) => t.http.get('/api/events').set(auth(key));
    await events(theirs.data!.key).expect(200);
    await t.http.post(`/api/users/${added.body.id}/disable`).set(auth(lab.token)).expect(200);
    const refused = await events(theirs.data!.key).expect(401);
    expect(refused.body).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'the API key is unknown or revoked, or the person who made it is disabled',
    });
    expect((await events(theirs.data!.key).set('Accept-Language', 'zh-CN').expect(401)).body.message).toBe(
      'API 密钥不存在或已撤销，或其创建人已被停用',
    );
    await events(mine.data!.key).expect(200);
  });

  it('is 403 on the personal-account routes, the calendar feed among them, which a person’s token may use', async () => {
    const key = (await create(enterprise.token, { name: '企业日历同步' })).data!.key;
    const feed = await t.http.post('/api/calendar/feed').set(auth(key)).expect(403);
    expect(feed.body).toMatchObject({ code: 'FORBIDDEN', message: 'an API key has no account of its own: sign in as a person for this' });
    await t.http.post('/api/auth/password').set(auth(key)).send({ currentPassword: PASSWORD, newPassword: PASSWORD }).expect(403);
    await t.http.post('/api/calendar/feed').set(auth(enterprise.token)).expect(201);
  });

  it('answers its refusals in the caller’s language', async () => {
    const zh = { 'Accept-Language': 'zh-CN' };
    const readOnly = (await create(enterprise.token, { name: '只读', readOnly: true })).data!.key;
    const write = await t.http.post('/api/voucher-applications').set(auth(readOnly)).set(zh).send({ amountFen: 10_000, purpose: '检测' });
    expect([write.status, write.body.message]).toEqual([403, '该 API 密钥为只读密钥']);
    const unknown = await t.http
      .get('/api/vouchers')
      .set(auth('yrdk_' + 'B'.repeat(40)))
      .set(zh);
    expect([unknown.status, unknown.body.message]).toEqual([401, 'API 密钥不存在或已撤销，或其创建人已被停用']);
    const missing = await t.http.delete('/api/api-keys/00000000-0000-4000-8000-000000000000').set(auth(enterprise.token)).set(zh);
    expect([missing.status, missing.body.message]).toEqual([404, '未找到API 密钥']);
    const writing = (await create(enterprise.token, { name: '写入' })).data!.key;
    const personal = await t.http.post('/api/calendar/feed').set(auth(writing)).set(zh);
    expect([personal.status, personal.body.message]).toEqual([403, 'API 密钥没有个人账号：请以个人身份登录后操作']);
    const staff = `staff-zh-${Date.now()}`;
    await t.http.post('/api/users').set(auth(enterprise.token)).send({ username: staff, password: PASSWORD }).expect(201);
    const notAdmin = await t.http
      .post('/api/api-keys')
      .set(auth((await t.login(staff, PASSWORD)).accessToken))
      .set(zh)
      .send({ name: 'x' });
    expect([notAdmin.status, notAdmin.body.message]).toEqual([403, 'API 密钥须由本机构或本局的管理员登录后管理']);
  });
});
