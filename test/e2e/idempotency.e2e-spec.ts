import { randomBytes } from 'node:crypto';
import { clock } from '../../src/common/clock';
import { authConfig, AuthConfig } from '../../src/config/configuration';
import { seal } from '../../src/common/sealed';
import { newId } from '../../src/common/ids';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { Sweeps } from '../../src/common/sweeps';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, creditCodeIn, PASSWORD, TestApp } from '../support/test-app';

/**
 * Idempotency v2 (API.md): a key is scoped to its caller; a request refused before it ran does not use it up; the
 * stored response is written in the same transaction as the work; an unfinished claim older than 60 s can be taken
 * over; records older than 24 h are deleted; login, refresh, register and password routes ignore the header.
 */
describe('idempotency keys', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const sanction = (reason = '伪造检测报告') => ({ creditCode: creditCodeIn('310000'), reason });
  const record = async (user: string, key: string, body: object) =>
    t.http
      .post('/api/sanctions')
      .set(await t.as(user))
      .set('Idempotency-Key', key)
      .send(body);
  const stored = (key: string) =>
    t
      .get(Database)
      .rows<{ caller_id: string; response_status: number | null }>(
        sql`SELECT caller_id, response_status FROM idempotency_record WHERE idem_key = ${key}`,
      );
  const sanctionsOf = async (creditCode: string) =>
    (
      await t.http
        .get('/api/sanctions')
        .query({ creditCode })
        .set(await t.as('platform'))
        .expect(200)
    ).body.total;

  it('replays the first response for the same key and body, and changes nothing', async () => {
    const body = sanction();
    const first = await record('bureau-ah', 'same-1', body);
    const again = await record('bureau-ah', 'same-1', body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await sanctionsOf(body.creditCode)).toBe(1);
    // The same route with a trailing slash (routed the same) is the same request: replayed, not a conflict.
    const slashed = await t.http
      .post('/api/sanctions/')
      .set(await t.as('bureau-ah'))
      .set('Idempotency-Key', 'same-1')
      .send(body);
    expect([slashed.status, slashed.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(await sanctionsOf(body.creditCode)).toBe(1);
  });

  it('answers the same key with another body 409 IDEMPOTENCY_CONFLICT', async () => {
    expect((await record('bureau-ah', 'same-2', sanction())).status).toBe(201);
    const res = await record('bureau-ah', 'same-2', sanction('另一个理由'));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('lets only one of concurrent duplicates run; the others replay its response', async () => {
    const body = sanction();
    const token = await t.as('bureau-js');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.http.post('/api/sanctions').set(token).set('Idempotency-Key', 'race-1').send(body)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await sanctionsOf(body.creditCode)).toBe(1);
  });

  it('scopes a key to its caller: two bureaus using one key do not collide', async () => {
    const [a, b] = [sanction(), sanction()];
    const [ra, rb] = [await record('bureau-ah', 'shared-key', a), await record('bureau-sh', 'shared-key', b)];
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.id).not.toBe(rb.body.id);
    expect(rb.headers['idempotent-replayed']).toBeUndefined();
    expect((await stored('shared-key')).length).toBe(2);
  });

  it('replays a refusal the work answered (409, 422) like a success', async () => {
    const s = (await record('bureau-zj', 'lift-setup', sanction())).body;
    const lift = (key: string) => t.http.post(`/api/sanctions/${s.id}/lift`).set('Idempotency-Key', key);
    const token = await t.as('bureau-zj');
    expect((await lift('lift-1').set(token).send({})).status).toBe(200);
    const refused = await lift('lift-2').set(token).send({});
    expect(refused.status).toBe(409);
    const replay = await lift('lift-2').set(token).send({});
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(refused.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    // in the language of whoever retries: Chinese as the first Chinese answer read, English as before
    const zh = await lift('lift-3').set(token).set('Accept-Language', 'zh-CN').send({});
    expect(zh.status).toBe(409);
    expect(zh.body.message).toMatch(/^[^A-Za-z]*$/);
    const zhReplay = await lift('lift-3').set(token).set('Accept-Language', 'zh-CN').send({});
    expect(zhReplay.headers['idempotent-replayed']).toBe('true');
    expect(zhReplay.body).toEqual(zh.body);
    const enReplay = await lift('lift-3').set(token).send({});
    expect(enReplay.body).toEqual(refused.body);
    // a refusal stored before its messages were kept in each language reads as it did: in English, or the code's
    // Chinese summary with the English in brackets
    const [row] = await t.dataSource.query('SELECT response_body FROM idempotency_record WHERE idem_key = ?', ['lift-3']);
    const { messages, ...older } = JSON.parse(row.response_body);
    expect(messages).toEqual({ en: refused.body.message, zh: zh.body.message });
    await t.dataSource.query('UPDATE idempotency_record SET response_body = ? WHERE idem_key = ?', [JSON.stringify(older), 'lift-3']);
    expect((await lift('lift-3').set(token).send({})).body).toEqual(refused.body);
    const olderZh = await lift('lift-3').set(token).set('Accept-Language', 'zh-CN').send({});
    expect(olderZh.status).toBe(409);
    expect(olderZh.body.message).toContain(refused.body.message);
  });

  it('does not use up a key on a request refused before it ran: a 400 and a 404, then the corrected request runs', async () => {
    const token = await t.as('bureau-ah');
    const invalid = await t.http
      .post('/api/sanctions')
      .set(token)
      .set('Idempotency-Key', 'fix-1')
      .send({ creditCode: 'nonsense', reason: '' });
    expect(invalid.status).toBe(400);
    const fixed = await record('bureau-ah', 'fix-1', sanction());
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();

    const missing = await t.http.post(`/api/sanctions/${newId()}/lift`).set(token).set('Idempotency-Key', 'fix-2').send({});
    expect(missing.status).toBe(404);
    expect(await stored('fix-2')).toEqual([]);
  });

  it('never stores login, refresh, registration or password requests (their bodies hold secrets)', async () => {
    const e = await t.registerEnterprise('320100');
    const login = () =>
      t.http.post('/api/auth/login').set('Idempotency-Key', 'secret-1').send({ username: e.username, password: PASSWORD });
    const [a, b] = [await login(), await login()];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.refreshToken).not.toBe(b.body.refreshToken);
    await t.http.post('/api/auth/refresh').set('Idempotency-Key', 'secret-1').send({ refreshToken: a.body.refreshToken }).expect(200);
    await t.http
      .post('/api/auth/password')
      .set(auth(b.body.accessToken))
      .set('Idempotency-Key', 'secret-1')
      .send({ currentPassword: PASSWORD, newPassword: PASSWORD })
      .expect(204);
    expect(await stored('secret-1')).toEqual([]);
  });

  it('replays an API key or a webhook secret from its answer kept sealed, never in clear; a calendar feed URL or a TOTP secret runs again', async () => {
    const e = await t.registerEnterprise('320100');
    const once = (path: string, body: object = {}, key = 'secret-2') =>
      t.http.post(path).set(auth(e.token)).set('Idempotency-Key', key).send(body);
    const keys = [await once('/api/api-keys', { name: '企业 ERP' }), await once('/api/api-keys', { name: '企业 ERP' })];
    expect(keys.map((r) => [r.status, r.headers['idempotent-replayed']])).toEqual([
      [201, undefined],
      [201, 'true'],
    ]);
    expect(keys[1].body).toEqual(keys[0].body);
    expect((await t.http.get('/api/api-keys').set(auth(e.token)).expect(200)).body.items).toHaveLength(1);
    const hook = { url: 'https://203.0.113.10/hooks/yrd', events: ['booking.used'] };
    const webhooks = [await once('/api/webhooks', hook, 'secret-3').expect(201), await once('/api/webhooks', hook, 'secret-3').expect(201)];
    expect(webhooks[1].headers['idempotent-replayed']).toBe('true');
    expect(webhooks[1].body).toEqual(webhooks[0].body);
    expect(webhooks[0].body.secret).toMatch(/^whsec_/);
    // what the table keeps is sealed: neither the key nor the secret is in it
    const bodies = await t.dataSource.query<{ response_body: string }[]>(
      'SELECT response_body FROM idempotency_record WHERE idem_key IN (?, ?)',
      ['secret-2', 'secret-3'],
    );
    expect(bodies).toHaveLength(2);
    for (const { response_body } of bodies) {
      expect(response_body).toMatch(/^sealed:person\.[^:]+:v1\./);
      expect(response_body).not.toContain(keys[0].body.key);
      expect(response_body).not.toContain(webhooks[0].body.secret);
    }
    // sealed by a node with another MFA_ENCRYPTION_KEY: not replayable, and said so (409), never a 500
    await t.dataSource.query('UPDATE idempotency_record SET response_body = ? WHERE idem_key = ?', [
      `sealed:${seal(randomBytes(32), JSON.stringify(webhooks[0].body))}`,
      'secret-3',
    ]);
    const unreadable = await once('/api/webhooks', hook, 'secret-3').expect(409);
    expect(unreadable.body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', message: expect.stringContaining('MFA_ENCRYPTION_KEY') });
    const feeds = [
      await once('/api/calendar/feed', {}, 'secret-4').expect(201),
      await once('/api/calendar/feed', {}, 'secret-4').expect(201),
    ];
    expect(feeds[0].body.url).not.toBe(feeds[1].body.url);
    const totp = [
      await once('/api/auth/mfa/setup', {}, 'secret-4').expect(200),
      await once('/api/auth/mfa/setup', {}, 'secret-4').expect(200),
    ];
    expect(totp[0].body.secret).not.toBe(totp[1].body.secret);
    expect(await stored('secret-4')).toEqual([]);
    await t.http.delete(`/api/webhooks/${webhooks[0].body.id}`).set(auth(e.token)).expect(204);
  });

  it('takes over a claim left unfinished for more than 60 s; a younger one is still in progress', async () => {
    const me = (
      await t.http
        .get('/api/auth/me')
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body.user.id;
    const insertClaim = (key: string, ageMs: number) =>
      t.get(UnitOfWork).run(() =>
        t.get(Database).execute(
          sql`INSERT INTO idempotency_record (id, caller_id, idem_key, route, request_hash, response_status, response_body, created_at)
              VALUES (${newId()}, ${me}, ${key}, 'POST /api/sanctions', 'x', NULL, NULL, ${new Date(Date.now() - ageMs).toISOString()})`,
        ),
      );
    await insertClaim('stale-1', 61_000);
    await insertClaim('young-1', 5_000);
    expect((await record('bureau-ah', 'stale-1', sanction())).status).toBe(201);
    const young = await record('bureau-ah', 'young-1', sanction());
    expect(young.status).toBe(409);
    expect(young.body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', message: expect.stringContaining('in progress') });
  });

  it('deletes records older than 24 hours in the sweep; the key then runs afresh', async () => {
    const body = sanction();
    expect((await record('bureau-sh', 'old-1', body)).status).toBe(201);
    try {
      clock.travel(25 * 60 * 60 * 1000);
      expect((await t.get(Sweeps).runAll())['idempotency-purge']).toBeGreaterThanOrEqual(1);
      expect(await stored('old-1')).toEqual([]);
      const again = await record('bureau-sh', 'old-1', body);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
    } finally {
      clock.reset();
    }
  });

  it('counts the query as part of the request: a dry run and the real import under one key are two requests (409), never a replay', async () => {
    const lab = await t.registerProvider('330100');
    const key = (await t.http.post('/api/api-keys').set(auth(lab.token)).send({ name: '实验室目录同步' }).expect(201)).body.key as string;
    const csv = 'externalRef,name,category,unit,unitPriceFen,description\nXRD-01,X射线衍射仪,testing,hour,20000,\n';
    const importing = (path: string, idemKey: string) =>
      t.http.post(path).set(auth(key)).set('Idempotency-Key', idemKey).set('content-type', 'text/csv').send(csv);
    const listed = async () => (await t.http.get('/api/facilities').query({ q: 'X射线衍射仪' }).expect(200)).body.total;

    const dry = await importing('/api/facilities/import?dryRun=true', 'catalogue-1');
    expect([dry.status, dry.body.dryRun, dry.body.created]).toEqual([200, true, 1]);
    // the lab retries the real import with the key it used for the dry run: not the report of a run that wrote nothing
    const real = await importing('/api/facilities/import', 'catalogue-1');
    expect([real.status, real.body.code, real.headers['idempotent-replayed']]).toEqual([409, 'IDEMPOTENCY_CONFLICT', undefined]);
    expect(await listed()).toBe(0);
    // the real import under a key of its own runs; retried with its query, it is replayed
    const ran = await importing('/api/facilities/import?dryRun=false', 'catalogue-2');
    expect([ran.status, ran.body.dryRun, ran.body.created]).toEqual([200, false, 1]);
    const retried = await importing('/api/facilities/import?dryRun=false', 'catalogue-2');
    expect([retried.status, retried.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(retried.body).toEqual(ran.body);
    expect(await listed()).toBe(1);
  });

  it('keeps a key across a rotation of API keys: the next key of the same maker replays, even 20 retries racing on both; another organization runs its own', async () => {
    await openRegion(t, '320000');
    const [sme, other] = [await t.registerEnterprise('320100'), await t.registerEnterprise('320100')];
    const lab = await t.registerProvider('320100');
    const voucher = await issueVoucher(t, sme.token, 1_000_000);
    const facility = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '透射电镜', category: 'testing', unit: 'hour', unitPriceFen: 40_000 })
        .expect(201)
    ).body;
    const keyOf = async (token: string, name: string) =>
      (await t.http.post('/api/api-keys').set(auth(token)).send({ name }).expect(201)).body as { id: string; key: string };
    // the platform's admin makes the next key while the old one still serves: some nodes send with one, some with the other
    const [oldKey, newKey] = [await keyOf(sme.token, '苏州科技大脑 2026'), await keyOf(sme.token, '苏州科技大脑 2027')];
    const hold = { voucherId: voucher.id, facilityId: facility.id, quantity: 2 };
    const holding = (key: string, idemKey: string, body: object = hold) =>
      t.http.post('/api/redemptions').set(auth(key)).set('Idempotency-Key', idemKey).send(body);
    const heldFen = async () => (await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(sme.token)).expect(200)).body.heldFen;

    const first = await holding(oldKey.key, 'hold-tem-1');
    expect(first.status).toBe(201);
    // its answer was lost; another node retries with the new key
    const retried = await holding(newKey.key, 'hold-tem-1');
    expect([retried.status, retried.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(retried.body).toEqual(first.body);
    expect((await holding(newKey.key, 'hold-tem-1', { ...hold, quantity: 3 })).body.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await heldFen()).toBe(40_000);

    // 20 retries of one request at once, half through each key: one hold
    const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => holding([oldKey, newKey][i % 2].key, 'hold-tem-2')));
    expect(racing.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    expect(await heldFen()).toBe(80_000);

    // the old key revoked, the rotation done: the new key still replays what the old one did
    await t.http.delete(`/api/api-keys/${oldKey.id}`).set(auth(sme.token)).expect(204);
    expect((await holding(newKey.key, 'hold-tem-1')).body).toEqual(first.body);
    expect(await heldFen()).toBe(80_000);

    // another enterprise's key with the same Idempotency-Key runs its own request, and never reads this one's answer
    const theirs = await keyOf(other.token, '另一家企业');
    const refused = await holding(theirs.key, 'hold-tem-1');
    expect([refused.status, refused.headers['idempotent-replayed']]).toEqual([404, undefined]);
    expect(await stored('hold-tem-1')).toHaveLength(1);
  });

  it('replays a sealed secret only to the credential that sent the request: never from a session to an API key, nor back', async () => {
    const e = await t.registerEnterprise('320100');
    const keyOf = async (name: string) =>
      (await t.http.post('/api/api-keys').set(auth(e.token)).send({ name }).expect(201)).body as { id: string; key: string };
    const [machine, other] = [await keyOf('企业 ERP'), await keyOf('企业 MES')];
    const subscribe = (token: string, key: string, url: string) =>
      t.http
        .post('/api/webhooks')
        .set(auth(token))
        .set('Idempotency-Key', key)
        .send({ url, events: ['booking.used'] });
    const webhooks = async () => (await t.http.get('/api/webhooks').set(auth(e.token)).expect(200)).body.total;

    // a session subscribes; the person's API key, sending the same key and body, gets 409 and no secret, and nothing runs
    const bySession = await subscribe(e.token, 'sealed-for-1', 'https://203.0.113.20/hooks/a').expect(201);
    const toMachine = await subscribe(machine.key, 'sealed-for-1', 'https://203.0.113.20/hooks/a');
    expect([toMachine.status, toMachine.body.code, toMachine.headers['idempotent-replayed']]).toEqual([
      409,
      'IDEMPOTENCY_CONFLICT',
      undefined,
    ]);
    expect(toMachine.text).not.toContain(bySession.body.secret);
    expect(toMachine.body.message).toContain('only to the credential that sent the request');
    const inZh = await subscribe(machine.key, 'sealed-for-1', 'https://203.0.113.20/hooks/a').set('Accept-Language', 'zh-CN').expect(409);
    expect(inZh.body.message).toContain('只能重放给发出该请求的凭据');
    // the same person in another session (signed in again) still reads it: a retry keeps working
    const again = (await t.login(e.username, PASSWORD)).accessToken;
    const inAnotherSession = await subscribe(again, 'sealed-for-1', 'https://203.0.113.20/hooks/a').expect(201);
    expect([inAnotherSession.headers['idempotent-replayed'], inAnotherSession.body]).toEqual(['true', bySession.body]);

    // an API key subscribes; only that key reads the answer again, not the person's session nor their other key
    const byMachine = await subscribe(machine.key, 'sealed-for-2', 'https://203.0.113.20/hooks/b').expect(201);
    const retried = await subscribe(machine.key, 'sealed-for-2', 'https://203.0.113.20/hooks/b').expect(201);
    expect([retried.headers['idempotent-replayed'], retried.body]).toEqual(['true', byMachine.body]);
    for (const token of [e.token, other.key]) {
      const refused = await subscribe(token, 'sealed-for-2', 'https://203.0.113.20/hooks/b');
      expect([refused.status, refused.body.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
      expect(refused.text).not.toContain(byMachine.body.secret);
    }
    expect(await webhooks()).toBe(2);

    // sealed before the credential was kept (`sealed:v1.…`, a day at most): it opens to the person's sessions, not to a key
    await t.dataSource.query(`UPDATE idempotency_record SET response_body = ? WHERE idem_key = 'sealed-for-2'`, [
      `sealed:${seal(t.app.get<AuthConfig>(authConfig.KEY).mfaKey, JSON.stringify(byMachine.body))}`,
    ]);
    expect((await subscribe(other.key, 'sealed-for-2', 'https://203.0.113.20/hooks/b')).status).toBe(409);
    expect((await subscribe(e.token, 'sealed-for-2', 'https://203.0.113.20/hooks/b').expect(201)).body).toEqual(byMachine.body);

    // racing: 10 retries from the session and 10 from the key at once; one subscribes, the other credential never reads it
    const racing = await Promise.all(
      [...Array(20).keys()].map((i) =>
        subscribe(i % 2 ? machine.key : e.token, 'sealed-for-3', 'https://203.0.113.20/hooks/c').then((r) => ({
          byMachine: i % 2 === 1,
          r,
        })),
      ),
    );
    const ran = racing.filter(({ r }) => r.status === 201 && !r.headers['idempotent-replayed']);
    expect(ran).toHaveLength(1);
    for (const { byMachine: same, r } of racing.filter(({ byMachine: m }) => m !== ran[0].byMachine)) {
      expect([same, r.status, r.body.code]).toEqual([!ran[0].byMachine, 409, 'IDEMPOTENCY_CONFLICT']);
      expect(r.text).not.toContain(ran[0].r.body.secret);
    }
    expect(await webhooks()).toBe(3);

    // the credential is bound into the seal: written over in the table, the answer opens to no one
    const [row] = await t.dataSource.query<{ response_body: string }[]>(
      `SELECT response_body FROM idempotency_record WHERE idem_key = 'sealed-for-1'`,
    );
    expect(row.response_body.startsWith(`sealed:person.${e.userId}:v1.`)).toBe(true);
    await t.dataSource.query(`UPDATE idempotency_record SET response_body = ? WHERE idem_key = 'sealed-for-1'`, [
      row.response_body.replace(`person.${e.userId}`, `key.${machine.id}`),
    ]);
    const swapped = await subscribe(machine.key, 'sealed-for-1', 'https://203.0.113.20/hooks/a').expect(409);
    expect(swapped.body.message).toContain('MFA_ENCRYPTION_KEY');
    expect(await webhooks()).toBe(3);
  });

  it('replays what a node before keys were a person’s kept under the API key itself, when the retry reaches an upgraded node', async () => {
    await openRegion(t, '310000');
    const sme = await t.registerEnterprise('310100');
    const lab = await t.registerProvider('310100');
    const voucher = await issueVoucher(t, sme.token, 1_000_000);
    const facility = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '扫描电镜', category: 'testing', unit: 'hour', unitPriceFen: 40_000 })
        .expect(201)
    ).body;
    const apiKey = (await t.http.post('/api/api-keys').set(auth(sme.token)).send({ name: '上海科技大脑' }).expect(201)).body as {
      id: string;
      key: string;
    };
    const holding = () =>
      t.http
        .post('/api/redemptions')
        .set(auth(apiKey.key))
        .set('Idempotency-Key', 'hold-sem-1')
        .send({ voucherId: voucher.id, facilityId: facility.id, quantity: 2 });
    const first = await holding();
    expect(first.status).toBe(201);
    // as a node before the upgrade kept it: under the API key's own id, not its maker's
    await t.dataSource.query(`UPDATE idempotency_record SET caller_id = ? WHERE idem_key = 'hold-sem-1'`, [apiKey.id]);
    // its answer was lost; the retry reaches an upgraded node
    const retried = await holding();
    expect([retried.status, retried.headers['idempotent-replayed'], retried.body.id]).toEqual([201, 'true', first.body.id]);
    expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(sme.token)).expect(200)).body.heldFen).toBe(40_000);
  });

  it('rejects a malformed key with 400, and the OpenAPI document states which keys are well formed', async () => {
    const res = await t.http
      .post('/api/sanctions')
      .set(await t.as('bureau-ah'))
      .set('Idempotency-Key', 'x'.repeat(200))
      .send(sanction());
    expect(res.status).toBe(400);
    // a machine client generating keys from the document: what its schema allows runs, what it refuses is 400
    const docs = (await t.http.get('/docs-json').expect(200)).body;
    const header = docs.paths['/api/sanctions'].post.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key');
    const { pattern, minLength, maxLength } = header.schema;
    const allowed = (key: string) => key.length >= minLength && key.length <= maxLength && new RegExp(pattern).test(key);
    for (const key of ['x'.repeat(128), '"quoted"', '../../etc/passwd', '%00', 'order 17', 'tab\there', 'x'.repeat(129)]) {
      const answer = await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-ah'))
        .set('Idempotency-Key', key)
        .send(sanction());
      expect({ key, allowed: allowed(key), status: answer.status, code: answer.body.code }).toEqual(
        allowed(key)
          ? { key, allowed: true, status: 201, code: undefined }
          : { key, allowed: false, status: 400, code: 'VALIDATION_FAILED' },
      );
    }
    expect(['order 17', 'tab\there', 'x'.repeat(129)].map(allowed)).toEqual([false, false, false]);
  });
});
