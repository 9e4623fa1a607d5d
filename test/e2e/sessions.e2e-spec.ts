import { randomBytes } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { securityClock } from '../../src/common/clock';
import { activatedBureauAccount } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { buildService, ServiceNode, startServiceNode } from '../support/service-process';
import { auth, OrgSession, PASSWORD, TestApp } from '../support/test-app';

const MINUTE = 60_000;
const SECRET = randomBytes(32).toString('hex');

/**
 * Sessions as GB/T 22239 level 3 asks (会话超时, ending sessions): short access tokens naming a session that lives in
 * the database, so ending it is seen at once by every API process — here the test's own and a second one started as
 * deployed on the same database with the same signing secret.
 */
describe('sessions', () => {
  let t: TestApp;
  let second: ServiceNode;
  let e: OrgSession;

  beforeAll(async () => {
    buildService();
    t = await TestApp.start({ JWT_SECRET: SECRET, MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    second = await startServiceNode();
    e = await t.registerEnterprise('310104');
  }, 180_000);
  afterAll(async () => {
    second?.process.kill('SIGKILL');
    await t?.close();
  });

  /** The status of GET /api/auth/me with the token, on this process and on the second one. */
  const onBoth = async (token: string) => [
    (await t.http.get('/api/auth/me').set(auth(token))).status,
    (await fetch(`${second.baseUrl}/api/auth/me`, { headers: auth(token) })).status,
  ];
  const login = (username = e.username, password = PASSWORD) => t.login(username, password);
  const refresh = (refreshToken: string) => t.http.post('/api/auth/refresh').send({ refreshToken });

  it('logs in with an access token of at most 15 minutes that carries exp and its session, and a refresh token', async () => {
    const res = await t.http.post('/api/auth/login').send({ username: e.username, password: PASSWORD }).expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshToken: expect.stringMatching(/^yrdr_/) });
    expect(res.headers['cache-control']).toBe('no-store'); // tokens are never kept by a browser or a proxy
    const claims = jwt.decode(res.body.accessToken) as { exp: number; iat: number; sid: string; sub: string };
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(900);
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await onBoth(res.body.accessToken)).toEqual([200, 200]);
    const me = await t.http.get('/api/auth/me').set(auth(res.body.accessToken)).expect(200);
    expect(me.body).toMatchObject({
      user: { username: e.username, role: 'enterprise', admin: true },
      organization: { id: e.organizationId },
    });
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('refuses a token without exp, one signed with another secret, and one for a session that does not exist', async () => {
    const { accessToken } = await login();
    const claims = jwt.decode(accessToken) as Record<string, unknown>;
    const { exp: _exp, iat: _iat, ...rest } = claims;
    const forever = jwt.sign(rest, SECRET, { algorithm: 'HS256', noTimestamp: true });
    const foreign = jwt.sign(rest, randomBytes(32).toString('hex'), { algorithm: 'HS256', expiresIn: 900 });
    const ghost = jwt.sign({ ...rest, sid: '00000000-0000-7000-8000-000000000000' }, SECRET, { algorithm: 'HS256', expiresIn: 900 });
    for (const token of [forever, foreign, ghost]) expect(await onBoth(token)).toEqual([401, 401]);
  });

  it('rotates refresh tokens; using a spent one again ends the whole session on every node', async () => {
    const first = await login();
    const rotated = (await refresh(first.refreshToken).expect(200)).body;
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect(await onBoth(rotated.accessToken)).toEqual([200, 200]);
    const again = await refresh(rotated.refreshToken).expect(200);
    expect(again.headers['cache-control']).toBe('no-store');
    // The first refresh token is spent: presenting it again is reuse, and the session ends with everything it issued.
    expect((await refresh(first.refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
    expect(await onBoth(again.body.accessToken)).toEqual([401, 401]);
    expect((await refresh(again.body.refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
    const audit = await t.http
      .get('/api/audit')
      .query({ entityType: 'user', entityId: e.userId, limit: 500 })
      .set(await t.as('platform'))
      .expect(200);
    expect(audit.body.items.map((a: { action: string; summary: { reason?: string } }) => [a.action, a.summary.reason])).toContainEqual([
      'auth.session_ended',
      'refresh_reuse',
    ]);
  });

  it('a refresh token forged for a live session’s id is refused, and the session goes on; its spent tokens end it however old', async () => {
    const session = await login();
    const rotated = (await refresh(session.refreshToken).expect(200)).body;
    // The session's id is no secret (it is in every access token): a made-up secret for it is not reuse.
    const sid = rotated.refreshToken.slice('yrdr_'.length, 'yrdr_'.length + 36);
    const secret = randomBytes(32).toString('base64url');
    for (const forged of [`yrdr_${sid}.${secret}`, `yrdr_${sid}.0.${secret}`, `yrdr_${sid}.1.${'A'.repeat(43)}`]) {
      const res = await refresh(forged).set('Accept-Language', 'zh-CN').expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED', message: '刷新令牌无效（其所属登录不受影响）' });
    }
    expect(await onBoth(rotated.accessToken)).toEqual([200, 200]);
    // 1,001 rotations on, the first token is still known as this session's own: presenting it ends the session.
    let current = rotated.refreshToken as string;
    for (let i = 0; i < 1_001; i++) current = (await refresh(current).expect(200)).body.refreshToken;
    expect((await refresh(session.refreshToken).expect(401)).body.message).toBe(
      'this refresh token was used already: the session has been ended, log in again',
    );
    await refresh(current).expect(401);
  }, 120_000);

  it('refuses malformed refresh tokens', async () => {
    for (const refreshToken of ['yrdr_x', 'not-a-token', `yrdr_${'0'.repeat(36)}.${'a'.repeat(43)}`]) {
      expect((await refresh(refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await refresh(refreshToken).set('Accept-Language', 'zh-CN').expect(401)).body).toEqual({
        statusCode: 401,
        code: 'UNAUTHENTICATED',
        message: '登录已失效，请重新登录',
      });
    }
  });

  it('logout ends the session at once on every node; the user’s other sessions go on', async () => {
    const [a, b] = [await login(), await login()];
    expect(await onBoth(a.accessToken)).toEqual([200, 200]);
    await t.http.post('/api/auth/logout').set(auth(a.accessToken)).expect(204);
    expect(await onBoth(a.accessToken)).toEqual([401, 401]);
    expect((await refresh(a.refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
    expect(await onBoth(b.accessToken)).toEqual([200, 200]);
  });

  it('a password change needs the current password and a strong new one, and ends the user’s other sessions everywhere', async () => {
    const p = await t.registerProvider('320500');
    const [current, other] = [await t.login(p.username, PASSWORD), await t.login(p.username, PASSWORD)];
    const change = (body: object) => t.http.post('/api/auth/password').set(auth(current.accessToken)).send(body);
    expect((await change({ currentPassword: 'Wrong-Password-1', newPassword: 'Brand-New-Pass-2027' }).expect(401)).body).toEqual({
      statusCode: 401,
      code: 'UNAUTHENTICATED',
      message: 'currentPassword is wrong',
    });
    // said as a wrong password, not as "sign in first", in Chinese too
    const zh = await change({ currentPassword: 'Wrong-Password-2', newPassword: 'Brand-New-Pass-2027' }).set('Accept-Language', 'zh-CN');
    expect(zh.body.message).toBe('当前密码（currentPassword）不正确');
    const weak: [string, string, string][] = [
      ['short1A!', 'newPassword: password must be at least 10 characters', 'newPassword：密码至少需要 10 个字符'],
      [
        'alllowercaseletters',
        'newPassword: password must mix at least 3 of: lower-case letters, upper-case letters, digits, symbols',
        'newPassword：密码须含小写字母、大写字母、数字、符号中的至少三类',
      ],
      ['Password123!', 'newPassword: password is too common or too easy to guess', 'newPassword：密码过于常见或容易被猜到，请换一个'],
      [`${p.username}-X9!`, 'newPassword: password must not contain the username', 'newPassword：密码不能包含用户名'],
    ];
    for (const [newPassword, en, zhMessage] of weak) {
      const res = await change({ currentPassword: PASSWORD, newPassword }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'WEAK_PASSWORD', message: en });
      const inZh = await change({ currentPassword: PASSWORD, newPassword }).set('Accept-Language', 'zh-CN').expect(400);
      expect(inZh.body.message).toBe(zhMessage);
    }
    await change({ currentPassword: PASSWORD, newPassword: 'Brand-New-Pass-2027' }).expect(204);
    expect(await onBoth(other.accessToken)).toEqual([401, 401]);
    expect(await onBoth(current.accessToken)).toEqual([200, 200]);
    await t.http.post('/api/auth/login').send({ username: p.username, password: PASSWORD }).expect(401);
    await t.login(p.username, 'Brand-New-Pass-2027');
  });

  it('a disabled user’s tokens are 401 at once on every node, and it cannot log in', async () => {
    const admin = await t.as('bureau-sh');
    const { id, setupCode } = await activatedBureauAccount(t, 'bureau-sh', 'sh-reviewer-1');
    await t.http.post('/api/auth/setup').send({ username: 'sh-reviewer-1', setupCode, newPassword: 'Reviewer-Own-Pass-2026' }).expect(204);
    const session = await t.login('sh-reviewer-1', 'Reviewer-Own-Pass-2026');
    expect(await onBoth(session.accessToken)).toEqual([200, 200]);
    await t.http.post(`/api/users/${id}/disable`).set(admin).expect(200);
    expect(await onBoth(session.accessToken)).toEqual([401, 401]);
    await t.http.post('/api/auth/login').send({ username: 'sh-reviewer-1', password: 'Reviewer-Own-Pass-2026' }).expect(401);
  });

  it('ends a session idle past SESSION_IDLE_SEC, and any session at SESSION_MAX_SEC, however often it is refreshed', async () => {
    try {
      const idle = await login();
      securityClock.travel(31 * MINUTE);
      expect((await refresh(idle.refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');

      let s = await login();
      for (let elapsed = 25; elapsed <= 700; elapsed += 25) {
        securityClock.travel(25 * MINUTE);
        s = (await refresh(s.refreshToken).expect(200)).body;
      }
      securityClock.travel(25 * MINUTE);
      // Twelve hours after login: the session is over, and with it the access token just issued.
      expect((await t.http.get('/api/auth/me').set(auth(s.accessToken))).status).toBe(401);
      expect((await refresh(s.refreshToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
    } finally {
      securityClock.reset();
    }
  });

  describeRaces('password changes at once', () => {
    it('of five changes from five sessions at once one wins; the others are refused, and the winner’s password is the one that signs in', async () => {
      const p = await t.registerProvider('320500');
      const sessions = [];
      for (let i = 0; i < 5; i++) sessions.push(await t.login(p.username, PASSWORD)); // at once they would be the lockout's
      const wanted = sessions.map((_, i) => `Brand-New-Pass-${2030 + i}`);
      const answers = await Promise.all(
        sessions.map((s, i) =>
          t.http.post('/api/auth/password').set(auth(s.accessToken)).send({ currentPassword: PASSWORD, newPassword: wanted[i] }),
        ),
      );
      const won = answers.map((a, i) => (a.status === 204 ? i : -1)).filter((i) => i >= 0);
      expect(won).toHaveLength(1);
      for (const a of answers.filter((a) => a.status !== 204)) expect(a.body.code).toMatch(/^(UNAUTHENTICATED|LOGIN_LOCKED)$/);
      const signIn = (password: string) => t.http.post('/api/auth/login').send({ username: p.username, password });
      expect((await signIn(wanted[won[0]])).status).toBe(200);
      for (const [i, password] of wanted.entries()) if (i !== won[0]) expect((await signIn(password)).status).toBe(401);
    });
  });
});
