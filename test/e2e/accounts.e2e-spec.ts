import { AuditSealer } from '../../src/audit/audit-sealer';
import { AuthService } from '../../src/auth/auth.service';
import { Credentials } from '../../src/auth/credentials';
import { FirstAdmins } from '../../src/auth/first-admins';
import { SessionRepository } from '../../src/auth/session.repository';
import { securityClock } from '../../src/common/clock';
import { auth, creditCodeIn, DEMO_PASSWORD, PASSWORD, TestApp } from '../support/test-app';
import { activatedBureauAccount } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { totp } from '../support/totp';

const MINUTE = 60_000;

/**
 * Accounts under GB/T 22239 level 3: login-failure handling (lockout per username, limits per address) counted in
 * the database, two-factor for staff, staff accounts managed by their admins, and the audit of every login.
 */
describe('accounts', () => {
  let t: TestApp;
  // Each test speaks from addresses of its own (X-Forwarded-For, trusted here as behind a proxy), so limits do not mix.
  beforeAll(async () => (t = await TestApp.start({ LOGIN_FAILURES_PER_IP_PER_MIN: '30', TRUST_PROXY: 'true' })));
  afterAll(() => t.close());
  afterEach(() => securityClock.reset());

  const login = (body: object, ip = '198.51.100.7') => t.http.post('/api/auth/login').set('X-Forwarded-For', ip).send(body);

  describe('login-failure handling', () => {
    it('locks a username for 15 minutes at its 5th failure within 15 minutes, even for the right password; then lets it in', async () => {
      const e = await t.registerEnterprise('340100');
      for (let i = 1; i <= 3; i++) expect((await login({ username: e.username, password: `Wrong-${i}-Password!` })).status).toBe(401);
      const zh = await login({ username: e.username, password: 'Wrong-4-Password!' }).set('Accept-Language', 'zh-CN');
      expect(zh.body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: '用户名或密码错误' });
      securityClock.travel(10 * MINUTE);
      expect((await login({ username: e.username, password: 'Wrong-5-Password!' })).status).toBe(401);
      const locked = await login({ username: e.username, password: PASSWORD });
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('LOGIN_LOCKED');
      const lockedZh = await login({ username: e.username, password: PASSWORD }).set('Accept-Language', 'zh-CN');
      expect(lockedZh.body).toEqual({
        statusCode: 429,
        code: 'LOGIN_LOCKED',
        message: '该账户登录失败或同时尝试登录的次数过多，请 15 分钟后再试',
      });
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      securityClock.travel(14 * MINUTE);
      expect((await login({ username: e.username, password: PASSWORD })).status).toBe(429);
      securityClock.travel(MINUTE + 1000);
      expect((await login({ username: e.username, password: PASSWORD })).status).toBe(200);
    });

    it('does not lock for failures spread wider than the window, and forgets failures after a success', async () => {
      const e = await t.registerEnterprise('340100');
      for (let i = 0; i < 8; i++) {
        expect((await login({ username: e.username, password: 'Wrong-Password-1!' })).status).toBe(401);
        securityClock.travel(4 * MINUTE); // 4 failures within any 15 minutes
      }
      expect((await login({ username: e.username, password: PASSWORD })).status).toBe(200);
      for (let i = 0; i < 4; i++) await login({ username: e.username, password: 'Wrong-Password-1!' });
      expect((await login({ username: e.username, password: PASSWORD })).status).toBe(200);
      for (let i = 0; i < 4; i++) await login({ username: e.username, password: 'Wrong-Password-1!' });
      expect((await login({ username: e.username, password: PASSWORD })).status).toBe(200);
    });

    // Not a database race: the password checks overlap on any database, and the old count came after them.
    it('a burst of 40 logins at once gets 5 password checks; every other answer is the same refusal, the right password’s too', async () => {
      const e = await t.registerEnterprise('340100');
      const right = 27;
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          login({ username: e.username, password: i === right ? PASSWORD : `Wrong-${i}-Password!` }, `198.51.100.${100 + (i % 20)}`),
        ),
      );
      const checked = answers.filter((a) => a.status !== 429);
      expect(checked.length).toBeLessThanOrEqual(5);
      for (const [i, a] of answers.entries()) {
        if (a.status === 429) expect(a.body.code).toBe('LOGIN_LOCKED');
        else expect(a.status).toBe(i === right ? 200 : 401);
      }
      // unless it was among the five checked, the right password learnt nothing: its answer is the others'
      const refusedOthers = new Set(answers.filter((a, i) => i !== right && a.status === 429).map((a) => a.body.message));
      if (answers[right].status === 429) expect(refusedOthers).toContain(answers[right].body.message);
      const byAddress = await Promise.all(
        Array.from({ length: 45 }, (_, i) => login({ username: `nobody-burst-${i}`, password: 'Wrong-Password-1!' }, '203.0.113.77')),
      );
      expect(byAddress.filter((a) => a.status === 401)).toHaveLength(30);
      expect(byAddress.filter((a) => a.status === 429).map((a) => a.body.code)).toEqual(Array(15).fill('RATE_LIMITED'));
    });

    it('answers 429 RATE_LIMITED to an address after 30 failures in a minute, for any username; other addresses go on', async () => {
      const ip = '203.0.113.9';
      for (let i = 0; i < 30; i++) expect((await login({ username: `nobody-${i}`, password: 'Wrong-Password-1!' }, ip)).status).toBe(401);
      const limited = await login({ username: 'bureau-zj', password: DEMO_PASSWORD }, ip);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      const limitedZh = await login({ username: 'bureau-zj', password: DEMO_PASSWORD }, ip).set('Accept-Language', 'zh-CN');
      expect(limitedZh.body).toEqual({ statusCode: 429, code: 'RATE_LIMITED', message: '当前 IP 地址登录尝试过于频繁，请 1 分钟后再试' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await login({ username: 'bureau-zj', password: DEMO_PASSWORD }, '203.0.113.10')).status).toBe(200);
      securityClock.travel(61 * 1000);
      expect((await login({ username: 'bureau-zj', password: DEMO_PASSWORD }, ip)).status).toBe(200);
    });

    it('counts a forwarded address longer than its throttle key by its first characters: a login is 401, not 500', async () => {
      // behind a proxy that keeps the client's X-Forwarded-For, the address is whatever the client wrote: 200
      // characters made a 209-character key in a VARCHAR(120), which MariaDB refused (a 500); SQLite kept it whole
      const ip = `198.51.100.${'9'.repeat(200)}`;
      expect((await login({ username: 'nobody-long-ip', password: 'Wrong-Password-1!' }, ip)).status).toBe(401);
      const keys: { k: string }[] = await t.dataSource.query(
        `SELECT throttle_key AS k FROM throttle WHERE throttle_key LIKE '%198.51.100.999%'`,
      );
      expect(keys.length).toBeGreaterThan(0);
      for (const { k } of keys) expect([...k].length).toBeLessThanOrEqual(120);
    });

    it('writes every login, failure, lockout and logout to the audit log with who, when, from where and the outcome', async () => {
      const e = await t.registerEnterprise('340100');
      const ip = '198.51.100.77';
      for (let i = 0; i < 5; i++) await login({ username: e.username, password: 'Wrong-Password-1!' }, ip);
      await login({ username: e.username, password: PASSWORD }, ip);
      securityClock.travel(16 * MINUTE);
      const ok = (await login({ username: e.username, password: PASSWORD }, ip).expect(200)).body;
      await t.http.post('/api/auth/logout').set(auth(ok.accessToken)).expect(204);
      const entries = (
        await t.http
          .get('/api/audit')
          .query({ entityType: 'user', entityId: e.userId, limit: 100 })
          .set(await t.as('platform'))
          .expect(200)
      ).body.items.reverse();
      const actions = entries.map((a: { action: string }) => a.action);
      expect(actions).toEqual(
        expect.arrayContaining(['auth.login_failed', 'auth.locked', 'auth.login_refused', 'auth.login', 'auth.logout']),
      );
      const failed = entries.find((a: { action: string }) => a.action === 'auth.login_failed');
      expect(failed).toMatchObject({ at: expect.any(String), summary: { username: e.username, clientIp: ip, reason: 'UNAUTHENTICATED' } });
      expect(entries.filter((a: { action: string }) => a.action === 'auth.login').pop().summary).toMatchObject({
        outcome: 'succeeded',
        clientIp: ip,
      });
    });
  });

  describe('refused logins in the audit log', () => {
    /** The sealed entries of an action (the chain as it is read), with their summaries. */
    const entriesWhere = async (action: string, match: (summary: Record<string, unknown>) => boolean) => {
      await t.get(AuditSealer).sealAll();
      const rows = await t.dataSource.query<{ entity_id: string; summary: string }[]>(
        'SELECT entity_id, summary FROM audit_entry WHERE action = ? ORDER BY seq',
        [action],
      );
      return rows.map((r): Record<string, unknown> => ({ entityId: r.entity_id, ...JSON.parse(r.summary) })).filter(match);
    };
    const refusalsWhere = (match: (summary: Record<string, unknown>) => boolean) => entriesWhere('auth.login_refused', match);
    const counted = (match: (summary: Record<string, unknown>) => boolean) => entriesWhere('auth.login_refusals_counted', match);
    const chainVerifies = async () =>
      (
        await t.http
          .get('/api/audit/verify')
          .set(await t.as('platform'))
          .expect(200)
      ).body.valid;
    const burst = async (n: number, body: (i: number) => object, ip: (i: number) => string) => {
      const statuses: number[] = [];
      // in bursts of 50: at once on the rows, without waiting a request's time 300 times
      for (let from = 0; from < n; from += 50) {
        const answers = await Promise.all(Array.from({ length: Math.min(50, n - from) }, (_, k) => login(body(from + k), ip(from + k))));
        statuses.push(...answers.map((a) => a.status));
      }
      return statuses;
    };
    /** An address's minute used up: 30 wrong passwords (its limit here), then `refused` more, each 429. */
    const exhaust = async (ip: string, usernames: string, refused: number) => {
      const wrong = (i: number) => ({ username: `${usernames}-${i}`, password: 'Wrong-Password-1!' });
      for (let i = 0; i < 30; i++) expect((await login(wrong(i), ip)).status).toBe(401);
      expect(await burst(refused, wrong, () => ip)).toEqual(Array(refused).fill(429));
    };

    it('300 logins refused to a rate-limited address write one audit entry that minute, and the next minute’s carries their count', async () => {
      const ip = '203.0.113.150';
      await exhaust(ip, 'flood', 300);
      // The refused address tried 270 usernames more: none of them got a throttle row.
      const userRows = await t.dataSource.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM throttle WHERE throttle_key LIKE ?', [
        'login-user:flood-%',
      ]);
      expect(Number(userRows[0].n)).toBe(30);
      const first = await refusalsWhere((s) => s.clientIp === ip);
      expect(first).toEqual([
        expect.objectContaining({ reason: 'RATE_LIMITED', subject: 'address', clientIp: ip, window: expect.any(String) }),
      ]);
      expect(first[0].previousWindow).toBeUndefined();
      // the wrong passwords that were checked are each audited, as before
      const failed = await t.dataSource.query<{ n: number | string }[]>(
        'SELECT COUNT(*) AS n FROM audit_entry WHERE action = ? AND summary LIKE ?',
        ['auth.login_failed', `%"clientIp":"${ip}"%`],
      );
      expect(Number(failed[0].n)).toBe(30);

      securityClock.travel(61_000);
      await exhaust(ip, 'flood', 10);
      const both = await refusalsWhere((s) => s.clientIp === ip);
      expect(both).toHaveLength(2);
      expect(both[1]).toMatchObject({ subject: 'address', previousWindow: { since: first[0].window, refusals: 300 } });
      expect(await chainVerifies()).toBe(true);
    });

    it('logins refused to a locked username from many addresses write one audit entry a minute; its lockout stays audited', async () => {
      const e = await t.registerEnterprise('340100');
      for (let i = 0; i < 5; i++)
        expect((await login({ username: e.username, password: 'Wrong-Password-1!' }, '198.51.100.140')).status).toBe(401);
      const refused = await burst(
        100,
        () => ({ username: e.username, password: PASSWORD }),
        (i) => `198.51.100.${150 + (i % 20)}`,
      );
      expect(refused).toEqual(Array(100).fill(429));
      const entries = await refusalsWhere((s) => s.username === e.username);
      expect(entries).toEqual([expect.objectContaining({ entityId: e.userId, reason: 'LOGIN_LOCKED', subject: 'username' })]);
      const locked = await t.dataSource.query<{ n: number | string }[]>(
        'SELECT COUNT(*) AS n FROM audit_entry WHERE action = ? AND entity_id = ?',
        ['auth.locked', e.userId],
      );
      expect(Number(locked[0].n)).toBe(1);
      expect(await chainVerifies()).toBe(true);
    });

    it('a minute of refusals with no minute after it is reported by the sweep once it ends, once however many nodes sweep', async () => {
      const ip = '203.0.113.170';
      // Start a second into a minute, so that on a slow machine the refusals below still fall in one minute, as read.
      securityClock.travel(MINUTE - (securityClock.now().getTime() % MINUTE) + 1000);
      // The minute is the address's from its first refusal on; what follows takes seconds, more on a slow machine.
      const began = securityClock.now().getTime();
      await exhaust(ip, 'stopped', 120);
      // a username in mixed case: found whatever the case it is typed in, on SQLite as on MariaDB
      const e = await t.registerEnterprise('320100');
      const clerk = (
        await t.http
          .post('/api/users')
          .set(auth(e.token))
          .send({ username: 'Stopped-Clerk-Mixed', password: 'Clerk-Nanjing-2026' })
          .expect(201)
      ).body;
      await login({ username: 'STOPPED-clerk-mixed', password: 'Clerk-Nanjing-2026' }, '198.51.100.171').expect(200);
      const userBegan = securityClock.now().getTime(); // the username's minute, later than the address's
      for (let i = 0; i < 5; i++)
        expect((await login({ username: 'Stopped-Clerk-Mixed', password: 'Wrong-Password-1!' }, '198.51.100.171')).status).toBe(401);
      const lockedOut = await burst(
        40,
        () => ({ username: 'STOPPED-CLERK-MIXED', password: 'Clerk-Nanjing-2026' }),
        (i) => `198.51.100.${180 + (i % 10)}`,
      );
      expect(lockedOut).toEqual(Array(40).fill(429));

      // still the minute of the refusals: nothing to report yet
      const sweep = () => t.get(AuthService).reportRefusalMinutes();
      await sweep();
      expect(await counted((s) => s.clientIp === ip || s.username === 'stopped-clerk-mixed')).toEqual([]);

      // ended (and a margin for the nodes' clocks): three nodes sweep at once (a race on MariaDB; SQLite runs the three
      // units one after another), one reports each
      // a second past its end, as long as the work above took, but within the margin for the nodes' clocks: not yet
      securityClock.travel(began + 61_000 - securityClock.now().getTime());
      await sweep();
      expect(await counted((s) => s.clientIp === ip)).toEqual([]);
      // past both minutes' ends and the margin, however long the work between them took
      securityClock.travel(Math.max(5_000, userBegan + 67_000 - securityClock.now().getTime()));
      await Promise.all([sweep(), sweep(), sweep()]);
      await sweep();
      expect(await counted((s) => s.clientIp === ip)).toEqual([
        { entityId: '-', subject: 'address', clientIp: ip, window: expect.any(String), refusals: 120 },
      ]);
      expect(await counted((s) => s.username === 'stopped-clerk-mixed')).toEqual([
        { entityId: clerk.id, subject: 'username', username: 'stopped-clerk-mixed', window: expect.any(String), refusals: 40 },
      ]);
      // the next minute's first refusal has nothing left to count
      await exhaust(ip, 'stopped', 1);
      const refusals = await refusalsWhere((s) => s.clientIp === ip);
      expect(refusals).toHaveLength(2);
      expect(refusals[1].previousWindow).toBeUndefined();
      expect(await chainVerifies()).toBe(true);
    });
  });

  describe('two-factor (TOTP)', () => {
    it('an attempt that ends in an error holds no place toward the lockout: the right password and code then log in', async () => {
      const e = await t.registerEnterprise('320100');
      const token = (await t.login(e.username, PASSWORD)).accessToken;
      const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(token)).send({}).expect(200)).body;
      await t.http
        .post('/api/auth/mfa/enable')
        .set(auth(token))
        .send({ otp: totp(secret) })
        .expect(204);
      // A node restarted under another MFA_ENCRYPTION_KEY cannot read the stored secret: its logins end in an error.
      const [{ mfa_secret: stored }] = await t.dataSource.query('SELECT mfa_secret FROM app_user WHERE id = ?', [e.userId]);
      await t.dataSource.query('UPDATE app_user SET mfa_secret = ? WHERE id = ?', ['not-under-this-key', e.userId]);
      for (let i = 0; i < 6; i++) {
        expect((await login({ username: e.username, password: PASSWORD, otp: totp(secret) }, '198.51.100.91')).status).toBe(500);
      }
      await t.dataSource.query('UPDATE app_user SET mfa_secret = ? WHERE id = ?', [stored, e.userId]);
      // the next step's code: the current one was used to enable
      await login({ username: e.username, password: PASSWORD, otp: totp(secret, 1) }, '198.51.100.91').expect(200);
    });

    it('ends the sessions begun with the password alone when two-factor is enabled', async () => {
      const e = await t.registerEnterprise('320100');
      const owner = await t.login(e.username, PASSWORD);
      // Someone else who has the password logged in before its owner enrolled.
      const intruder = await t.login(e.username, PASSWORD);
      const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(owner.accessToken)).send({}).expect(200)).body;
      await t.http.get('/api/vouchers').set(auth(intruder.accessToken)).expect(200);
      // and made a calendar feed, a URL that outlives sessions
      const feed = new URL((await t.http.post('/api/calendar/feed').set(auth(intruder.accessToken)).expect(201)).body.url).pathname;
      await t.http.get(feed).expect(200);
      await t.http
        .post('/api/auth/mfa/enable')
        .set(auth(owner.accessToken))
        .send({ otp: totp(secret) })
        .expect(204);
      expect((await t.http.get('/api/vouchers').set(auth(intruder.accessToken)).expect(401)).body.code).toBe('UNAUTHENTICATED');
      await t.http.post('/api/auth/refresh').send({ refreshToken: intruder.refreshToken }).expect(401);
      await t.http.get(feed).expect(404);
      // The session that gave the code goes on.
      expect((await t.http.get('/api/auth/me').set(auth(owner.accessToken)).expect(200)).body.user.mfaEnabled).toBe(true);
      await t.http.post('/api/auth/refresh').send({ refreshToken: owner.refreshToken }).expect(200);
      await t.get(AuditSealer).sealAll();
      const [enabled] = await t.dataSource.query<{ summary: string }[]>(
        'SELECT summary FROM audit_entry WHERE action = ? AND entity_id = ?',
        ['auth.mfa_enabled', e.userId],
      );
      // the intruder's and the one registration began
      expect(JSON.parse(enabled.summary)).toEqual({ username: e.username, otherSessionsEnded: 2, apiKeysRevoked: 0, webhooksEnded: 0 });
      await t.http.get('/api/vouchers').set(auth(e.token)).expect(401);
    });

    it('a login whose password was being checked while two-factor was enabled, or the password changed, opens no session', async () => {
      const credentials = t.get(Credentials);
      const verify = credentials.verify.bind(credentials);
      /** A login from another client, with `meanwhile` done while its password is hashed. */
      const loginWhile = async (username: string, password: string, meanwhile: () => Promise<unknown>) => {
        const spy = jest.spyOn(credentials, 'verify').mockImplementationOnce(async (hash, given) => {
          const right = await verify(hash, given);
          await meanwhile();
          return right;
        });
        try {
          return await login({ username, password }, '198.51.100.93');
        } finally {
          spy.mockRestore();
        }
      };
      const e = await t.registerEnterprise('320100');
      const owner = await t.login(e.username, PASSWORD);
      const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(owner.accessToken)).send({}).expect(200)).body;
      const enabling = () =>
        t.http
          .post('/api/auth/mfa/enable')
          .set(auth(owner.accessToken))
          .send({ otp: totp(secret) })
          .expect(204);
      expect((await loginWhile(e.username, PASSWORD, enabling)).body.code).toBe('MFA_REQUIRED');

      const p = await t.registerProvider('320500');
      const changing = () =>
        t.http
          .post('/api/auth/password')
          .set(auth(p.token))
          .send({ currentPassword: PASSWORD, newPassword: 'Changed-Meanwhile-2026' })
          .expect(204);
      expect((await loginWhile(p.username, PASSWORD, changing)).status).toBe(401);
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM session WHERE user_id IN (?, ?) AND revoked_at IS NULL', [
        e.userId,
        p.userId,
      ]);
      expect(Number(n)).toBe(2); // the owner's and the changer's own
    });

    it('a calendar feed asked for by a session that two-factor ended meanwhile is not made', async () => {
      const e = await t.registerEnterprise('320100');
      const owner = await t.login(e.username, PASSWORD);
      const intruder = await t.login(e.username, PASSWORD);
      const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(owner.accessToken)).send({}).expect(200)).body;
      const sessions = t.get(SessionRepository);
      const state = sessions.state.bind(sessions);
      // The intruder's request is let in with its session live; the owner enables two-factor before the feed is made.
      const spy = jest.spyOn(sessions, 'state').mockImplementationOnce(async (id) => {
        const live = await state(id);
        await t.http
          .post('/api/auth/mfa/enable')
          .set(auth(owner.accessToken))
          .send({ otp: totp(secret) })
          .expect(204);
        return live;
      });
      try {
        expect((await t.http.post('/api/calendar/feed').set(auth(intruder.accessToken))).status).toBe(401);
      } finally {
        spy.mockRestore();
      }
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM calendar_feed WHERE user_id = ?', [e.userId]);
      expect(Number(n)).toBe(0);
    });

    it('enrols with a secret and a first code; then login needs the code, refuses a wrong or replayed one', async () => {
      const e = await t.registerEnterprise('320100');
      const token = (await t.login(e.username, PASSWORD)).accessToken;
      const setup = (await t.http.post('/api/auth/mfa/setup').set(auth(token)).send({}).expect(200)).body;
      expect(setup).toEqual({ secret: expect.stringMatching(/^[A-Z2-7]{32,}$/), otpauthUrl: expect.stringMatching(/^otpauth:\/\/totp\//) });
      expect((await t.http.post('/api/auth/mfa/enable').set(auth(token)).send({ otp: '000000' }).expect(401)).body.code).toBe(
        'MFA_INVALID',
      );
      await t.http
        .post('/api/auth/mfa/enable')
        .set(auth(token))
        .send({ otp: totp(setup.secret) })
        .expect(204);
      expect((await t.http.post('/api/auth/mfa/setup').set(auth(token)).send({}).expect(409)).body.code).toBe('INVALID_STATE');

      expect((await login({ username: e.username, password: PASSWORD }).expect(401)).body.code).toBe('MFA_REQUIRED');
      // The right password without its code is audited: a stolen password confirmed this way is seen.
      await t.get(AuditSealer).sealAll();
      const incomplete = await t.dataSource.query<{ summary: string }[]>(
        'SELECT summary FROM audit_entry WHERE action = ? AND entity_id = ?',
        ['auth.login_incomplete', e.userId],
      );
      expect(incomplete.map((r) => JSON.parse(r.summary))).toEqual([
        expect.objectContaining({ username: e.username, reason: 'MFA_REQUIRED' }),
      ]);
      expect((await login({ username: e.username, password: PASSWORD, otp: '123456' }).expect(401)).body.code).toBe('MFA_INVALID');
      securityClock.travel(31_000);
      const code = totp(setup.secret);
      const ok = await login({ username: e.username, password: PASSWORD, otp: code }).expect(200);
      expect(ok.body.user.mfaEnabled).toBe(true);
      // The same code twice is a replay.
      expect((await login({ username: e.username, password: PASSWORD, otp: code }).expect(401)).body.code).toBe('MFA_INVALID');
      expect((await login({ username: e.username, password: 'Wrong-Password-1!', otp: totp(setup.secret, 1) }).expect(401)).body.code).toBe(
        'UNAUTHENTICATED',
      );
    });
  });

  describe('staff accounts', () => {
    it('makes the registering user its organization’s admin, who creates users of the same organization', async () => {
      const p = await t.registerProvider('330100');
      const me = (await t.http.get('/api/auth/me').set(auth(p.token)).expect(200)).body.user;
      expect(me).toMatchObject({ admin: true, role: 'provider', organizationId: p.organizationId });
      const created = await t.http
        .post('/api/users')
        .set(auth(p.token))
        .send({ username: 'zj-lab-clerk', password: 'Clerk-Hangzhou-2026', email: 'clerk@lab.example.cn' })
        .expect(201);
      expect(created.body).toMatchObject({
        role: 'provider',
        organizationId: p.organizationId,
        admin: false,
        email: 'clerk@lab.example.cn',
      });
      for (const email of ['"boss@other.example.cn"@lab.example.cn', '<boss@other.example.cn>', '职员@lab.example.cn']) {
        const refused = await t.http
          .post('/api/users')
          .set(auth(p.token))
          .send({ username: 'zj-lab-clerk-2', password: 'Clerk-Hangzhou-2026', email })
          .expect(400);
        expect(refused.body.message).toContain('email');
      }
      const clerk = (await t.login('zj-lab-clerk', 'Clerk-Hangzhou-2026')).accessToken;
      expect((await t.http.get('/api/users').set(auth(clerk)).expect(403)).body.code).toBe('FORBIDDEN');
      expect(
        (await t.http.get('/api/users').set(auth(p.token)).expect(200)).body.items.map((u: { username: string }) => u.username),
      ).toEqual([p.username, 'zj-lab-clerk']);
      // The clerk acts for the lab: it lists the lab's facilities like the admin does.
      await t.http
        .post('/api/facilities')
        .set(auth(clerk))
        .send({ name: '拉曼光谱 机时', category: 'testing', unit: 'hour', unitPriceFen: 30_000 })
        .expect(201);
    });

    it('scopes a bureau admin to its region: the second reviewer it creates is a bureau user of the same region', async () => {
      const admin = await t.as('bureau-js');
      const created = (
        await t.http.post('/api/users').set(admin).send({ username: 'js-reviewer-2', password: 'Review-Jiangsu-2026' }).expect(201)
      ).body;
      expect(created).toMatchObject({ role: 'bureau', regionCode: '320000', admin: false });
      const names = (await t.http.get('/api/users').set(admin).expect(200)).body.items.map((u: { username: string }) => u.username);
      expect(names).toEqual(expect.arrayContaining(['bureau-js', 'bureau-js-2', 'js-reviewer-2']));
      expect(names).not.toContain('bureau-ah');
      // Another bureau's user does not exist for it.
      await t.http
        .post(`/api/users/${created.id}/disable`)
        .set(await t.as('bureau-ah'))
        .expect(404);
      // A non-admin reviewer manages nobody.
      expect(
        (
          await t.http
            .post('/api/users')
            .set(await t.as('bureau-js-2'))
            .send({ username: 'x-y-z', password: 'Review-Jiangsu-2026' })
        ).status,
      ).toBe(403);
    });

    it('a bureau account one admin makes waits for a second person: no login until the platform (or another admin) activates it', async () => {
      const admin = await t.as('bureau-ah');
      const puppet = { username: 'ah-second-pair', password: 'Second-Pair-Anhui-2026' };
      const made = (
        await t.http
          .post('/api/users')
          .set(admin)
          .send({ ...puppet, admin: true })
          .expect(201)
      ).body;
      expect(made).toMatchObject({ role: 'bureau', regionCode: '340000', awaitsActivation: true });
      // Its maker alone cannot make it the second person of maker-checker: no session, and no activation by the maker.
      const waiting = await login(puppet, '198.51.100.61').set('Accept-Language', 'zh-CN').expect(403);
      expect(waiting.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('激活') });
      expect((await t.http.post(`/api/users/${made.id}/activate`).set(admin).expect(403)).body.code).toBe('FORBIDDEN');
      // The platform finds it among the accounts waiting for a second person, with its maker; its maker does not, nor
      // another province's bureau; a user who is not an admin, or an enterprise, is refused.
      const awaiting = async (who: string) =>
        (
          await t.http
            .get('/api/users/awaiting-activation')
            .set(await t.as(who))
            .expect(200)
        ).body.items.map((u: { id: string }) => u.id);
      const waitingForPlatform = (
        await t.http
          .get('/api/users/awaiting-activation')
          .set(await t.as('platform'))
          .expect(200)
      ).body;
      expect(waitingForPlatform.items).toContainEqual(
        expect.objectContaining({
          id: made.id,
          username: puppet.username,
          regionCode: '340000',
          madeBy: 'bureau-ah',
          awaitsActivation: true,
        }),
      );
      expect(waitingForPlatform.total).toBe(waitingForPlatform.items.length);
      expect(await awaiting('bureau-ah')).not.toContain(made.id);
      expect(await awaiting('bureau-sh')).not.toContain(made.id);
      await t.http
        .get('/api/users/awaiting-activation')
        .set(await t.as('bureau-ah-2'))
        .expect(403);
      await t.http
        .get('/api/users/awaiting-activation')
        .set(auth((await t.registerProvider('310100')).token))
        .expect(403);
      await t.http
        .post(`/api/users/${made.id}/activate`)
        .set(await t.as('bureau-sh'))
        .expect(404);
      await t.http
        .post(`/api/users/${made.id}/activate`)
        .set(await t.as('bureau-ah-2'))
        .expect(403); // not an admin
      const activated = (
        await t.http
          .post(`/api/users/${made.id}/activate`)
          .set(await t.as('platform'))
          .expect(200)
      ).body;
      expect(activated).toMatchObject({ id: made.id, awaitsActivation: false, awaitsSetup: true, setupCode: expect.any(String) });
      // Until its holder uses the code, it stays on the list, with when the code stops working; the code is not shown.
      const stillWaiting = (
        await t.http
          .get('/api/users/awaiting-activation')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items.find((u: { id: string }) => u.id === made.id);
      expect(stillWaiting).toMatchObject({ awaitsActivation: false, awaitsSetup: true, setupCodeExpiresAt: activated.setupCodeExpiresAt });
      expect(stillWaiting.setupCode).toBeUndefined();
      // The password its maker chose opens nothing: the holder sets one with the code the activator hands over.
      const maker = await login(puppet, '198.51.100.61').set('Accept-Language', 'zh-CN').expect(403);
      expect(maker.body.message).toContain('设置码');
      const setup = (setupCode: string, newPassword = 'Holder-Own-Pass-2026') =>
        t.http.post('/api/auth/setup').set('X-Forwarded-For', '198.51.100.62').send({ username: puppet.username, setupCode, newPassword });
      expect((await setup('not-the-code').expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await setup(activated.setupCode, 'weakpass').expect(400)).body.code).toBe('WEAK_PASSWORD');
      // Asked again before its holder set a password, the activator gets a new code; the old one stops working.
      const renewed = (
        await t.http
          .post(`/api/users/${made.id}/activate`)
          .set(await t.as('platform'))
          .expect(200)
      ).body;
      expect(renewed.setupCode).not.toBe(activated.setupCode);
      await setup(activated.setupCode).expect(401);
      await setup(renewed.setupCode).expect(204);
      await setup(renewed.setupCode).expect(401); // spent
      expect(await awaiting('platform')).not.toContain(made.id);
      await t.http
        .post(`/api/users/${made.id}/activate`)
        .set(await t.as('platform'))
        .expect(409);
      await login(puppet, '198.51.100.61').expect(401);
      const holder = (await login({ ...puppet, password: 'Holder-Own-Pass-2026' }, '198.51.100.61').expect(200)).body.accessToken;
      expect(holder).toEqual(expect.any(String));
      // Now a second admin of the bureau, it makes an account that the first admin finds waiting for it.
      const third = (
        await t.http.post('/api/users').set(auth(holder)).send({ username: 'ah-third', password: 'Third-Person-Anhui-2026' }).expect(201)
      ).body;
      const forFirstAdmin = (await t.http.get('/api/users/awaiting-activation').set(admin).expect(200)).body.items;
      expect(forFirstAdmin).toContainEqual(expect.objectContaining({ id: third.id, madeBy: puppet.username, awaitsActivation: true }));
      expect(forFirstAdmin.filter((u: { madeBy: string }) => u.madeBy === 'bureau-ah')).toEqual([]);
      const audit = await t.http
        .get(`/api/audit?entityType=user&entityId=${made.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['user.created', 'user.activated', 'user.setup_code_renewed', 'auth.setup_completed', 'auth.login']),
      );
      expect(JSON.stringify(audit.body)).not.toContain(renewed.setupCode);
      // Organizations' accounts need no second person: their staff do not approve or pay public money.
      const lab = await t.registerProvider('330100');
      const clerk = (await t.http.post('/api/users').set(auth(lab.token)).send({ username: 'zj-clerk-2', password: PASSWORD }).expect(201))
        .body;
      expect(clerk.awaitsActivation).toBe(false);
    });

    it('a deployment from zero: the operator makes the platform’s and a province’s first two admins, who set their own passwords', async () => {
      // With NODE_ENV=production nothing else makes a first staff account, nor the second platform admin who activates the next.
      const first = t.get(FirstAdmins);
      const ops = await first.make('ops-platform-2', 'platform', 'ops@yrd.example.cn');
      expect(ops).toMatchObject({ role: 'platform', regionCode: null, setupCode: expect.any(String) });
      await login({ username: 'ops-platform-2', password: DEMO_PASSWORD }, '198.51.100.90').expect(401);
      const setup = (username: string, setupCode: string) =>
        t.http
          .post('/api/auth/setup')
          .set('X-Forwarded-For', '198.51.100.90')
          .send({ username, setupCode, newPassword: 'Ops-Own-Pass-2026!' });
      await setup('ops-platform-2', ops.setupCode).expect(204);
      const opsToken = (await login({ username: 'ops-platform-2', password: 'Ops-Own-Pass-2026!' }, '198.51.100.90').expect(200)).body
        .accessToken;
      // Now the platform has a second person: an account one platform admin makes, the other activates.
      const colleague = (
        await t.http
          .post('/api/users')
          .set(await t.as('platform'))
          .send({ username: 'ops-platform-3', password: 'Maker-Chose-This-2026' })
          .expect(201)
      ).body;
      await t.http.post(`/api/users/${colleague.id}/activate`).set(auth(opsToken)).expect(200);
      // Two admins run a group; the command makes no third, no city's (its province's admins make those), no second username.
      await expect(first.make('ops-platform-4', 'platform')).rejects.toThrow(/2 admins who sign in already/);
      // Of two platform admins, one whose sign-in the other reset waits for a third to issue its code: the command makes one.
      await t.http
        .post(`/api/users/${ops.id}/reset-sign-in`)
        .set(await t.as('platform'))
        .expect(200);
      await t.http
        .post(`/api/users/${ops.id}/activate`)
        .set(await t.as('platform'))
        .expect(403);
      const third = await first.make('ops-platform-4', 'platform');
      await setup('ops-platform-4', third.setupCode).expect(204);
      const thirdToken = (await login({ username: 'ops-platform-4', password: 'Ops-Own-Pass-2026!' }, '198.51.100.90').expect(200)).body
        .accessToken;
      expect((await t.http.post(`/api/users/${ops.id}/activate`).set(auth(thirdToken)).expect(200)).body.setupCode).toEqual(
        expect.any(String),
      );
      await expect(first.make('hefei-first', '340100')).rejects.toThrow(/province/);
      await expect(first.make('zj first', '330000')).rejects.toThrow(/username/);
      await expect(first.make('zj-first', '330000', 'not-an-address')).rejects.toThrow(/e-mail/);
      const zj = await first.make('zj-first-admin', '330000');
      expect(zj).toMatchObject({ role: 'bureau', regionCode: '330000' });
      await expect(first.make('ZJ-first-admin', '330000')).rejects.toMatchObject({ code: 'DUPLICATE' });
      await setup('zj-first-admin', zj.setupCode).expect(204);
      await setup('zj-first-admin', zj.setupCode).expect(401); // spent
      const audit = (await t.http.get(`/api/audit?entityType=user&entityId=${zj.id}`).set(auth(thirdToken)).expect(200)).body;
      expect(audit.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['user.created', 'user.first_admin_made', 'auth.setup_completed']),
      );
      expect(JSON.stringify(audit)).not.toContain(zj.setupCode);
    });

    /** A bureau account of Jiangsu waiting for its holder, and the setup code its activator was handed. */
    const awaitingSetup = (username: string) => activatedBureauAccount(t, 'bureau-js', username);
    const setupAs = (username: string, setupCode: string, ip: string) =>
      t.http.post('/api/auth/setup').set('X-Forwarded-For', ip).send({ username, setupCode, newPassword: 'Holder-Own-Pass-2026' });

    /** Holds every new password's hashing until `n` requests are hashing, so that they all found the code unused. */
    const hashingTogether = (n: number) => {
      const credentials = t.get(Credentials);
      const hash = credentials.hash.bind(credentials);
      let arrived = 0;
      let release!: () => void;
      const all = new Promise<void>((resolve) => (release = resolve));
      return jest.spyOn(credentials, 'hash').mockImplementation(async (password) => {
        if (++arrived === n) release();
        await all;
        return hash(password);
      });
    };

    it('two setups with the same code at once: one sets the password, the other counts as a failure, not a success', async () => {
      const username = 'js-setup-race';
      const { id, setupCode } = await awaitingSetup(username);
      const ip = '198.51.100.170';
      for (let i = 0; i < 3; i++) await setupAs(username, `wrong-code-${i}`, ip).expect(401);
      const spy = hashingTogether(2);
      let answers;
      try {
        answers = await Promise.all([setupAs(username, setupCode, ip), setupAs(username, setupCode, '198.51.100.171')]);
      } finally {
        spy.mockRestore();
      }
      expect(answers.map((a) => a.status).sort()).toEqual([204, 401]);
      expect(answers.find((a) => a.status === 401)!.body.code).toBe('UNAUTHENTICATED');
      // The success forgot the three wrong codes; the spent one is one failure: four wrong passwords more lock.
      for (let i = 0; i < 4; i++) await login({ username, password: `Wrong-${i}-Password!` }, ip).expect(401);
      expect((await login({ username, password: 'Holder-Own-Pass-2026' }, ip).expect(429)).body.code).toBe('LOGIN_LOCKED');
      const actions = (
        await t.http
          .get(`/api/audit?entityType=user&entityId=${id}&limit=100`)
          .set(await t.as('platform'))
          .expect(200)
      ).body.items.map((a: { action: string }) => a.action);
      expect(actions.filter((a: string) => a === 'auth.setup_completed')).toHaveLength(1);
      expect(actions.filter((a: string) => a === 'auth.login_failed')).toHaveLength(3 + 1 + 4);
    });

    it('a setup code that expires while its new password is hashed sets nothing and counts as a failure', async () => {
      const username = 'js-setup-late';
      const { setupCode } = await awaitingSetup(username);
      const ip = '198.51.100.172';
      const credentials = t.get(Credentials);
      const hash = credentials.hash.bind(credentials);
      const spy = jest.spyOn(credentials, 'hash').mockImplementation(async (password) => {
        securityClock.travel(73 * 3_600_000); // past the code's 72 hours
        return hash(password);
      });
      try {
        expect((await setupAs(username, setupCode, ip).expect(401)).body.code).toBe('UNAUTHENTICATED');
      } finally {
        spy.mockRestore();
      }
      await login({ username, password: 'Maker-Chose-This-2026' }, ip).expect(403); // still awaiting its setup
      for (let i = 0; i < 4; i++) await setupAs(username, `wrong-code-${i}`, ip).expect(401);
      // with the expired code's, five failures within the window: locked
      expect((await setupAs(username, setupCode, ip).expect(429)).body.code).toBe('LOGIN_LOCKED');
    });

    it('refuses weak passwords, taken usernames, and an admin disabling itself', async () => {
      const admin = await t.as('bureau-zj');
      for (const password of ['aaaaaaaaaa', 'Short1!', 'bureau-zj-new-Pass1', 'Password123!']) {
        const res = await t.http.post('/api/users').set(admin).send({ username: 'bureau-zj-new', password }).expect(400);
        expect(res.body.code).toBe('WEAK_PASSWORD');
      }
      expect(
        (await t.http.post('/api/users').set(admin).send({ username: 'bureau-sh', password: 'Strong-Pass-2026!' }).expect(409)).body.code,
      ).toBe('DUPLICATE');
      // another case is the same name to whoever reads it, on every database
      await t.http.post('/api/users').set(admin).send({ username: 'Bureau-SH-2', password: 'Strong-Pass-2026!' }).expect(409);
      const self = (await t.http.get('/api/auth/me').set(admin).expect(200)).body.user.id;
      expect((await t.http.post(`/api/users/${self}/disable`).set(admin).expect(409)).body.code).toBe('INVALID_STATE');
    });

    it('refuses registration with a weak password, naming the rule', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({
          username: 'weak-reg',
          password: 'aaaaaaaaaa',
          role: 'enterprise',
          organization: { name: '弱口令公司', creditCode: creditCodeIn('340100') },
        })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'WEAK_PASSWORD', message: expect.stringContaining('password') });
    });
  });
});

describeRaces('two admins disabling each other at once', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  it('one of them wins; the organization always keeps an enabled admin', async () => {
    for (let round = 0; round < 12; round++) {
      const a = await t.registerEnterprise('320100');
      const b = (
        await t.http
          .post('/api/users')
          .set(auth(a.token))
          .send({ username: `second-admin-${round}-${a.userId.slice(-6)}`, password: 'Second-Admin-2026', admin: true })
          .expect(201)
      ).body;
      const bToken = (await t.login(b.username, 'Second-Admin-2026')).accessToken;
      const answers = await Promise.all([
        t.http.post(`/api/users/${b.id}/disable`).set(auth(a.token)),
        t.http.post(`/api/users/${a.userId}/disable`).set(auth(bToken)),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
      const rows = await t.dataSource.query<{ disabled_at: string | null }[]>(
        'SELECT disabled_at FROM app_user WHERE organization_id = ? AND admin = 1',
        [a.organizationId],
      );
      expect(rows.filter((r) => r.disabled_at === null)).toHaveLength(1);
    }
  });
});
