import { createServer, Server, Socket } from 'node:net';
import { clock } from '../../src/common/clock';
import { describeOnServer } from '../support/races';
import { auth, creditCodeIn, PASSWORD, TestApp } from '../support/test-app';

/** Answers that protect users outside the business rules: caching, browsers' cross-origin calls, deceptive text. */
describe('hardening', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ CORS_ORIGINS: 'https://cxq.sh.example.gov.cn' })));
  afterAll(() => t.close());

  it('marks every authenticated answer, documents included, as not to be stored; public ones are not marked', async () => {
    const e = await t.registerEnterprise('310104');
    expect((await t.http.get('/api/vouchers').set(auth(e.token)).expect(200)).headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/api/regions').expect(200)).headers['cache-control']).toBeUndefined();
  });

  it('answers CORS only for the allowed origins', async () => {
    const allowed = await t.http
      .options('/api/regions')
      .set('Origin', 'https://cxq.sh.example.gov.cn')
      .set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://cxq.sh.example.gov.cn');
    const other = await t.http.get('/api/regions').set('Origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses bidirectional control characters in names and text that reach certificates, statements and CSV', async () => {
    const register = (name: string) =>
      t.http.post('/api/auth/register').send({
        username: `bidi-${Math.random().toString(36).slice(2, 9)}`,
        password: PASSWORD,
        role: 'enterprise',
        organization: { name, creditCode: creditCodeIn('310104') },
      });
    for (const control of ['\u202E', '\u202A', '\u2066', '\u2069']) {
      const res = await register(`合肥${control}科技有限公司`).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('organization.name') });
    }
    await register('合肥微纳科技有限公司').expect(201);
    const lab = await t.registerProvider('310115');
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: 'TEM\u202Egnp.exe', category: 'testing', unit: 'hour', unitPriceFen: 1000 })
      .expect(400);
    expect(facility.body.message).toContain('name');
  });
});

/**
 * The database out of reach: every answer is 503 DATABASE_UNAVAILABLE with Retry-After (never a bare 500), health says
 * the database is down, and service resumes once it is back. The service reaches MariaDB through a TCP relay here that
 * the test cuts and restores.
 */
describeOnServer('the database out of reach', 'an embedded SQLite file cannot become unreachable', () => {
  let relay: Server;
  let sockets: Socket[] = [];
  let t: TestApp;
  const target = { host: process.env.DB_HOST ?? '127.0.0.1', port: Number(process.env.DB_PORT ?? 3306) };
  const listen = (port = 0) =>
    new Promise<number>((resolve) => {
      relay = createServer((client) => {
        const upstream = new Socket().connect(target.port, target.host);
        sockets.push(client, upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => [client, upstream].forEach((s) => s.destroy());
        client.on('error', drop);
        upstream.on('error', drop);
      }).listen(port, '127.0.0.1', () => resolve((relay.address() as { port: number }).port));
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      relay.close(() => resolve());
      sockets.forEach((s) => s.destroy());
      sockets = [];
    });

  beforeAll(async () => {
    const port = await listen();
    t = await TestApp.start({ DB_HOST: '127.0.0.1', DB_PORT: String(port), DB_SOCKET: '' });
    (t as unknown as { relayPort: number }).relayPort = port;
  });
  afterAll(async () => {
    if (!relay.listening) await listen((t as unknown as { relayPort: number }).relayPort);
    await t.close();
    await cut();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, reports it in health, and recovers', async () => {
    const token = await t.token('bureau-ah');
    await t.http.get('/api/health').expect(200);
    await cut();
    const health = await t.http.get('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE', message: expect.stringContaining('database') });
    for (const res of [
      await t.http.get('/api/facilities'),
      await t.http.get('/api/vouchers').set(auth(token)),
      await t.http.put(`/api/budgets/340000/${clock.year()}`).set(auth(token)).send({ totalFen: 1000 }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    await listen((t as unknown as { relayPort: number }).relayPort);
    for (let attempt = 0; (await t.http.get('/api/health')).status !== 200; attempt++) {
      if (attempt > 50) throw new Error('the service did not recover');
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.http.get('/api/facilities').expect(200);
  });
});
