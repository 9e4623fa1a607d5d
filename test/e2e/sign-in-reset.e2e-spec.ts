import { AuditSealer } from '../../src/audit/audit-sealer';
import { ApiKeyRepository } from '../../src/api-keys/api-key.repository';
import { Credentials } from '../../src/auth/credentials';
import { UserRepository } from '../../src/auth/user.repository';
import { activatedBureauAccount } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { until } from '../support/service-process';
import { SmtpSink } from '../support/smtp-sink';
import { auth, OrgSession, PASSWORD, TestApp } from '../support/test-app';
import { totp } from '../support/totp';

const NEW_PASSWORD = 'Owner-Back-In-2026';

/**
 * An admin resets a user's sign-in (a forgotten password, a lost phone, or two-factor enrolled by someone who had the
 * password), and a person hears by mail of what was done to their account: two-factor enabled, the password changed, the
 * sign-in reset.
 */
describe('resetting a user’s sign-in, and telling the owner what was done to the account', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let ip = 10;
  // Each request from an address of its own (X-Forwarded-For, trusted here as behind a proxy), so limits do not mix.
  const from = () => `198.51.100.${ip++}`;
  const login = (body: object) => t.http.post('/api/auth/login').set('X-Forwarded-For', from()).send(body);
  const setup = (username: string, setupCode: string, newPassword = NEW_PASSWORD) =>
    t.http.post('/api/auth/setup').set('X-Forwarded-For', from()).send({ username, setupCode, newPassword });
  const reset = (token: string | { Authorization: string }, id: string) =>
    t.http.post(`/api/users/${id}/reset-sign-in`).set(typeof token === 'string' ? auth(token) : token);
  const mailTo = (address: string, subject: string) =>
    until(`a mail to ${address}: ${subject}`, () => smtp.mails.find((m) => m.to.includes(address) && m.subject.includes(subject)), 20_000);
  /**
   * The notices about the user's own account: its organization's (its verification, its admission) reach the colleagues
   * it has when their events are numbered, which may be after a colleague was added.
   */
  const ACCOUNT_KINDS = ['mfa_enabled', 'password_changed', 'sign_in_reset', 'api_key_created', 'webhook_subscribed'];
  const notices = async (token: string) =>
    (
      (await t.http.get('/api/notifications').set(auth(token)).expect(200)).body.items as { kind: string; title: string; body: string }[]
    ).filter((n) => ACCOUNT_KINDS.includes(n.kind));

  /** A colleague the organization's admin adds, with an e-mail address; logged in. */
  const colleague = async (admin: OrgSession, name: string, extra: object = {}) => {
    const username = `${name}-${admin.userId.slice(-6)}`;
    const email = `${username}@sme.example.cn`;
    const made = (await t.addUser(admin.token, { username, password: PASSWORD, email, ...extra })).body;
    return { id: made.id as string, username, email, session: await t.login(username, PASSWORD) };
  };

  /** A second platform admin as the seed would make one (the platform has one seeded admin). */
  const secondPlatformAdmin = async (username: string, id: string) => {
    await t.dataSource.query(
      `INSERT INTO app_user (id, username, password_hash, role, organization_id, region_code, created_at, admin, email, disabled_at, mfa_secret,
         mfa_enabled_at, mfa_last_step, password_changed_at, created_by, activated_at, setup_code_hash, setup_code_expires_at, sign_in_reset_by)
       SELECT ?, ?, password_hash, role, NULL, NULL, created_at, admin, NULL, NULL, NULL, NULL, NULL, NULL, NULL, activated_at, NULL, NULL, NULL
       FROM app_user WHERE username = 'platform'`,
      [id, username],
    );
    return id;
  };

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '100', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('an intruder who enrols two-factor with the password locks the owner out; the owner hears of it, the admin resets, the owner alone gets back in', async () => {
    const admin = await t.registerEnterprise('340100');
    const owner = await colleague(admin, 'finance', { admin: true });
    // Someone else who has the password logs in, makes a calendar feed and enrols two-factor: the owner's session ends.
    const intruder = await t.login(owner.username, PASSWORD);
    const feed = new URL((await t.http.post('/api/calendar/feed').set(auth(intruder.accessToken)).expect(201)).body.url).pathname;
    const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(intruder.accessToken)).expect(200)).body;
    await t.http
      .post('/api/auth/mfa/enable')
      .set(auth(intruder.accessToken))
      .send({ otp: totp(secret) })
      .expect(204);
    await t.http.get('/api/auth/me').set(auth(owner.session.accessToken)).expect(401);
    // Enrolled, it makes (the account being an admin's) an API key with a webhook of its own, and one of the session's
    const key = (await t.http.post('/api/api-keys').set(auth(intruder.accessToken)).send({ name: 'sync' }).expect(201)).body.key;
    await t.http
      .post('/api/webhooks')
      .set(auth(key))
      .send({ url: 'https://192.0.2.1/hooks/a', events: ['voucher.issued'] })
      .expect(201);
    await t.http
      .post('/api/webhooks')
      .set(auth(intruder.accessToken))
      .send({ url: 'https://192.0.2.1/hooks/b', events: ['voucher.issued'] })
      .expect(201);
    expect((await login({ username: owner.username, password: PASSWORD }).expect(401)).body.code).toBe('MFA_REQUIRED');
    // The owner hears of it by mail, with what to do.
    const enrolled = await mailTo(owner.email, '两步验证');
    expect(enrolled.subject).toBe('【长三角科技创新券】您的账号已启用两步验证');
    expect(enrolled.text).toContain(`您好，${owner.username}：`);
    expect(enrolled.text).toContain('如非本人操作，说明他人已知悉您的密码：请立即联系本单位管理员重置您的登录');

    // The admin resets the owner's sign-in and is handed a one-time code, once.
    const answer = (await reset(admin.token, owner.id).expect(200)).body;
    expect(answer).toMatchObject({
      id: owner.id,
      username: owner.username,
      mfaEnabled: false,
      awaitsSetup: true,
      apiKeysRevoked: 1,
      webhooksEnded: 2,
    });
    expect(answer.setupCode).toEqual(expect.any(String));
    expect(Date.parse(answer.setupCodeExpiresAt) - Date.now()).toBeGreaterThan(71 * 3_600_000);
    // Every session of the account ended, the intruder's too, and the feed it made; the password opens nothing now.
    await t.http.get('/api/auth/me').set(auth(intruder.accessToken)).expect(401);
    await t.http.post('/api/auth/refresh').send({ refreshToken: intruder.refreshToken }).expect(401);
    await t.http.get(feed).expect(404);
    await t.http.get('/api/vouchers').set(auth(key)).expect(401);
    expect((await t.http.get('/api/webhooks').set(auth(admin.token)).expect(200)).body.items).toEqual([]);
    // The old password is gone: it checks like any wrong one (and counts toward the lockout), two-factor code or not.
    await login({ username: owner.username, password: PASSWORD, otp: totp(secret, 1) }).expect(401);
    // The owner sets a new password with the code: the code is spent, two-factor is off, the new password logs in.
    await setup(owner.username, 'not-the-code').expect(401);
    await setup(owner.username, answer.setupCode).expect(204);
    await setup(owner.username, answer.setupCode, 'Another-One-2026!').expect(401);
    await login({ username: owner.username, password: PASSWORD }).expect(401);
    const back = (await login({ username: owner.username, password: NEW_PASSWORD }).expect(200)).body.accessToken;
    expect((await t.http.get('/api/auth/me').set(auth(back)).expect(200)).body.user.mfaEnabled).toBe(false);
    // The reset is in the app and in the mail, naming the admin; the enrolment's notice too.
    const resetMail = await mailTo(owner.email, '重置');
    expect(resetMail.subject).toBe('【长三角科技创新券】您的账号登录已由管理员重置');
    expect(resetMail.text).toContain(`管理员 ${admin.username} 已于`);
    expect(resetMail.text).toContain('请凭管理员交给您的一次性设置码设置新密码');
    // the enrolment, the reset, and the password the code set (were it not the owner who set it)
    expect((await notices(back)).map((n) => n.kind)).toEqual([
      'password_changed',
      'sign_in_reset',
      'webhook_subscribed',
      'webhook_subscribed',
      'api_key_created',
      'mfa_enabled',
    ]);
    // Audited, without the code.
    await t.get(AuditSealer).sealAll();
    const entries = (
      await t.http
        .get(`/api/audit?entityType=user&entityId=${owner.id}`)
        .set(await t.as('platform'))
        .expect(200)
    ).body.items as { action: string; summary: Record<string, unknown> }[];
    expect(entries.find((e) => e.action === 'user.sign_in_reset')?.summary).toEqual({
      username: owner.username,
      sessionsEnded: 1,
      twoFactorWasOn: true,
      apiKeysRevoked: 1,
      webhooksEnded: 2,
      setupCodesVoided: 0,
      secondPerson: false,
    });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.mfa_enabled', 'auth.setup_completed']));
    const [revoked] = await t.dataSource.query<{ summary: string }[]>(
      'SELECT summary FROM audit_entry WHERE action = ? AND organization_id = ?',
      ['api_key.revoked', admin.organizationId],
    );
    expect(JSON.parse(revoked.summary)).toMatchObject({ name: 'sync', cause: 'user.sign_in_reset' });
    expect(JSON.stringify(entries)).not.toContain(answer.setupCode);
  });

  it('a reset asked for again replaces the code; a password change tells its owner too', async () => {
    const admin = await t.registerProvider('320100');
    const clerk = await colleague(admin, 'clerk');
    const first = (await reset(admin.token, clerk.id).expect(200)).body.setupCode;
    const second = (await reset(admin.token, clerk.id).expect(200)).body.setupCode;
    expect(second).not.toBe(first);
    await setup(clerk.username, first).expect(401);
    await setup(clerk.username, second).expect(204);
    const session = (await login({ username: clerk.username, password: NEW_PASSWORD }).expect(200)).body.accessToken;
    await t.http
      .post('/api/auth/password')
      .set(auth(session))
      .set('X-Forwarded-For', from())
      .send({ currentPassword: NEW_PASSWORD, newPassword: 'Changed-Again-2026' })
      .expect(204);
    const changed = await mailTo(clerk.email, '密码');
    expect(changed.subject).toBe('【长三角科技创新券】您的登录密码已修改');
    expect(changed.text).toContain('如非本人操作，请立即联系本单位管理员重置您的登录。');
    // two resets, the password the code set, and the change
    expect((await notices(session)).map((n) => n.kind)).toEqual(['password_changed', 'password_changed', 'sign_in_reset', 'sign_in_reset']);
  });

  it('a password change, or two-factor enabled, ends the API keys and webhooks the user made with the old password; the user is told', async () => {
    const admin = await t.registerEnterprise('340100');
    const owner = await colleague(admin, 'it-admin', { admin: true });
    // Whoever holds the password makes a key, a webhook with it and one of the session's; the organization's other
    // admin has a key and a webhook of its own.
    const intruder = await t.login(owner.username, PASSWORD);
    const makeKey = async (token: string) =>
      (await t.http.post('/api/api-keys').set(auth(token)).send({ name: 'sync' }).expect(201)).body.key as string;
    const subscribe = (token: string, path: string) =>
      t.http
        .post('/api/webhooks')
        .set(auth(token))
        .send({ url: `https://192.0.2.1/hooks/${path}`, events: ['voucher.issued'] })
        .expect(201);
    const stolenKey = await makeKey(intruder.accessToken);
    await subscribe(stolenKey, 'by-key');
    await subscribe(intruder.accessToken, 'by-session');
    const othersKey = await makeKey(admin.token);
    await subscribe(admin.token, 'other-admin');
    const webhooks = async () =>
      ((await t.http.get('/api/webhooks').set(auth(admin.token)).expect(200)).body.items as { url: string }[]).map((w) => w.url).sort();
    expect(await webhooks()).toHaveLength(3);
    // The owner hears of each at once, in the app and by mail: the key, and the subscriptions (that the key's says so).
    const made = await notices(owner.session.accessToken);
    expect(made.map((n) => n.kind)).toEqual(['webhook_subscribed', 'webhook_subscribed', 'api_key_created']);
    expect(made[2].body).toContain(`创建 API 密钥“sync”（${stolenKey.slice(0, 12)}…，可读写），持有者可代表本单位调用接口`);
    expect(made[1].body).toContain('您的账号通过其创建的 API 密钥已于');
    // the receiver by its origin: a path or query may hold its token
    expect(made[1].body).toContain('新增 Webhook 订阅：本单位的 voucher.issued 事件将发送至 https://192.0.2.1 上的地址。');
    expect(made[0].body).toMatch(/^您好，[^\n]+：\n\n您的账号已于 .+新增 Webhook 订阅：/);
    expect(made.map((n) => n.body).join()).not.toContain('/hooks/');
    expect((await mailTo(owner.email, 'API 密钥')).text).toContain('如非本人操作，说明他人已知悉您的密码：请立即修改密码');

    const session = owner.session.accessToken;
    await t.http
      .post('/api/auth/password')
      .set(auth(session))
      .set('X-Forwarded-For', from())
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    expect((await t.http.get('/api/events').set(auth(stolenKey)).expect(401)).body.code).toBe('UNAUTHENTICATED');
    await t.http.get('/api/events').set(auth(othersKey)).expect(200);
    expect(await webhooks()).toEqual(['https://192.0.2.1/hooks/other-admin']);
    const [changed] = await notices(session);
    expect(changed.kind).toBe('password_changed');
    expect(changed.body).toContain(
      '其他会话均已结束。您创建的 API 密钥（1 个）和 Webhook 订阅（2 个）也已一并停用；如仍需要，请重新创建。',
    );
    await t.get(AuditSealer).sealAll();
    const [audited] = await t.dataSource.query<{ summary: string }[]>(
      'SELECT summary FROM audit_entry WHERE action = ? AND entity_id = ?',
      ['auth.password_changed', owner.id],
    );
    expect(JSON.parse(audited.summary)).toMatchObject({ otherSessionsEnded: 1, apiKeysRevoked: 1, webhooksEnded: 2 });
    const causes = await t.dataSource.query<{ action: string; summary: string }[]>(
      'SELECT action, summary FROM audit_entry WHERE action IN (?, ?) AND organization_id = ?',
      ['api_key.revoked', 'webhook.deleted', admin.organizationId],
    );
    expect(causes.map((c) => [c.action, JSON.parse(c.summary).cause]).sort()).toEqual([
      ['api_key.revoked', 'auth.password_changed'],
      ['webhook.deleted', 'auth.password_changed'],
      ['webhook.deleted', 'auth.password_changed'],
    ]);

    // A key made after the change lives until two-factor is enabled, which ends it too; with nothing made, nothing is said.
    const laterKey = await makeKey(session);
    const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(session)).expect(200)).body;
    await t.http
      .post('/api/auth/mfa/enable')
      .set(auth(session))
      .send({ otp: totp(secret) })
      .expect(204);
    await t.http.get('/api/events').set(auth(laterKey)).expect(401);
    const [enrolled] = await notices(session);
    expect(enrolled.kind).toBe('mfa_enabled');
    expect(enrolled.body).toContain('您创建的 API 密钥（1 个）和 Webhook 订阅（0 个）也已一并停用');
    const bare = await colleague(admin, 'no-keys');
    await t.http
      .post('/api/auth/password')
      .set(auth(bare.session.accessToken))
      .set('X-Forwarded-For', from())
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    const [plain] = await notices(bare.session.accessToken);
    expect(plain.body).toContain('其他会话均已结束。\n\n如非本人操作');
  });

  it('a code issued by an admin who is then reset, or disabled, stops working: whoever held that admin may hold it', async () => {
    const a = await t.registerEnterprise('320200');
    const b = await colleague(a, 'deputy', { admin: true });
    const [c1, c2, c3] = [await colleague(a, 'clerk-1'), await colleague(a, 'clerk-2'), await colleague(a, 'clerk-3')];
    const code1 = (await reset(a.token, c1.id).expect(200)).body.setupCode;
    const code2 = (await reset(a.token, c2.id).expect(200)).body.setupCode;
    await setup(c1.username, code1).expect(204); // used before: stays used
    const answer = (await reset(b.session.accessToken, a.userId).expect(200)).body;
    expect(answer.setupCode).toEqual(expect.any(String));
    await setup(c2.username, code2).expect(401);
    await login({ username: c1.username, password: NEW_PASSWORD }).expect(200);
    // the deputy hands a new one over; the same for a disabled issuer
    const again = (await reset(b.session.accessToken, c2.id).expect(200)).body.setupCode;
    const code3 = (await reset(b.session.accessToken, c3.id).expect(200)).body.setupCode;
    await t.http.post(`/api/users/${b.id}/disable`).set(auth(a.token)).expect(401); // a's session ended with its reset
    await setup(a.username, answer.setupCode, 'Owner-Admin-Back-2026').expect(204);
    const aBack = (await login({ username: a.username, password: 'Owner-Admin-Back-2026' }).expect(200)).body.accessToken;
    await t.http.post(`/api/users/${b.id}/disable`).set(auth(aBack)).expect(200);
    await setup(c2.username, again).expect(401);
    await setup(c3.username, code3).expect(401);
    await t.get(AuditSealer).sealAll();
    const [disabled] = await t.dataSource.query<{ summary: string }[]>(
      'SELECT summary FROM audit_entry WHERE action = ? AND entity_id = ?',
      ['user.disabled', b.id],
    );
    expect(JSON.parse(disabled.summary)).toMatchObject({ setupCodesVoided: 2 });
  });

  it('a bureau account’s new code comes from a second person, never from the admin who reset it', async () => {
    // a bureau user of Zhejiang, made by one admin, activated by the platform, set up by its holder
    const made = await activatedBureauAccount(t, 'bureau-zj', 'zj-reviewer-reset');
    await setup('zj-reviewer-reset', made.setupCode).expect(204);
    const holder = (await login({ username: 'zj-reviewer-reset', password: NEW_PASSWORD }).expect(200)).body.accessToken;
    // Reset by the platform this time (bureau-zj made it): no code is answered.
    const answer = (await reset(await t.as('platform'), made.id).expect(200)).body;
    expect(answer).toMatchObject({ id: made.id, awaitsSetup: true });
    expect(answer.setupCode).toBeUndefined();
    await t.http.get('/api/auth/me').set(auth(holder)).expect(401);
    await login({ username: 'zj-reviewer-reset', password: NEW_PASSWORD }).expect(401);
    // The resetting admin does not issue its code; the maker neither; the account waits for a second person.
    expect(
      (
        await t.http
          .post(`/api/users/${made.id}/activate`)
          .set(await t.as('platform'))
          .expect(403)
      ).body.message,
    ).toContain('reset');
    await t.http
      .post(`/api/users/${made.id}/activate`)
      .set(await t.as('bureau-zj'))
      .expect(403);
    const waiting = async (who: string) =>
      (
        await t.http
          .get('/api/users/awaiting-activation')
          .set(await t.as(who))
          .expect(200)
      ).body.items.find((u: { id: string }) => u.id === made.id);
    expect(await waiting('platform')).toBeUndefined();
    // A seeded account (made by no one) reset by bureau-zj waits for the platform, named as reset by bureau-zj.
    const seeded = (
      await t.http
        .get('/api/users')
        .set(await t.as('bureau-zj'))
        .expect(200)
    ).body.items.find((u: { username: string }) => u.username === 'bureau-zj-2');
    expect((await reset(await t.as('bureau-zj'), seeded.id).expect(200)).body.setupCode).toBeUndefined();
    expect(await waiting('bureau-zj')).toBeUndefined();
    const listed = (
      await t.http
        .get('/api/users/awaiting-activation')
        .set(await t.as('platform'))
        .expect(200)
    ).body.items.find((u: { id: string }) => u.id === seeded.id);
    expect(listed).toMatchObject({ username: 'bureau-zj-2', madeBy: null, signInResetBy: 'bureau-zj', awaitsSetup: true });
    await t.http
      .post(`/api/users/${seeded.id}/activate`)
      .set(await t.as('bureau-zj'))
      .expect(403);
    const issued = (
      await t.http
        .post(`/api/users/${seeded.id}/activate`)
        .set(await t.as('platform'))
        .expect(200)
    ).body;
    expect(issued).toMatchObject({ id: seeded.id, setupCode: expect.any(String) });
    await setup('bureau-zj-2', issued.setupCode, 'Zhejiang-Second-2026').expect(204);
    await login({ username: 'bureau-zj-2', password: 'Zhejiang-Second-2026' }).expect(200);
  });

  it('a platform account too: made by one platform admin, activated by another; reset by one, its code issued by another', async () => {
    const platform = await t.as('platform');
    const opsId = await secondPlatformAdmin('platform-ops', '0193a2b4-5c6d-7e8f-9a0b-000000000001');
    const ops = await t.as('platform-ops');
    const made = (
      await t.http
        .post('/api/users')
        .set(platform)
        .send({ username: 'platform-audit', password: 'Maker-Chose-This-2026', admin: true })
        .expect(201)
    ).body;
    expect(made).toMatchObject({ role: 'platform', awaitsActivation: true });
    await login({ username: 'platform-audit', password: 'Maker-Chose-This-2026' }).expect(403);
    await t.http.post(`/api/users/${made.id}/activate`).set(platform).expect(403);
    await t.http
      .post(`/api/users/${made.id}/activate`)
      .set(await t.as('bureau-sh'))
      .expect(404);
    const { setupCode } = (await t.http.post(`/api/users/${made.id}/activate`).set(ops).expect(200)).body;
    await setup('platform-audit', setupCode).expect(204);
    const audit = auth((await login({ username: 'platform-audit', password: NEW_PASSWORD }).expect(200)).body.accessToken);
    // Reset by one platform admin, a platform account waits for another to issue its code.
    const answer = (await reset(platform, opsId).expect(200)).body;
    expect(answer.setupCode).toBeUndefined();
    await t.http.post(`/api/users/${opsId}/activate`).set(platform).expect(403);
    const waiting = (await t.http.get('/api/users/awaiting-activation').set(audit).expect(200)).body.items;
    expect(waiting).toContainEqual(expect.objectContaining({ id: opsId, madeBy: null, signInResetBy: 'platform', awaitsSetup: true }));
    expect(waiting.find((u: { id: string }) => u.id === opsId).setupCodeExpiresAt).toBeUndefined();
    const issued = (await t.http.post(`/api/users/${opsId}/activate`).set(audit).expect(200)).body;
    await setup('platform-ops', issued.setupCode, 'Operations-Back-2026!').expect(204);
  });

  it('who may reset: an admin of the group, or a platform admin; not a user who is not an admin, another group’s admin or itself', async () => {
    const admin = await t.registerEnterprise('310100');
    const clerk = await colleague(admin, 'staff');
    const other = await t.registerEnterprise('310100');
    expect((await reset(clerk.session.accessToken, admin.userId).expect(403)).body.code).toBe('FORBIDDEN');
    expect((await reset(other.token, clerk.id).expect(404)).body.code).toBe('NOT_FOUND');
    await reset(await t.as('bureau-sh'), clerk.id).expect(404);
    const self = await reset(admin.token, admin.userId).set('Accept-Language', 'zh-CN').expect(409);
    expect(self.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('不能重置自己的登录') });
    await reset(admin.token, '00000000-0000-4000-8000-000000000000').expect(404);
    // a disabled user has no sign-in to reset
    await t.http.post(`/api/users/${clerk.id}/disable`).set(auth(admin.token)).expect(200);
    expect((await reset(admin.token, clerk.id).expect(409)).body.message).toContain('disabled');
    // An enterprise whose only admin is locked out has the platform (its code issued by another platform admin, below).
    expect((await reset(await t.as('platform'), admin.userId).expect(200)).body.setupCode).toBeUndefined();
    await t.http.get('/api/auth/me').set(auth(admin.token)).expect(401);
    // A bureau account never activated has no sign-in to reset.
    const unactivated = (
      await t.http
        .post('/api/users')
        .set(await t.as('bureau-sh'))
        .send({ username: 'sh-never-activated', password: 'Maker-Chose-This-2026' })
        .expect(201)
    ).body;
    expect((await reset(await t.as('platform'), unactivated.id).expect(409)).body.message).toContain('never activated');
  });

  it('an organization’s user a platform admin reset gets its code from another platform admin: no platform admin alone takes over a lab', async () => {
    const lab = await t.registerProvider('310100');
    const platform = await t.as('platform');
    await secondPlatformAdmin('platform-desk', '0193a2b4-5c6d-7e8f-9a0b-000000000002');
    const desk = await t.as('platform-desk');
    const activate = (token: { Authorization: string }) => t.http.post(`/api/users/${lab.userId}/activate`).set(token);
    const answer = (await reset(platform, lab.userId).expect(200)).body;
    expect(answer).toMatchObject({ id: lab.userId, awaitsSetup: true });
    expect(answer.setupCode).toBeUndefined();
    await t.http.get('/api/auth/me').set(auth(lab.token)).expect(401);
    // Not the admin who reset it, nor a bureau; the other platform admin sees it waiting, named as reset by the first.
    const self = await activate(platform).set('Accept-Language', 'zh-CN').expect(403);
    expect(self.body.message).toBe('重置账号登录的管理员不能签发其新设置码：须由另一人签发');
    await activate(await t.as('bureau-sh')).expect(404);
    const waitingFor = async (token: { Authorization: string }) =>
      ((await t.http.get('/api/users/awaiting-activation?limit=100').set(token).expect(200)).body.items as { id: string }[]).find(
        (u) => u.id === lab.userId,
      );
    expect(await waitingFor(platform)).toBeUndefined();
    expect(await waitingFor(desk)).toMatchObject({ signInResetBy: 'platform', awaitsSetup: true, role: 'provider' });
    const issued = (await activate(desk).expect(200)).body;
    expect(issued.setupCode).toEqual(expect.any(String));
    await setup(lab.username, issued.setupCode).expect(204);
    const labToken = (await login({ username: lab.username, password: NEW_PASSWORD }).expect(200)).body.accessToken;
    expect(await waitingFor(desk)).toBeUndefined();
    // The lab hears that the platform reset it, not which of its people: a platform admin's username told to any lab or
    // enterprise would let it lock that admin out (five wrong passwords) whenever it liked.
    const told = (await notices(labToken)).find((n) => n.kind === 'sign_in_reset')!;
    expect(told.body).toContain('平台管理员已于');
    expect(told.body).not.toMatch(/platform/);
    expect(told.body).toContain('请凭另一位管理员签发的一次性设置码设置新密码');
    // An organization's own admin still gets its user's code, and no platform admin issues one for it.
    const other = await t.registerEnterprise('320100');
    const clerk = await colleague(other, 'clerk');
    expect((await reset(other.token, clerk.id).expect(200)).body.setupCode).toEqual(expect.any(String));
    await t.http.post(`/api/users/${clerk.id}/activate`).set(desk).expect(404);
  });

  it('a login whose password was being checked while its sign-in was reset opens no session', async () => {
    const admin = await t.registerEnterprise('330100');
    const clerk = await colleague(admin, 'late');
    const credentials = t.get(Credentials);
    const verify = credentials.verify.bind(credentials);
    const spy = jest.spyOn(credentials, 'verify').mockImplementationOnce(async (hash, given) => {
      const right = await verify(hash, given);
      await reset(admin.token, clerk.id).expect(200);
      return right;
    });
    try {
      expect((await login({ username: clerk.username, password: PASSWORD })).status).toBe(401);
    } finally {
      spy.mockRestore();
    }
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM session WHERE user_id = ? AND revoked_at IS NULL', [clerk.id]);
    expect(Number(n)).toBe(0);
  });
});

describeRaces('sign-in resets racing the requests of the user they reset', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  /** An admin of a new enterprise and a second admin of it, signed in: the one whose sign-in is reset. */
  const twoAdmins = async (name: string) => {
    const a = await t.registerEnterprise('320100');
    const b = (
      await t.http
        .post('/api/users')
        .set(auth(a.token))
        .send({ username: `${name}-${a.userId.slice(-6)}`, password: 'Second-Admin-2026', admin: true })
        .expect(201)
    ).body;
    return { a, b, bToken: auth((await t.login(b.username, 'Second-Admin-2026')).accessToken) };
  };

  it('two admins resetting each other at once: one wins, the other finds its session ended, the organization keeps an admin', async () => {
    for (let round = 0; round < 12; round++) {
      const { a, b, bToken } = await twoAdmins(`reset-admin-${round}`);
      const answers = await Promise.all([
        t.http.post(`/api/users/${b.id}/reset-sign-in`).set(auth(a.token)),
        t.http.post(`/api/users/${a.userId}/reset-sign-in`).set(bToken),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
      const rows = await t.dataSource.query<{ setup_code_hash: string | null }[]>(
        'SELECT setup_code_hash FROM app_user WHERE organization_id = ? AND admin = 1',
        [a.organizationId],
      );
      expect(rows.filter((r) => r.setup_code_hash === null)).toHaveLength(1);
    }
  });

  // On a database server only: the reset runs while the request's unit has begun, which SQLite's one writer would queue.
  it('an API key or webhook asked for by a session that a reset ends meanwhile is not made', async () => {
    const keys = t.get(ApiKeyRepository);
    const stillActs = keys.stillActs.bind(keys);
    for (const [path, body] of [
      ['/api/api-keys', { name: 'late' }],
      ['/api/webhooks', { url: 'https://192.0.2.1/late', events: ['voucher.issued'] }],
    ] as const) {
      const { a, b, bToken } = await twoAdmins('late-maker');
      const spy = jest.spyOn(keys, 'stillActs').mockImplementationOnce(async (actor) => {
        await t.http.post(`/api/users/${b.id}/reset-sign-in`).set(auth(a.token)).expect(200);
        return stillActs(actor);
      });
      try {
        await t.http.post(path).set(bToken).send(body).expect(401);
      } finally {
        spy.mockRestore();
      }
      const [made] = await t.dataSource.query(
        `SELECT (SELECT COUNT(*) FROM api_key WHERE created_by = ?) + (SELECT COUNT(*) FROM webhook_subscription WHERE created_by = ?) AS n`,
        [b.id, b.id],
      );
      expect(Number(made.n)).toBe(0);
    }
  });

  it('a two-factor secret asked for by a session that a reset ends meanwhile is not stored', async () => {
    const users = t.get(UserRepository);
    const lock = users.lock.bind(users);
    const { a, b, bToken } = await twoAdmins('late-enrol');
    const spy = jest.spyOn(users, 'lock').mockImplementationOnce(async (id) => {
      await t.http.post(`/api/users/${b.id}/reset-sign-in`).set(auth(a.token)).expect(200);
      return lock(id);
    });
    try {
      await t.http.post('/api/auth/mfa/setup').set(bToken).expect(401);
    } finally {
      spy.mockRestore();
    }
    const [user] = await t.dataSource.query('SELECT mfa_secret FROM app_user WHERE id = ?', [b.id]);
    expect(user.mfa_secret).toBeNull();
  });
});
