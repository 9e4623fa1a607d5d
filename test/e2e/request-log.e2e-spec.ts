import { connect } from 'node:net';
import { PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import { requestLogParams } from '../../src/common/http/request-log';
import { auth, TestApp } from '../support/test-app';

type Line = Record<string, unknown> & { req?: { id?: string; path?: string } };

describe('request logs', () => {
  let t: TestApp;
  const lines: Line[] = [];
  beforeAll(async () => {
    // The service's own logging options, writing to this test instead of stdout.
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    t = await TestApp.start({}, (builder) =>
      builder.overrideProvider(PARAMS_PROVIDER_TOKEN).useValue(requestLogParams('info', destination)),
    );
  });
  afterAll(() => t.close());

  /** The first line matching, once the response has finished (pino-http logs on 'finish'). */
  const lineWhere = async (match: (l: Line) => boolean): Promise<Line> => {
    for (let i = 0; i < 50 && !lines.some(match); i++) await new Promise((r) => setTimeout(r, 20));
    return lines.find(match)!;
  };

  it('logs method, path, status, response time, request id and user id, and no header, cookie, body or query string', async () => {
    const enterprise = await t.registerEnterprise('310104');
    await t.http
      .get('/api/audit?entityType=in-the-query')
      .set(auth(enterprise.token))
      .set('Cookie', 'session=cookie-secret')
      .set('X-Api-Key', 'key-secret')
      .set('X-Request-Id', 'req-log-1')
      .expect(200);
    const line = await lineWhere((l) => l.req?.id === 'req-log-1');
    expect(line).toMatchObject({
      level: 30,
      req: { id: 'req-log-1', method: 'GET', path: '/api/audit' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      userId: enterprise.userId,
    });
    expect(Object.keys(line.req!).sort()).toEqual(['id', 'method', 'path']);
    expect(Object.keys(line.res as object)).toEqual(['statusCode']);
    const text = JSON.stringify(line);
    for (const secret of [enterprise.token, 'cookie-secret', 'key-secret', 'in-the-query', 'authorization', 'cookie', 'headers']) {
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });

  it('logs a refused anonymous request with its status, a generated request id and no user id; never the password it carried', async () => {
    lines.length = 0;
    await t.http.post('/api/auth/login').send({ username: 'platform', password: 'not-the-password-123' }).expect(401);
    const line = await lineWhere((l) => l.req?.path === '/api/auth/login');
    expect(line).toMatchObject({
      req: { method: 'POST', path: '/api/auth/login', id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      res: { statusCode: 401 },
    });
    expect(line.userId).toBeUndefined();
    expect(JSON.stringify(line)).not.toContain('not-the-password-123');
  });

  it('keeps a caller’s request id only as printable ASCII, and stores a login’s User-Agent with its controls replaced', async () => {
    lines.length = 0;
    const { port } = new URL(await t.url());
    // Raw bytes: HTTP clients refuse or re-encode a header with control bytes, and a server reads them as Latin-1.
    const body = JSON.stringify({ username: 'platform', password: 'demo-pass-2026' });
    const request = Buffer.concat([
      Buffer.from(
        `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`,
      ),
      Buffer.from([...Buffer.from('X-Request-Id: rid'), 0x9b, ...Buffer.from('2J\r\n')]),
      Buffer.from([...Buffer.from('User-Agent: evil'), 0x9b, ...Buffer.from('31m'), 0x85, ...Buffer.from('NEL\r\n')]),
      Buffer.from(`Connection: close\r\n\r\n${body}`),
    ]);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
    const status = Number(answer.split(' ')[1]);
    expect(status).toBe(200);
    const line = await lineWhere((l) => l.req?.path === '/api/auth/login');
    expect(line.req!.id).toMatch(/^[0-9a-f-]{36}$/);
    const sessions: { user_agent: string }[] = await t.dataSource.query('SELECT user_agent FROM session ORDER BY created_at DESC LIMIT 1');
    expect(sessions[0].user_agent).toBe('evil\uFFFD31m\uFFFDNEL');
  });

  it('refuses a username that is not one line (a failed login’s audit entry keeps it as given)', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: 'bureau-ah\u202e\r\n2026-12-03 platform auth.login ok', password: 'x' })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('username') });
  });
});
