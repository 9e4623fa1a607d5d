import { sign } from 'jsonwebtoken';
import { gzipSync } from 'node:zlib';
import { authConfig, AuthConfig } from '../../src/config/configuration';
import { httpAdapterName } from '../../src/common/http/adapter';
import { languageOf } from '../../src/common/i18n/messages';
import { bureauFor } from '../support/accounts';
import { auth, creditCodeIn, TestApp } from '../support/test-app';

/**
 * What differs between the two HTTP adapters (HTTP_ADAPTER=express|fastify, docs/adr/0012-http-adapter.md) and must not
 * show: body parsing and its refusals, headers set by the service and by helmet, and the request context. Run it under
 * both: the default (Fastify) and `HTTP_ADAPTER=express npx jest --runInBand test/e2e/http-adapter.e2e-spec.ts`.
 */
describe(`the HTTP adapter (${httpAdapterName()})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ BODY_LIMIT: '2kb' })));
  afterAll(() => t.close());

  it('is the one HTTP_ADAPTER names', () => {
    expect(t.app.getHttpAdapter().getType()).toBe(httpAdapterName());
  });

  it('refuses a JSON body over BODY_LIMIT with 413 in the API’s shape', async () => {
    const res = await t.http.post('/api/auth/login').send({ username: 'x'.repeat(3000), password: 'y' });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: larger than 2kb' });
  });

  it('reads a bulk body past BODY_LIMIT only for a caller that proves who it is: a token that verifies, or a live API key', async () => {
    // The body is read before the guard checks anyone: any `Bearer x` once had 10 MB parsed, only to be answered 401.
    const body = JSON.stringify({ rows: [], pad: 'x'.repeat(5_000) });
    const bulk = (authorization: string) =>
      t.http.post('/api/facilities/import').set('Content-Type', 'application/json').set('Authorization', authorization).send(body);
    const { jwtSecret } = t.app.get<AuthConfig>(authConfig.KEY);
    const claims = { sub: 'someone', sid: 'some-session' };
    const forged = sign(claims, 'x'.repeat(40), { algorithm: 'HS256', expiresIn: 900 });
    const expired = sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, jwtSecret, { algorithm: 'HS256' });
    const endless = sign(claims, jwtSecret, { algorithm: 'HS256' }); // no exp: never a token of this service
    const madeUpKey = `yrdk_${'A'.repeat(40)}`;
    for (const bearer of ['x', forged, expired, endless, madeUpKey]) {
      const res = await bulk(`Bearer ${bearer}`);
      expect([bearer, res.status, res.body.message]).toEqual([bearer, 413, 'body: larger than 2kb']);
    }
    const zh = await bulk('Bearer x').set('Accept-Language', 'zh-CN');
    expect([zh.status, zh.body.code, zh.body.message]).toEqual([
      413,
      'PAYLOAD_TOO_LARGE',
      expect.stringMatching(/^body：请求内容超过 .+ 上限$/),
    ]);

    const lab = await t.registerProvider('320500');
    const key = await t.http.post('/api/api-keys').set(auth(lab.token)).send({ name: '实验室仪器平台' }).expect(201);
    for (const bearer of [lab.token, key.body.key as string]) {
      const res = await bulk(`Bearer ${bearer}`);
      // read, then refused on its merits (the unknown field), not by its size
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('answers malformed JSON, a bare JSON value and JSON nested too deep with 400 VALIDATION_FAILED', async () => {
    const send = (body: string) => t.http.post('/api/auth/login').set('Content-Type', 'application/json').send(body);
    expect((await send('{"username": ')).body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'body: malformed JSON',
    });
    expect((await send('"text"')).body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'body: malformed JSON' });
    const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
    const res = await send(deep);
    expect(res.body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('nested more than 32 levels deep'),
    });
  });

  it('refuses what Express’s parsers refused (an unknown charset, a body that does not inflate) and inflates gzip', async () => {
    const login = JSON.stringify({ username: 'nobody-here', password: 'wrong-password-1' });
    const charset = await t.http.post('/api/auth/login').set('Content-Type', 'application/json; charset=klingon').send(login);
    expect(charset.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'body: charset.unsupported' });
    const notGzip = await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send(login);
    expect(notGzip.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    const gzipped = await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: Buffer) => b as unknown as string) // sent as it is: supertest would write a Buffer out as JSON
      .send(gzipSync(login));
    expect(gzipped.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' }); // read, then refused on its merits
  });

  it('answers a path it cannot decode, and a 5,000-character id, in the API’s shape', async () => {
    for (const path of ['/api/organizations/%E4%B8', `/api/organizations/${'x'.repeat(5_000)}`]) {
      const res = await t.http.get(path).set(await t.as(bureauFor('310000')));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'statusCode']);
    }
    // the same words under either adapter (Express's router said "Failed to decode param"), in the caller's language
    const en = await t.http
      .get('/api/vouchers/%E0%A4%A')
      .set(await t.as(bureauFor('310000')))
      .expect(400);
    expect(en.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'path: not a valid URL' });
    const zh = await t.http.get('/api/vouchers/%E0%A4%A').set('Accept-Language', 'zh-CN').expect(400);
    expect(zh.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'path：网址中的百分号编码（%）无法解码' });
  });

  it('treats a body of a type it does not parse as no body (a validation 400), not as 415', async () => {
    const res = await t.http.post('/api/auth/login').set('Content-Type', 'text/plain').send('username=a');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('reads CSV bodies as text, to their own larger limit', async () => {
    const csv = `creditCode,certificateNo\r\n${creditCodeIn('310000')},202631010400000001\r\n`;
    const res = await t.http
      .put('/api/qualified-enterprises/310000')
      .set(await t.as(bureauFor('310000')))
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(200);
    expect(res.body).toMatchObject({ imported: 1, rejected: [] });
  });

  it('sends helmet’s headers, the service’s own and the error body as JSON under either adapter', async () => {
    const res = await t.http.get('/api/no-such-route').set('Accept-Language', 'zh-CN,zh;q=0.9');
    expect(res.status).toBe(404);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    // helmet runs once at start (securityHeaders); every answer, API and pages, carries all it set
    for (const path of ['/api/no-such-route', '/api/regions', '/facilities']) {
      const { headers } = await t.http.get(path);
      expect(headers).toMatchObject({
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-frame-options': 'SAMEORIGIN',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'origin-agent-cluster': '?1',
        'x-dns-prefetch-control': 'off',
        'x-download-options': 'noopen',
        'x-permitted-cross-domain-policies': 'none',
        'x-xss-protection': '0',
      });
      expect(headers['x-powered-by']).toBeUndefined();
    }
    const e = await t.registerEnterprise('310104');
    expect((await t.http.get('/api/vouchers').set(auth(e.token)).expect(200)).headers['cache-control']).toBe('no-store');
  });

  it('tags bodies with a weak ETag and answers a repeat GET that names it with an empty 304, API and pages alike', async () => {
    for (const path of ['/api/regions', '/facilities']) {
      const first = await t.http.get(path).expect(200);
      expect(first.headers.etag).toMatch(/^W\/"[0-9a-f]+-/);
      const again = await t.http.get(path).set('If-None-Match', first.headers.etag);
      expect(again.status).toBe(304);
      expect(again.text ?? '').toBe('');
      // a client that asks for a fresh copy gets one
      await t.http.get(path).set('If-None-Match', first.headers.etag).set('Cache-Control', 'no-cache').expect(200);
    }
  });

  it('negotiates the language from the header alone, as Express’s acceptsLanguages did', () => {
    const lng = (header?: string) => languageOf({ headers: header === undefined ? {} : { 'accept-language': header } });
    expect(lng()).toBe('en');
    expect(lng('zh-CN')).toBe('zh');
    expect(lng('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(lng('en-US,zh;q=0.5')).toBe('en');
    expect(lng('fr, zh;q=0.2')).toBe('zh');
    expect(lng('zh;q=0, *')).toBe('en');
    expect(lng('*')).toBe('en');
    expect(lng('de')).toBe('en');
  });
});
