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
});
