import { beijingDate, clock, DAY_MS, securityClock } from '../../src/common/clock';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sweeps } from '../../src/common/sweeps';
import { formatDate } from '../../src/documents/drawing';
import { zhDateTime } from '../../src/common/i18n/messages';
import { MailWorker } from '../../src/notifications/mail-worker';
import { Notifier } from '../../src/notifications/notifier';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { until } from '../support/service-process';
import { SmtpSink } from '../support/smtp-sink';
import { auth, isMaria, OrgSession, PASSWORD, TestApp } from '../support/test-app';

/**
 * An enterprise registered and verified, once its verification notice is made: its recipients are the users it has when
 * the event is numbered, so colleagues added after this are not told of it (nor mailed), whatever the timing.
 */
async function verifiedEnterprise(t: TestApp, region: string): Promise<OrgSession> {
  const enterprise = await t.registerEnterprise(region);
  await until('the verification told', async () => {
    const items = (await t.http.get('/api/notifications').set(auth(enterprise.token)).expect(200)).body.items as { kind: string }[];
    return items.some((n) => n.kind === 'enterprise_verified') ? true : undefined;
  });
  return enterprise;
}

describe('notifications: in the app, and by mail through SMTP', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let enterprise: OrgSession;
  let provider: OrgSession;
  let enterpriseStaff: string;
  let providerStaff: string;
  let facilityId: string;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '100' });
    await openRegion(t, '340000', { budgetFen: 1_000_000 });
    [enterprise, provider] = await Promise.all([t.registerEnterprise('340100'), t.registerProvider('340100')]);
    // each organization's admin adds a colleague with an e-mail address
    const colleague = async (admin: OrgSession, email: string) => {
      const username = `${admin.username}-staff`;
      await t.addUser(admin.token, { username, password: PASSWORD, email });
      return (await t.login(username, PASSWORD)).accessToken;
    };
    enterpriseStaff = await colleague(enterprise, 'finance@sme.example.cn');
    providerStaff = await colleague(provider, 'billing@lab.example.cn');
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** The user's notifications, newest first, through the typed client. */
  const list = async (token: string, query: { unread?: boolean } = {}) => {
    const { data, response } = await (await t.client(token)).GET('/api/notifications', { params: { query } });
    expect(response.status).toBe(200);
    return data!.items;
  };
  const markRead = async (token: string, id: string) =>
    (await t.client(token)).POST('/api/notifications/{id}/read', { params: { path: { id } } });
  const mailTo = (address: string, subject: string) =>
    until(`a mail to ${address}: ${subject}`, () => smtp.mails.find((m) => m.to.includes(address) && m.subject.includes(subject)), 20_000);

  it('tells the enterprise its application was decided, by mail with a Chinese subject, and the bureau its budget is below 10%', async () => {
    const { serial } = await issueVoucher(t, enterprise.token, 950_000);
    const mail = await mailTo('finance@sme.example.cn', '申请');
    expect(mail.subject).toBe('【长三角科技创新券】您的创新券申请获批准');
    expect(mail.text).toContain(
      `您于 ${formatDate(clock.today())} 提交的科技创新券申请（申请金额 ¥9,500.00）已获批准，核定金额 ¥9,500.00，券号 ${serial}。`,
    );
    expect(mail.text).toContain(`enterprise ${enterprise.username}`);
    expect(mail.text.trimEnd().endsWith('（本邮件由系统自动发送，请勿直接回复。）')).toBe(true);
    // the admin has no e-mail address: in the app only, and nothing there says it was mailed
    const [mine] = await list(enterprise.token);
    expect(mine).toMatchObject({ kind: 'application_decided', title: mail.subject, emailStatus: 'none', readAt: null });
    expect(mine.body).not.toContain('邮件');
    expect((await list(enterpriseStaff))[0]).toMatchObject({ kind: 'application_decided', emailStatus: 'sent' });
    // 50,000 of 1,000,000 fen left: below 10%
    const bureau = await until('the budget notice', async () =>
      (await list(await t.token('bureau-ah'))).find((n) => n.kind === 'budget_low'),
    );
    expect(bureau.title).toBe('【长三角科技创新券】安徽省 ' + clock.year() + ' 年度预算余额不足 10%');
    expect(bureau.body).toContain('当前可用 ¥500.00');
    expect(bureau.body).not.toContain('邮件');
  });

  it('tells the provider its claim was decided and its settlement paid', async () => {
    const voucher = (await t.http.get('/api/vouchers').set(auth(enterprise.token)).expect(200)).body.items[0];
    facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(provider.token))
        .send({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
        .expect(201)
    ).body.id;
    const hold = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: voucher.id, facilityId, quantity: 2 })
      .expect(201);
    await captureConfirmed(t, provider.token, enterprise.token, hold.body.id, 2);
    const claim = await t.http
      .post('/api/claims')
      .set(auth(provider.token))
      .send({ redemptionIds: [hold.body.id], evidence: freshEvidence() })
      .expect(201);
    const bureau = await t.token('bureau-ah');
    await t.http.post(`/api/claims/${claim.body.id}/approve`).set(auth(bureau)).send({}).expect(200);
    const decided = await mailTo('billing@lab.example.cn', '兑付申报');
    expect(decided.subject).toBe('【长三角科技创新券】您的兑付申报获批准');
    expect(decided.text).toContain(
      `您于 ${formatDate(clock.today())} 提交的创新券兑付申报（申报金额 ¥200.00）已获批准，核定金额 ¥200.00。`,
    );
    const settlement = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: '340000' }).expect(201);
    await paySettlement(t, '340000', settlement.body.id, 'TREASURY-2026-0042');
    const paid = await mailTo('billing@lab.example.cn', '结算款');
    expect(paid.subject).toBe('【长三角科技创新券】结算款已支付：¥200.00');
    expect(paid.text).toContain('安徽省科学技术厅已支付本期创新券结算款 ¥200.00（支付凭证号 TREASURY-2026-0042）');
    expect(paid.text).toContain('如有疑问，请联系安徽省科学技术厅');
    expect(paid.text).not.toContain('主管部门');
    expect((await list(provider.token)).map((n) => n.kind).sort()).toEqual(['claim_decided', 'provider_admitted', 'settlement_paid']);
  });

  it('warns of a hold expiring within a day and a voucher expiring within 30 days, once however often the sweep runs', async () => {
    const voucher = (await t.http.get('/api/vouchers').set(auth(enterprise.token)).expect(200)).body.items[0];
    await t.http.post('/api/redemptions').set(auth(enterprise.token)).send({ voucherId: voucher.id, facilityId, quantity: 1 }).expect(201);
    const notifier = t.get(Notifier);
    expect(await notifier.expiring()).toBe(0);
    clock.travel(29.5 * DAY_MS); // the hold expires 30 days after it was placed
    await notifier.expiring();
    const hold = await mailTo('finance@sme.example.cn', '冻结额度');
    expect(hold.subject).toBe('【长三角科技创新券】服务预约的冻结额度将于 24 小时内到期');
    expect(hold.text).toContain('扫描电镜机时');
    expect(hold.text).toMatch(/将于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（北京时间）到期。到期前未核销的，冻结额度将自动释放。/);
    clock.travel(310 * DAY_MS); // the voucher is valid for 365 days
    await notifier.expiring();
    const expiring = await mailTo('finance@sme.example.cn', voucher.serial);
    expect(expiring.subject).toBe(`【长三角科技创新券】创新券 ${voucher.serial} 将于 ${formatDate(voucher.validUntil)} 到期`);
    expect(expiring.text).not.toMatch(/\d{4}-\d\d-\d\d/);
    await notifier.expiring();
    await notifier.expiring();
    const kinds = (await list(enterpriseStaff)).map((n) => n.kind);
    expect(kinds.filter((k) => k === 'voucher_expiring')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'hold_expiring')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    const toStaff = smtp.mails.filter((m) => m.to.includes('finance@sme.example.cn'));
    expect(toStaff.filter((m) => m.subject.includes(voucher.serial))).toHaveLength(1);
    expect(toStaff.filter((m) => m.subject.includes('冻结额度'))).toHaveLength(1);
  });

  it('marks a notification read for its user only; another user’s is 404', async () => {
    const [first] = await list(enterpriseStaff);
    const read = await markRead(enterpriseStaff, first.id);
    expect(read.response.status).toBe(200);
    expect(read.data!.readAt).not.toBeNull();
    expect((await list(enterpriseStaff, { unread: true })).map((n) => n.id)).not.toContain(first.id);
    expect((await markRead(enterprise.token, first.id)).response.status).toBe(404);
    expect((await markRead(providerStaff, first.id)).response.status).toBe(404);
    // not a boolean: a value the typed client would not send
    expect((await t.http.get('/api/notifications?unread=maybe').set(auth(enterpriseStaff))).status).toBe(400);
    // pages: newest first, one at a time, the total of all (or of the unread) beside each page
    const page = async (query: string) => (await t.http.get(`/api/notifications?${query}`).set(auth(enterpriseStaff)).expect(200)).body;
    const all = await page('limit=500');
    expect(all.total).toBe(all.items.length);
    expect(all.total).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < all.total; i++) {
      const one = await page(`limit=1&offset=${i}`);
      expect(one).toMatchObject({ total: all.total, items: [{ id: all.items[i].id }] });
    }
    expect((await page(`limit=1&offset=${all.total}`)).items).toEqual([]);
    expect((await page('unread=true&limit=1')).total).toBe(all.total - 1);
    expect((await t.http.get('/api/notifications?limit=0').set(auth(enterpriseStaff))).status).toBe(400);
    expect((await t.http.get('/api/notifications?limit=501').set(auth(enterpriseStaff))).status).toBe(400);
    expect((await t.http.get('/api/notifications?offset=-1').set(auth(enterpriseStaff))).status).toBe(400);
  });

  it('tells every user of a payee of a change of its bank account asked for, then confirmed or rejected by its bureau, masked, by mail too; other profile changes tell no one', async () => {
    const profile = (body: Record<string, unknown>) =>
      t.http.patch(`/api/organizations/${provider.organizationId}`).set(auth(provider.token)).send(body).expect(200);
    const bureau = await t.token('bureau-ah');
    const decide = (path: string, body: object = {}) =>
      t.http.post(`/api/organizations/${provider.organizationId}/bank-account/${path}`).set(auth(bureau)).send(body).expect(200);
    await profile({ contactPerson: '李老师' });
    await profile({ bankName: '招商银行上海张江支行', bankAccount: '6214 8321 0000 5432' });
    const asked = await mailTo('billing@lab.example.cn', '贵单位申请变更收款银行账户，待主管部门确认');
    // from the account it is paid into so far (every test payee has one on file) to the one asked for, which waits
    expect(asked.text).toMatch(/由 中国工商银行合肥科技支行 \*{4} \*{4} \d{4} 变更为 招商银行上海张江支行 \*{4} \*{4} 5432/);
    expect(asked.text).toContain('须经合肥市科学技术局或安徽省科学技术厅确认后生效');
    expect(asked.text).not.toContain('6214832100005432');
    await decide('confirm');
    const confirmed = await mailTo('billing@lab.example.cn', '贵单位的收款银行账户变更已确认');
    expect(confirmed.text).toContain('→ 招商银行上海张江支行 **** **** 5432');
    await profile({ bankAccount: '6214 8321 0000 9876' });
    await decide('reject', { reason: '开户许可证与所填账户不符' });
    const rejected = await mailTo('billing@lab.example.cn', '贵单位的收款银行账户变更未获确认');
    expect(rejected.text).toContain('驳回理由：开户许可证与所填账户不符。');
    expect(rejected.text).toContain('收款账户仍为 招商银行上海张江支行 **** **** 5432');
    const told = async (token: string) =>
      (await list(token)).filter((n) => n.kind.startsWith('bank_account_change')).map((n) => n.kind as string);
    for (const token of [provider.token, providerStaff]) {
      const kinds = await until('every step told', async () => {
        const k = await told(token);
        return k.length === 4 ? k : undefined;
      });
      expect([...kinds].sort()).toEqual([
        'bank_account_change_confirmed',
        'bank_account_change_rejected',
        'bank_account_change_requested',
        'bank_account_change_requested',
      ]);
    }
    expect(await told(enterprise.token)).toEqual([]);
  });

  it('lets a person have routine kinds told in the app only, its own choice alone; security notices are mailed whatever it chooses', async () => {
    const prefs = (token: string) => t.http.get('/api/notifications/preferences').set(auth(token));
    const choose = (token: string, mailOff: unknown) =>
      t.http.put('/api/notifications/preferences').set(auth(token)).set('Accept-Language', 'zh-CN').send({ mailOff });
    expect((await prefs(enterpriseStaff).expect(200)).body).toEqual({
      mailOff: [],
      alwaysMailed: expect.arrayContaining(['password_changed', 'sign_in_reset', 'api_key_created', 'bank_account_changed']),
    });
    // a security notice cannot be turned off, nor an unknown kind named
    const refused = await choose(enterpriseStaff, ['application_decided', 'password_changed']).expect(400);
    expect(refused.body.message).toContain('mailOff');
    await choose(enterpriseStaff, ['no_such_kind']).expect(400);
    await choose(enterpriseStaff, 'application_decided').expect(400);
    expect((await choose(enterpriseStaff, ['application_decided', 'voucher_expiring']).expect(200)).body.mailOff).toEqual([
      'application_decided',
      'voucher_expiring',
    ]);
    // a colleague with an address and no choice of its own is still mailed
    const colleague = `${enterprise.username}-staff2`;
    await t.addUser(enterprise.token, { username: colleague, password: PASSWORD, email: 'ceo@sme.example.cn' });
    const colleagueToken = (await t.login(colleague, PASSWORD)).accessToken;
    expect((await prefs(colleagueToken).expect(200)).body.mailOff).toEqual([]);
    const before = smtp.mails.length;
    // the clock has moved on to another budget year
    await t.http
      .put(`/api/budgets/340000/${clock.year()}`)
      .set(auth(await t.token('bureau-ah')))
      .send({ totalFen: 1_000_000_000 })
      .expect(200);
    await issueVoucher(t, enterprise.token, 10_000);
    await mailTo('ceo@sme.example.cn', '申请');
    const latest = async (token: string) => (await list(token)).find((n) => n.kind === 'application_decided' && n.body.includes('¥100.00'));
    expect(await latest(colleagueToken)).toMatchObject({ emailStatus: 'sent' });
    // in the app, not mailed
    expect(await latest(enterpriseStaff)).toMatchObject({ emailStatus: 'none' });
    // a security notice is mailed all the same
    await t.http
      .post('/api/auth/password')
      .set(auth(enterpriseStaff))
      .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD}x` })
      .expect(204);
    await mailTo('finance@sme.example.cn', '登录密码已修改');
    const sinceChoice = smtp.mails.slice(before).filter((m) => m.to.includes('finance@sme.example.cn'));
    expect(sinceChoice.map((m) => m.subject)).toEqual(['【长三角科技创新券】您的登录密码已修改']);
    // twelve changes at once (two devices, a double click): each is answered, and one of them is what remains
    const lists = Array.from({ length: 12 }, (_, i) => (i % 2 ? ['budget_low', 'hold_expiring'] : ['claim_decided']));
    const answers = await Promise.all(lists.map((l) => choose(enterpriseStaff, l)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect([['budget_low', 'hold_expiring'], ['claim_decided']]).toContainEqual((await prefs(enterpriseStaff).expect(200)).body.mailOff);
    // [] mails every kind again; an API key, which has no mailbox, has no preferences
    expect((await choose(enterpriseStaff, []).expect(200)).body.mailOff).toEqual([]);
    const key = (await t.http.post('/api/api-keys').set(auth(enterprise.token)).send({ name: '省级平台' }).expect(201)).body.key;
    await prefs(key).expect(403);
    await choose(key, []).expect(403);
  });

  /** The 8-digit code of the newest code mail to the address (mailed only: never in the app). */
  const codeMailed = async (address: string, after = 0) => {
    const mail = await until(`a code mailed to ${address}`, () =>
      smtp.mails.slice(after).find((m) => m.to.includes(address) && m.subject.includes('邮箱验证码')),
    );
    return /验证码 (\d{8})/.exec(mail.text)![1];
  };

  it('mails an address only once its holder confirmed it with the code mailed to it; a wrong code is refused', async () => {
    const address = 'clerk@confirm.example.cn';
    const username = `${enterprise.username}-clerk`;
    // given by its admin: unconfirmed, and mailed a code
    const made = await t.http
      .post('/api/users')
      .set(auth(enterprise.token))
      .send({ username, password: PASSWORD, email: address })
      .expect(201);
    expect(made.body).toMatchObject({ email: address, emailVerified: false });
    const code = await codeMailed(address);
    // the outbox keeps no code once it is mailed (only its hash, on the account)
    const kept = await until('the code mail finished', async () => {
      const rows: { body: string; email_status: string }[] = await t.dataSource.query(
        `SELECT body, email_status FROM notification WHERE kind = 'email_code' AND email_to = ?`,
        [address],
      );
      return rows[0]?.email_status === 'sent' ? rows[0] : undefined;
    });
    expect(kept.body).not.toContain(code);
    const clerk = (await t.login(username, PASSWORD)).accessToken;
    expect((await list(clerk)).map((n) => n.kind)).not.toContain('email_code');
    // its own security notice: in the app, not mailed
    await t.http
      .post('/api/auth/password')
      .set(auth(clerk))
      .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD}y` })
      .expect(204);
    expect((await list(clerk))[0]).toMatchObject({ kind: 'password_changed', emailStatus: 'unverified' });
    const wrong = await t.http
      .post('/api/auth/email/verify')
      .set(auth(clerk))
      .send({ code: code === '00000000' ? '00000001' : '00000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('code') });
    // confirmed: mailed from now on
    const confirmed = await t.http.post('/api/auth/email/verify').set(auth(clerk)).send({ code }).expect(200);
    expect(confirmed.body).toMatchObject({ email: address, emailVerified: true });
    expect((await t.http.get('/api/auth/me').set(auth(clerk)).expect(200)).body.user.emailVerified).toBe(true);
    await t.http.post('/api/auth/email/code').set(auth(clerk)).send({}).expect(409);
    await t.http
      .post('/api/auth/password')
      .set(auth(clerk))
      .send({ currentPassword: `${PASSWORD}y`, newPassword: `${PASSWORD}z` })
      .expect(204);
    await mailTo(address, '登录密码已修改');
    expect(smtp.mails.filter((m) => m.to.includes(address)).map((m) => m.subject)).toEqual([
      '【长三角科技创新券】邮箱验证码',
      '【长三角科技创新券】您的登录密码已修改',
    ]);
  });

  it('changes the address only with the current password: 400 without it, a wrong one 401 and counted toward the lockout; an API key never', async () => {
    const username = `${provider.username}-stepup`;
    await t.addUser(provider.token, { username, password: PASSWORD, email: 'own@stepup.example.cn' });
    // whoever holds a stolen access token cannot send the account's security mail elsewhere
    const stolen = (await t.login(username, PASSWORD)).accessToken;
    const put = (body: object) =>
      t.http
        .put('/api/auth/email')
        .set(auth(stolen))
        .send({ email: 'thief@stepup.example.cn', ...body });
    const missing = await put({}).expect(400);
    expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('currentPassword') });
    expect((await put({}).set('Accept-Language', 'zh-CN').expect(400)).body.message).toContain('currentPassword');
    expect((await put({ currentPassword: 'Wrong-Password-1' }).expect(401)).body).toEqual({
      statusCode: 401,
      code: 'UNAUTHENTICATED',
      message: 'currentPassword is wrong',
    });
    const zh = await put({ currentPassword: 'Wrong-Password-2' }).set('Accept-Language', 'zh-CN').expect(401);
    expect(zh.body.message).toBe('当前密码（currentPassword）不正确');
    for (let i = 3; i <= 5; i++) await put({ currentPassword: `Wrong-Password-${i}` }).expect(401);
    // the fifth wrong password locked the username, as five wrong logins or password changes do: the right one waits
    expect((await put({ currentPassword: PASSWORD }).expect(429)).body.code).toBe('LOGIN_LOCKED');
    expect((await t.http.post('/api/auth/login').send({ username, password: PASSWORD })).body.code).toBe('LOGIN_LOCKED');
    expect((await t.http.get('/api/auth/me').set(auth(stolen)).expect(200)).body.user.email).toBe('own@stepup.example.cn');
    // an API key has no account of its own, password or not
    const key = (await t.http.post('/api/api-keys').set(auth(provider.token)).send({ name: 'ERP' }).expect(201)).body.key;
    const byKey = await t.http.put('/api/auth/email').set(auth(key)).send({ email: 'erp@stepup.example.cn', currentPassword: PASSWORD });
    expect(byKey.status).toBe(403);
    expect(byKey.body.code).toBe('FORBIDDEN');
  });

  it('tells the old confirmed address of a change, mails the new one a code, and throttles wrong codes and codes sent', async () => {
    const username = `${provider.username}-moving`;
    await t.addUser(provider.token, { username, password: PASSWORD, email: 'old@moving.example.cn' });
    const mover = (await t.login(username, PASSWORD)).accessToken;
    const before = smtp.mails.length;
    const changed = await t.http
      .put('/api/auth/email')
      .set(auth(mover))
      .send({ email: 'new@moving.example.cn', currentPassword: PASSWORD })
      .expect(200);
    expect(changed.body).toMatchObject({ email: 'new@moving.example.cn', emailVerified: false });
    const notice = await mailTo('old@moving.example.cn', '通知邮箱已更改');
    expect(notice.text).toContain('old@moving.example.cn 更改为 new@moving.example.cn');
    const first = await codeMailed('new@moving.example.cn', before);
    expect((await list(mover))[0]).toMatchObject({ kind: 'email_changed', emailStatus: 'sent' });
    // five wrong codes: the fifth voids the code and refuses codes for 15 minutes, the right one too
    // each with a key of its own: a keyed refusal is committed work, its wrong code counted all the same
    const verify = (code: string) =>
      t.http
        .post('/api/auth/email/verify')
        .set({ ...auth(mover), 'Idempotency-Key': `verify-${Math.random()}` })
        .send({ code });
    const wrong = first === '99999999' ? '99999998' : '99999999';
    for (let i = 0; i < 4; i++) expect((await verify(wrong)).status).toBe(400);
    const locked = await verify(wrong);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await verify(first)).status).toBe(429);
    securityClock.travel(16 * 60_000);
    try {
      expect((await verify(first)).status).toBe(400); // void
      // new codes: the change was the day's first, four more, then 429
      const codeMails = () => smtp.mails.slice(before).filter((m) => m.to.includes('new@moving.example.cn')).length;
      for (let i = 0; i < 3; i++) await t.http.post('/api/auth/email/code').set(auth(mover)).send({}).expect(200);
      await until('four codes mailed', () => (codeMails() === 4 ? true : undefined));
      const sent = smtp.mails.length;
      const resent = await t.http.post('/api/auth/email/code').set(auth(mover)).send({}).expect(200);
      expect(resent.body).toMatchObject({ email: 'new@moving.example.cn', codeExpiresAt: expect.any(String) });
      const last = await codeMailed('new@moving.example.cn', sent);
      const limited = await t.http.post('/api/auth/email/code').set(auth(mover)).send({});
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect((await verify(last).expect(200)).body.emailVerified).toBe(true);
    } finally {
      securityClock.reset();
    }
  });
});

describe('notifications: a voucher revoked, a provider suspended and admitted again, a sanction recorded', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let enterprise: OrgSession;
  let lab: OrgSession;
  let controlled: OrgSession;
  let bystanders: OrgSession[];
  let enterpriseStaff: string;
  let labStaff: string;
  const staffIds: string[] = [];
  const KINDS = ['voucher_revoked', 'provider_suspended', 'provider_reinstated', 'sanction_recorded'];

  beforeAll(async () => {
    clock.reset();
    smtp = await SmtpSink.start();
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '100' });
    await openRegion(t, '340100'); // Hefei issues its own vouchers
    [enterprise, lab] = await Promise.all([t.registerEnterprise('340100'), t.registerProvider('320500')]);
    // a company the enterprise controls, and an enterprise and a lab with nothing to do with any of it
    controlled = await t.registerEnterprise('340100', { controllerCreditCode: enterprise.creditCode });
    bystanders = await Promise.all([t.registerEnterprise('340100'), t.registerProvider('320500')]);
    const colleague = async (admin: OrgSession, email: string) => {
      const username = `${admin.username}-staff`;
      const user = await t.addUser(admin.token, { username, password: PASSWORD, email });
      staffIds.push(user.body.id);
      return (await t.login(username, PASSWORD)).accessToken;
    };
    enterpriseStaff = await colleague(enterprise, 'finance@revoked.example.cn');
    labStaff = await colleague(lab, 'office@suspended.example.cn');
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const noticesOf = async (token: string, kind: string) =>
    (
      (await t.http.get('/api/notifications?limit=100').set(auth(token)).expect(200)).body.items as {
        kind: string;
        title: string;
        body: string;
        emailStatus: string;
      }[]
    ).filter((n) => n.kind === kind);
  /** The user's notices of `kind`, once there are `count` (they are written as the events are numbered). */
  const told = (token: string, kind: string, count = 1) =>
    until(`${count} ${kind}`, async () => {
      const found = await noticesOf(token, kind);
      return found.length >= count ? found : undefined;
    });
  const mailTo = (address: string, subject: string, nth = 1) =>
    until(
      `${nth} mail to ${address}: ${subject}`,
      () => {
        const found = smtp.mails.filter((m) => m.to.includes(address) && m.subject === subject);
        return found.length >= nth ? found[nth - 1] : undefined;
      },
      20_000,
    );
  const FOOTER = '\n\n（本邮件由系统自动发送，请勿直接回复。）';
  const today = () => formatDate(clock.today());

  it('a revoked voucher: its enterprise’s users hear the day, the reason, the holds cancelled and the money returned, and whom to ask', async () => {
    const voucher = await issueVoucher(t, enterprise.token, 1_000_000);
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
      .expect(201);
    const hold = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: voucher.id, facilityId: facility.body.id, quantity: 2 })
      .expect(201);
    expect(hold.body.subsidyFen).toBe(20_000);
    await t.http
      .post(`/api/vouchers/${voucher.id}/revoke`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '企业申请材料造假' })
      .expect(200);
    const title = `【长三角科技创新券】您的创新券 ${voucher.serial} 已被撤销`;
    const body =
      `您好，enterprise ${enterprise.username}：\n\n您的科技创新券 ${voucher.serial} 已于 ${today()} 被撤销，不能再用于抵扣服务费用。撤销理由：企业申请材料造假。\n\n` +
      '该券尚未核销的服务预约已全部取消；未使用的余额 ¥10,000.00（含取消预约释放的冻结额度 ¥200.00）已退回发券地区预算。\n\n' +
      '如有疑问，请联系发券单位合肥市科学技术局。';
    const mail = await mailTo('finance@revoked.example.cn', title);
    expect(mail.text).toBe(`${body}${FOOTER}`);
    const [admin] = await told(enterprise.token, 'voucher_revoked');
    expect(admin).toMatchObject({ title, body, emailStatus: 'none' });
    expect((await told(enterpriseStaff, 'voucher_revoked'))[0]).toMatchObject({ title, body, emailStatus: 'sent' });
  });

  it('a provider suspended and admitted again, twice: its users hear each time, with the reason, what it means and when it ends', async () => {
    const js = await t.as('bureau-js');
    const path = `/api/providers/${lab.organizationId}`;
    const greeting = `您好，provider ${lab.username}：\n\n`;
    const suspendedTitle = '【长三角科技创新券】贵单位的创新券服务已被暂停';
    const suspended = (reason: string) =>
      `${greeting}江苏省科学技术厅已于 ${today()} 暂停贵单位提供创新券服务。暂停理由：${reason}\n\n` +
      '暂停期间，贵单位的仪器和服务不在平台目录和检索中展示，不接受新的服务预约和机时预订，此前的服务预约不能核销；贵单位的兑付申报不予批准，已批准的款项暂缓结算支付。\n\n' +
      '如有疑问，请联系江苏省科学技术厅。';
    const reinstatedTitle = '【长三角科技创新券】贵单位已重新准予提供创新券服务';
    const reinstated = (outcome: string) =>
      `${greeting}江苏省科学技术厅已于 ${today()} 重新准予贵单位入库，${outcome}\n\n如有疑问，请联系江苏省科学技术厅。`;

    await t.http.post(`${path}/suspend`).set(js).send({ reason: '检测报告造假' }).expect(200);
    expect((await mailTo('office@suspended.example.cn', suspendedTitle)).text).toBe(`${suspended('检测报告造假。')}${FOOTER}`);
    // admitted again into a week's public notice
    const notice = (await t.http.post(`${path}/admit`).set(js).send({ noticeDays: 7 }).expect(200)).body;
    const inNotice = reinstated(
      // the last day the notices page names (公示期：…至…日), not the midnight after it
      `现进入公示，公示期至 ${zhDateTime(beijingDate(Date.parse(notice.noticeEndsAt) - 1))}（北京时间），期满后恢复正常服务；公示期间仍不接受服务预约，兑付申报暂不批准。`,
    );
    expect((await mailTo('office@suspended.example.cn', reinstatedTitle)).text).toBe(`${inNotice}${FOOTER}`);
    // suspended again in its notice, then admitted at once: each is told anew
    await t.http.post(`${path}/suspend`).set(js).send({ reason: '拒不整改。' }).expect(200);
    await t.http.post(`${path}/admit`).set(js).send({ noticeDays: 0 }).expect(200);
    const atOnce = reinstated('即日起恢复正常服务：贵单位的仪器和服务重新在平台目录中展示，可以接受服务预约，兑付申报恢复审核和结算。');
    expect((await mailTo('office@suspended.example.cn', reinstatedTitle, 2)).text).toBe(`${atOnce}${FOOTER}`);
    for (const token of [lab.token, labStaff]) {
      expect((await told(token, 'provider_suspended', 2)).map((n) => [n.title, n.body])).toEqual([
        [suspendedTitle, suspended('拒不整改。')],
        [suspendedTitle, suspended('检测报告造假。')],
      ]);
      expect((await told(token, 'provider_reinstated', 2)).map((n) => [n.title, n.body])).toEqual([
        [reinstatedTitle, atOnce],
        [reinstatedTitle, inNotice],
      ]);
    }
  });

  it('a sanction: the organization it names hears for how long, why and what it means; a company bound through it as controller does not', async () => {
    const zj = await t.as('bureau-zj');
    const until = `${clock.year() + 1}-06-30`;
    await t.http.post('/api/sanctions').set(zj).send({ creditCode: enterprise.creditCode, reason: '伪造检测报告', until }).expect(201);
    await t.http.post('/api/sanctions').set(zj).send({ creditCode: lab.creditCode, reason: '虚开发票' }).expect(201);
    const title = '【长三角科技创新券】贵单位已被列入科研失信联合惩戒名单';
    const body = (who: OrgSession, name: string, term: string, reason: string) =>
      `您好，${name}：\n\n浙江省科学技术厅已于 ${today()} 将贵单位（统一社会信用代码 ${who.creditCode}）列入科研失信联合惩戒名单，${term}。惩戒理由：${reason}\n\n` +
      '惩戒在长三角三省一市均有效：期间贵单位的创新券申请、服务预约和兑付申报将被拒绝，此前的服务预约不能核销，应付贵单位的结算款暂缓支付。\n\n' +
      '如有疑问，请联系浙江省科学技术厅。';
    const ofEnterprise = body(enterprise, `enterprise ${enterprise.username}`, `有效期至 ${formatDate(until)}`, '伪造检测报告。');
    const ofLab = body(lab, `provider ${lab.username}`, '有效期至解除之日', '虚开发票。');
    expect((await mailTo('finance@revoked.example.cn', title)).text).toBe(`${ofEnterprise}${FOOTER}`);
    expect((await mailTo('office@suspended.example.cn', title)).text).toBe(`${ofLab}${FOOTER}`);
    for (const [token, text] of [
      [enterprise.token, ofEnterprise],
      [enterpriseStaff, ofEnterprise],
      [lab.token, ofLab],
      [labStaff, ofLab],
    ]) {
      expect((await told(token, 'sanction_recorded')).map((n) => [n.title, n.body])).toEqual([[title, text]]);
    }
  });

  it('tells no one else: not the controlled company, not other organizations, not the bureaus', async () => {
    await t.get(Sweeps).runAll(); // every event numbered and its notices written
    const rows = await t.dataSource.query<{ kind: string; user_id: string }[]>(
      `SELECT kind, user_id FROM notification WHERE kind IN (${KINDS.map(() => '?').join(', ')})`,
      KINDS,
    );
    const [enterpriseUsers, labUsers] = [[enterprise.userId, staffIds[0]].sort(), [lab.userId, staffIds[1]].sort()];
    const usersTold = (kind: string) =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => r.user_id)
        .sort();
    expect(usersTold('voucher_revoked')).toEqual(enterpriseUsers);
    // twice each: suspended and admitted again twice
    expect(usersTold('provider_suspended')).toEqual([...labUsers, ...labUsers].sort());
    expect(usersTold('provider_reinstated')).toEqual([...labUsers, ...labUsers].sort());
    expect(usersTold('sanction_recorded')).toEqual([...enterpriseUsers, ...labUsers].sort());
    for (const token of [
      controlled.token,
      ...bystanders.map((b) => b.token),
      await t.token('bureau-ah'),
      await t.token('bureau-js'),
      await t.token('bureau-zj'),
    ]) {
      const kinds = ((await t.http.get('/api/notifications?limit=100').set(auth(token)).expect(200)).body.items as { kind: string }[]).map(
        (n) => n.kind,
      );
      expect(kinds.filter((k) => KINDS.includes(k))).toEqual([]);
    }
  });

  it('a lab suspended before it was ever active, admitted later, is told of its first admission, not of a return', async () => {
    const js = await t.as('bureau-js');
    const admittedTitle = '【长三角科技创新券】贵单位已准予入库';
    const reinstatedTitle = '【长三角科技创新券】贵单位已重新准予提供创新券服务';
    const admitted = (who: OrgSession, outcome: string) =>
      `您好，provider ${who.username}：\n\n江苏省科学技术厅已于 ${today()} 准予贵单位入库，成为创新券服务机构。${outcome}\n\n如有疑问，请联系江苏省科学技术厅。`;
    const atOnce = '即日起可以发布仪器和服务，接受创新券服务预约。';
    const titles = async (who: OrgSession) =>
      ((await t.http.get('/api/notifications?limit=100').set(auth(who.token)).expect(200)).body.items as { title: string }[]).map(
        (n) => n.title,
      );

    // suspended while its application was pending, then admitted into a week's notice
    const pending = await t.registerProvider('320500', {}, false);
    // a colleague with an address, to hear it by mail
    await t.addUser(pending.token, { username: `${pending.username}-staff`, password: PASSWORD, email: 'office@pending.example.cn' });
    await t.http.post(`/api/providers/${pending.organizationId}/suspend`).set(js).send({ reason: '申请材料待核实' }).expect(200);
    const notice = (await t.http.post(`/api/providers/${pending.organizationId}/admit`).set(js).send({ noticeDays: 7 }).expect(200)).body;
    const inNotice = admitted(
      pending,
      `现进入公示，公示期至 ${zhDateTime(beijingDate(Date.parse(notice.noticeEndsAt) - 1))}（北京时间）；期满无异议即可发布仪器和服务、接受创新券服务预约。`,
    );
    expect((await mailTo('office@pending.example.cn', admittedTitle)).text).toBe(`${inNotice}${FOOTER}`);
    expect((await told(pending.token, 'provider_admitted')).map((n) => [n.title, n.body])).toEqual([[admittedTitle, inNotice]]);

    // admitted into its first notice, suspended in it, then admitted at once: still its first admission, told anew
    const inFirstNotice = await t.registerProvider('320500', {}, false);
    const path = `/api/providers/${inFirstNotice.organizationId}`;
    await t.http.post(`${path}/admit`).set(js).send({ noticeDays: 7 }).expect(200);
    await t.http.post(`${path}/suspend`).set(js).send({ reason: '公示期间收到异议' }).expect(200);
    await t.http.post(`${path}/admit`).set(js).send({ noticeDays: 0 }).expect(200);
    const [latest] = await told(inFirstNotice.token, 'provider_admitted', 2);
    expect([latest.title, latest.body]).toEqual([admittedTitle, admitted(inFirstNotice, atOnce)]);
    // once it has been active, a suspension and admission is a return
    await t.http.post(`${path}/suspend`).set(js).send({ reason: '拒不整改' }).expect(200);
    await t.http.post(`${path}/admit`).set(js).send({ noticeDays: 0 }).expect(200);
    expect((await told(inFirstNotice.token, 'provider_reinstated')).map((n) => n.title)).toEqual([reinstatedTitle]);
    await t.get(Sweeps).runAll();
    for (const who of [pending, inFirstNotice])
      expect(await noticesOf(who.token, 'provider_admitted')).toHaveLength(who === pending ? 1 : 2);
    expect(await titles(pending)).not.toContain(reinstatedTitle);
    expect(await noticesOf(inFirstNotice.token, 'provider_reinstated')).toHaveLength(1);
  });

  it('a verified enterprise’s certificate number corrected: its users hear the number it was, the number it is and why, by mail too', async () => {
    const ah = await t.as('bureau-ah');
    const path = `/api/organizations/${enterprise.organizationId}/verify`;
    const was = `TEST-${enterprise.creditCode}`;
    const correction = { certificateNo: 'GR202634000777', reason: '证书已换发新编号' };
    await t.http.post(path).set(ah).send(correction).expect(200);
    const title = '【长三角科技创新券】贵单位的企业核验证书编号已更正';
    const body =
      `您好，enterprise ${enterprise.username}：\n\n贵单位企业核验所依据的证书编号已于 ${today()} 更正：由 ${was} 更正为 GR202634000777。更正理由：证书已换发新编号。\n\n` +
      '贵单位的核验状态不变，仍可申请科技创新券。如编号有误或有疑问，请联系合肥市科学技术局或安徽省科学技术厅。';
    expect((await mailTo('finance@revoked.example.cn', title)).text).toBe(`${body}${FOOTER}`);
    for (const token of [enterprise.token, enterpriseStaff]) {
      expect((await told(token, 'certificate_corrected')).map((n) => [n.title, n.body])).toEqual([[title, body]]);
    }
    // the same number again changes nothing and tells nothing; a second correction is told anew
    await t.http.post(path).set(ah).send(correction).expect(200);
    await t.http.post(path).set(ah).send({ certificateNo: 'GR202634000778', reason: '末位录入有误。' }).expect(200);
    const second = (await told(enterprise.token, 'certificate_corrected', 2)).map((n) => n.body);
    expect(second).toHaveLength(2);
    expect(second[0]).toContain('由 GR202634000777 更正为 GR202634000778。更正理由：末位录入有误。');
    await t.get(Sweeps).runAll();
    expect(await noticesOf(enterprise.token, 'certificate_corrected')).toHaveLength(2);
    // the lab and the company it controls are told nothing of it
    for (const token of [lab.token, controlled.token]) expect(await noticesOf(token, 'certificate_corrected')).toEqual([]);
  });
});

describe('notifications: the expiry sweep over a round of vouchers coming due together', () => {
  let t: TestApp;

  beforeAll(async () => {
    clock.reset();
    t = await TestApp.start();
    await openRegion(t, '320000');
  });

  afterAll(async () => {
    clock.reset();
    await t?.close();
  });

  it('tells every active user of each enterprise once however often it runs, and not a disabled one', async () => {
    const enterprises = await Promise.all([1, 2, 3].map(() => t.registerEnterprise('320100')));
    const serials = await Promise.all(enterprises.map(async (e) => (await issueVoucher(t, e.token, 10_000)).serial as string));
    // the first enterprise's admin adds a colleague; the second's adds one and disables them
    const addColleague = async (admin: OrgSession) =>
      (
        await t.http
          .post('/api/users')
          .set(auth(admin.token))
          .send({ username: `${admin.username}-staff`, password: PASSWORD })
          .expect(201)
      ).body.id as string;
    await addColleague(enterprises[0]);
    const colleague = (await t.login(`${enterprises[0].username}-staff`, PASSWORD)).accessToken;
    const disabled = await addColleague(enterprises[1]);
    await t.http.post(`/api/users/${disabled}/disable`).set(auth(enterprises[1].token)).expect(200);
    const notifier = t.get(Notifier);
    expect(await notifier.expiring()).toBe(0);
    clock.travel(340 * DAY_MS); // the vouchers are valid for 365 days
    expect(await notifier.expiring()).toBe(4); // three admins and the active colleague
    expect(await notifier.expiring()).toBe(0);
    const expiring = async (token: string) =>
      (await t.http.get('/api/notifications').set(auth(token)).expect(200)).body.items.filter(
        (n: { kind: string }) => n.kind === 'voucher_expiring',
      );
    for (const [token, serial] of [
      [enterprises[0].token, serials[0]],
      [colleague, serials[0]],
      [enterprises[1].token, serials[1]],
      [enterprises[2].token, serials[2]],
    ]) {
      const [notice, ...more] = await expiring(token);
      expect(more).toHaveLength(0);
      expect(notice.title).toContain(serial);
    }
    // Only the expiry notice: the approval's notice may reach the colleague while still active (events are delivered
    // after their commit, and here the colleague was disabled right after the vouchers were issued).
    const [{ n }] = await t.dataSource.query("SELECT COUNT(*) AS n FROM notification WHERE user_id = ? AND kind = 'voucher_expiring'", [
      disabled,
    ]);
    expect(Number(n)).toBe(0);
  });
});

describe('notifications: what a decision tells, in words the applicant uses', () => {
  let t: TestApp;
  let enterprise: OrgSession;

  beforeAll(async () => {
    clock.reset();
    t = await TestApp.start();
    await openRegion(t, '320000');
    enterprise = await t.registerEnterprise('320100');
  });
  afterAll(() => t?.close());

  const apply = async (amountFen: number) =>
    (await t.http.post('/api/voucher-applications').set(auth(enterprise.token)).send({ amountFen, purpose: '透射电镜表征' }).expect(201))
      .body;
  const noticeOf = (applicationId: string) =>
    until(`the notice of ${applicationId}`, async () => {
      const { items } = (await t.http.get('/api/notifications').set(auth(enterprise.token)).expect(200)).body;
      return (items as { entityId: string; title: string; body: string }[]).find((n) => n.entityId === applicationId);
    });

  it('a reviewed approval: the day it was submitted (Beijing), the amount asked for, the amount granted, the serial', async () => {
    const application = await apply(20_000_000);
    expect(application.status).toBe('pending_review');
    const approved = await t.http
      .post(`/api/voucher-applications/${application.id}/approve`)
      .set(await t.as('bureau-js'))
      .send({ amountFen: 15_000_000 })
      .expect(200);
    const notice = await noticeOf(application.id);
    expect(notice.title).toBe('【长三角科技创新券】您的创新券申请获批准');
    expect(notice.body).toContain(
      `您于 ${formatDate(beijingDate(application.createdAt))} 提交的科技创新券申请（申请金额 ¥200,000.00）已获批准，核定金额 ¥150,000.00，券号 ${approved.body.voucher.serial}。`,
    );
    expect(notice.body).not.toContain('邮件');
  });

  it('a rejection: the reason once, its own full stop kept', async () => {
    const application = await apply(20_000_000);
    await t.http
      .post(`/api/voucher-applications/${application.id}/reject`)
      .set(await t.as('bureau-js'))
      .send({ reason: '研发内容与申报领域不符。' })
      .expect(200);
    const notice = await noticeOf(application.id);
    expect(notice.title).toBe('【长三角科技创新券】您的创新券申请被驳回');
    expect(notice.body).toContain('（申请金额 ¥200,000.00）已被驳回。驳回理由：研发内容与申报领域不符。\n');
    expect(notice.body).not.toContain('。。');
  });

  it('a rule’s refusal at once: notified too, its reason told in Chinese from the rule', async () => {
    const application = await apply(40_000_000);
    expect(application).toMatchObject({ status: 'rejected', reasonCode: 'VOUCHER_CAP_EXCEEDED' });
    const notice = await noticeOf(application.id);
    expect(notice.title).toBe('【长三角科技创新券】您的创新券申请被驳回');
    expect(notice.body).toContain('已被驳回。驳回理由：申请金额 ¥400,000.00 超过单张创新券上限 ¥300,000.00。');
  });
});

describe('notification mail: a slow, refusing or hanging mail server', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let release: () => void = () => undefined;
  let held: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    clock.reset();
    smtp = await SmtpSink.start({
      // nobody@ does not exist; busy@ is refused twice for now; leaver@ until they leave
      rcpt: (address, nth) =>
        address.startsWith('nobody@')
          ? 550
          : address.startsWith('busy@') && nth <= 2
            ? 451
            : address.startsWith('leaver@')
              ? 451
              : undefined,
      beforeAccept: () => held,
    });
    // a lease of 1.2 s, renewed every 0.4 s while a mail is being sent
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '200', MAIL_LEASE_MS: '1200' });
    await openRegion(t, '330000', { budgetFen: 100_000 });
  });
  afterAll(async () => {
    release();
    await t?.close();
    await smtp?.close();
  });

  const withColleagues = async (emails: string[]) => {
    const enterprise = await verifiedEnterprise(t, '330100');
    const ids: string[] = [];
    for (const [i, email] of emails.entries()) {
      const res = await t.addUser(enterprise.token, { username: `${enterprise.username}-${i}`, password: PASSWORD, email });
      ids.push(res.body.id);
    }
    return { enterprise, ids };
  };
  type MailRow = { id: string; user_id: string; email_status: string; email_attempts: number; email_error: string | null };
  const rowsOf = (userIds: string[]) =>
    t.dataSource.query<MailRow[]>(
      `SELECT id, user_id, email_status, email_attempts, email_error FROM notification WHERE kind = 'application_decided' AND user_id IN (${userIds.map(() => '?').join(', ')})`,
      userIds,
    );

  it('holds only its own conversations while the server hangs, never the sweeps; each mail goes once, under its notification’s Message-ID', async () => {
    held = new Promise((resolve) => (release = resolve));
    const emails = [1, 2, 3, 4, 5, 6].map((i) => `staff${i}@slow.example.cn`);
    const { enterprise, ids } = await withColleagues(emails);
    await issueVoucher(t, enterprise.token, 10_000);
    // four conversations wait for the server's answer; the sweeps run (and finish) meanwhile
    await until('four mails waiting on the server', () => (smtp.waiting === 4 ? true : undefined), 20_000);
    const sweeps = await t.get(Sweeps).runAll();
    expect(sweeps).toHaveProperty('voucher-expiry');
    expect(smtp.waiting).toBe(4);
    expect(smtp.mails.filter((m) => m.to[0].endsWith('@slow.example.cn'))).toHaveLength(0);
    release();
    const mails = await until(
      'all six mails',
      () => {
        const got = smtp.mails.filter((m) => m.to[0].endsWith('@slow.example.cn'));
        return got.length >= 6 ? got : undefined;
      },
      20_000,
    );
    await t.get(Sweeps).runAll();
    await sleep(500); // what a second sending would take
    expect(
      smtp.mails
        .filter((m) => m.to[0].endsWith('@slow.example.cn'))
        .map((m) => m.to[0])
        .sort(),
    ).toEqual(emails.sort());
    const rows = await rowsOf(ids);
    expect(rows.map((r) => [r.email_status, Number(r.email_attempts)])).toEqual(ids.map(() => ['sent', 1]));
    expect(mails.map((m) => m.messageId).sort()).toEqual(rows.map((r) => `<${r.id}@vouchers.invalid>`).sort());
  });

  it('keeps a mail its own while the server takes three lease lengths to answer: sent once, in one attempt', async () => {
    held = sleep(3_600);
    const emails = ['a@trickle.example.cn', 'b@trickle.example.cn'];
    const { enterprise, ids } = await withColleagues(emails);
    await issueVoucher(t, enterprise.token, 10_000);
    // the sweeps look for due mails meanwhile, as other nodes would
    const sweeping = (async () => {
      for (let i = 0; i < 20; i++) await Promise.all([t.get(Sweeps).runAll(), sleep(200)]);
    })();
    await until(
      'both mails',
      () => (smtp.mails.filter((m) => m.to[0].endsWith('@trickle.example.cn')).length >= 2 ? true : undefined),
      20_000,
    );
    await sweeping;
    expect(
      smtp.mails
        .filter((m) => m.to[0].endsWith('@trickle.example.cn'))
        .map((m) => m.to[0])
        .sort(),
    ).toEqual(emails);
    expect((await rowsOf(ids)).map((r) => [r.email_status, Number(r.email_attempts)])).toEqual(ids.map(() => ['sent', 1]));
    held = Promise.resolve();
  });

  it('fails a mail the server refuses for good at once, retries one it refuses for now until sent, and sends none to a user disabled meanwhile', async () => {
    const { enterprise, ids } = await withColleagues([
      'nobody@refusing.example.cn',
      'busy@refusing.example.cn',
      'leaver@refusing.example.cn',
    ]);
    await issueVoucher(t, enterprise.token, 10_000);
    const [nobody, busy, leaver] = ids;
    const statusOf = async (userId: string) => (await rowsOf([userId]))[0];
    await until('the refused and the retried mails', async () => {
      const [a, b, c] = await Promise.all([statusOf(nobody), statusOf(busy), statusOf(leaver)]);
      return a?.email_status === 'failed' && b?.email_status === 'sent' && Number(c?.email_attempts) >= 1 ? true : undefined;
    });
    expect(await statusOf(nobody)).toMatchObject({ email_status: 'failed', email_attempts: 1 });
    expect((await statusOf(nobody)).email_error).toContain('550');
    expect(await statusOf(busy)).toMatchObject({ email_status: 'sent', email_attempts: 3 });
    await t.http.post(`/api/users/${leaver}/disable`).set(auth(enterprise.token)).expect(200);
    const left = await until('the leaver’s mail given up', async () => {
      const row = await statusOf(leaver);
      return row.email_status === 'failed' ? row : undefined;
    });
    expect(left.email_error).toContain('disabled');
    expect(smtp.mails.filter((m) => m.to[0].endsWith('@refusing.example.cn')).map((m) => m.to[0])).toEqual(['busy@refusing.example.cn']);
  });

  it('tells of a rule’s refusal in the app only: no one can have the service mail the addresses it adds, as often as it applies', async () => {
    const { enterprise, ids } = await withColleagues(['x@spam-target.example.cn', 'y@spam-target.example.cn']);
    for (let i = 0; i < 3; i++) {
      const refused = await t.http
        .post('/api/voucher-applications')
        .set(auth(enterprise.token))
        .send({ amountFen: 40_000_000, purpose: '检测' })
        .expect(201);
      expect(refused.body.status).toBe('rejected');
    }
    const rows = await until('the notices', async () => {
      const found = await rowsOf(ids);
      return found.length === 6 ? found : undefined;
    });
    expect(rows.map((r) => r.email_status)).toEqual(Array(6).fill('none'));
    await t.get(Sweeps).runAll();
    expect(smtp.mails.filter((m) => m.to[0].endsWith('@spam-target.example.cn'))).toEqual([]);
  });

  it('tells the bureau’s activated users of a low budget, again for each total it is set to, and never an account awaiting activation', async () => {
    const zj = await t.token('bureau-zj');
    const pending = await t.addUser(zj, { username: `zj-pending-${Date.now()}`, password: PASSWORD, email: 'pending@kjt.zj.example.cn' });
    expect(pending.body.awaitsActivation).toBe(true);
    const enterprise = await t.registerEnterprise('330100');
    const lowNotices = async () =>
      (await t.http.get('/api/notifications?limit=100').set(auth(zj)).expect(200)).body.items.filter(
        (n: { kind: string }) => n.kind === 'budget_low',
      ) as { body: string }[];
    const before = (await lowNotices()).length;
    const budget = async () => (await t.http.get(`/api/budgets/330000/${clock.year()}`).set(auth(zj)).expect(200)).body;
    // run the budget down below 10% of 100,000: told once
    const { availableFen } = await budget();
    await issueVoucher(t, enterprise.token, availableFen - 5_000);
    await until('the first notice', async () => ((await lowNotices()).length === before + 1 ? true : undefined));
    // set higher, still below 10% of the new total: a new total, told again by the setting itself
    const { totalFen } = await budget();
    await t.http
      .put(`/api/budgets/330000/${clock.year()}`)
      .set(auth(zj))
      .send({ totalFen: totalFen + 4_000 })
      .expect(200);
    await until('the second notice', async () => ((await lowNotices()).length === before + 2 ? true : undefined));
    expect((await lowNotices())[0].body).toContain('¥90.00');
    const [{ n }] = await t.dataSource.query("SELECT COUNT(*) AS n FROM notification WHERE user_id = ? AND kind = 'budget_low'", [
      pending.body.id,
    ]);
    expect(Number(n)).toBe(0);
  });
});

describe('a short voucher is reminded of its expiry once half its validity has passed, not when issued', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '310000', { policy: { voucherValidityDays: 30 } });
  });
  afterAll(() => t?.close());

  it('a voucher valid 30 days: nothing on its first 15 days, one reminder on the 16th, with 14 days left', async () => {
    const enterprise = await t.registerEnterprise('310000');
    const voucher = await issueVoucher(t, enterprise.token, 100_000);
    const reminders = async () =>
      ((await t.http.get('/api/notifications?limit=100').set(auth(enterprise.token)).expect(200)).body.items as { kind: string }[]).filter(
        (n) => n.kind === 'voucher_expiring',
      ).length;
    const notifier = t.get(Notifier);
    try {
      await notifier.expiring();
      expect(await reminders()).toBe(0);
      clock.travel(14 * DAY_MS);
      await notifier.expiring();
      expect(await reminders()).toBe(0);
      clock.travel(DAY_MS);
      expect(clock.today() < voucher.validUntil).toBe(true);
      await notifier.expiring();
      await notifier.expiring();
      expect(await reminders()).toBe(1);
    } finally {
      clock.reset();
    }
  });
});

describe('notification mail: no address is written to without end', () => {
  let t: TestApp;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '50', MAIL_PER_ADDRESS_PER_DAY: '5' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('mails an address at most MAIL_PER_ADDRESS_PER_DAY times in 24 hours, however its users are spelt; the rest are told in the app only', async () => {
    // Anyone who registers may give its users any address, and each key one of them makes notifies its maker by mail,
    // with the key's name as the maker typed it.
    const enterprise = await verifiedEnterprise(t, '340100');
    const addUser = async (suffix: string, email: string) => {
      const username = `${enterprise.username}-${suffix}`;
      await t.addUser(enterprise.token, { username, password: PASSWORD, email, admin: true });
      return (await t.login(username, PASSWORD)).accessToken;
    };
    const makeKeys = async (token: string, count: number) => {
      for (let i = 0; i < count; i++) {
        await t.http
          .post('/api/api-keys')
          .set(auth(token))
          .send({ name: `请立即访问 http://evil.example/${i} 核验账户` })
          .expect(201);
      }
    };
    const first = await addUser('a', 'victim@target.example.cn');
    const second = await addUser('b', 'Victim@Target.Example.cn');
    const bystander = await addUser('c', 'someone@else.example.cn');
    await makeKeys(first, 8);
    await makeKeys(second, 3);
    await makeKeys(bystander, 2);
    type Row = { email_to: string; email_status: string; email_error: string | null };
    const rows = await until('every key mail settled', async () => {
      const found = await t.dataSource.query<Row[]>(
        "SELECT email_to, email_status, email_error FROM notification WHERE kind = 'api_key_created'",
      );
      return found.length === 13 && found.every((r) => r.email_status !== 'pending') ? found : undefined;
    });
    const toVictim = (m: { to: string[] }) => m.to[0].toLowerCase() === 'victim@target.example.cn';
    expect(smtp.mails.filter(toVictim)).toHaveLength(5);
    expect(smtp.mails.filter((m) => m.to[0] === 'someone@else.example.cn')).toHaveLength(2);
    const refused = rows.filter((r) => r.email_status === 'failed');
    expect(refused).toHaveLength(6);
    expect(
      refused.every(
        (r) => r.email_to.toLowerCase() === 'victim@target.example.cn' && /5 mails to this address in 24 hours/.test(r.email_error!),
      ),
    ).toBe(true);
    // every notice is in the app, mailed or not
    const listed = (await t.http.get('/api/notifications?limit=100').set(auth(first)).expect(200)).body.items as { kind: string }[];
    expect(listed.filter((n) => n.kind === 'api_key_created')).toHaveLength(8);
    // once its five mails are 24 hours old (moved back a day here), the address is written to again
    const dayAgo = new Date(Date.now() - DAY_MS - 1_000).toISOString();
    await t.dataSource.query("UPDATE throttle SET recent = ? WHERE throttle_key LIKE 'mails-to:%'", [
      JSON.stringify(Array(5).fill(dayAgo)),
    ]);
    await makeKeys(first, 1);
    await until('the next day’s mail', () => (smtp.mails.filter(toVictim).length === 6 ? true : undefined), 20_000);
  });
});

describe(`notification mail: an address's day counted exactly (${isMaria() ? 'a real race on MariaDB' : 'serialized on SQLite'})`, () => {
  let t: TestApp;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    // no timer: the test claims the mails itself, as many nodes would at once
    t = await TestApp.start({ SMTP_URL: smtp.url, MAIL_POLL_MS: '0', MAIL_PER_ADDRESS_PER_DAY: '5' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('of twelve mails to one address claimed at once by twelve nodes, five are let through', async () => {
    const enterprise = await t.registerEnterprise('340100');
    const username = `${enterprise.username}-k`;
    await t.addUser(enterprise.token, { username, password: PASSWORD, email: 'race@target.example.cn', admin: true });
    const token = (await t.login(username, PASSWORD)).accessToken;
    for (let i = 0; i < 12; i++)
      await t.http
        .post('/api/api-keys')
        .set(auth(token))
        .send({ name: `key ${i}` })
        .expect(201);
    const ids = (
      await t.dataSource.query<{ id: string }[]>("SELECT id FROM notification WHERE kind = 'api_key_created' AND email_status = 'pending'")
    ).map((r) => r.id);
    expect(ids).toHaveLength(12);
    const worker = t.get(MailWorker) as unknown as {
      claim(id: string, owner: string, now: string, until: string): Promise<{ id: string } | null | undefined>;
    };
    const now = new Date().toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const claimed = await Promise.all(ids.map((id, i) => worker.claim(id, `node-${i}`, now, until)));
    expect(claimed.filter((n) => n === undefined).length).toBe(0);
    expect(claimed.filter((n) => n !== null).length).toBe(5);
    const [{ n }] = await t.dataSource.query(
      "SELECT COUNT(*) AS n FROM notification WHERE kind = 'api_key_created' AND email_status = 'failed' AND email_error LIKE '%24 hours%'",
    );
    expect(Number(n)).toBe(7);
  });

  it('one mail raced by twelve nodes is claimed by one; the others get it only once its lease has passed, and the first then records nothing', async () => {
    const enterprise = await t.registerEnterprise('340100');
    const username = `${enterprise.username}-one`;
    await t.addUser(enterprise.token, { username, password: PASSWORD, email: 'once@target.example.cn' });
    const token = (await t.login(username, PASSWORD)).accessToken;
    await t.http
      .post('/api/auth/password')
      .set(auth(token))
      .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD}y` })
      .expect(204);
    const [{ id }] = await t.dataSource.query<{ id: string }[]>(
      "SELECT id FROM notification WHERE kind = 'password_changed' AND email_to = 'once@target.example.cn'",
    );
    const worker = t.get(MailWorker) as unknown as {
      claim(id: string, owner: string, now: string, until: string): Promise<{ id: string } | null | undefined>;
      finish(id: string, owner: string, status: string, nextAt: string | null, error: string | null): Promise<void>;
    };
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => worker.claim(id, `node-${i}`, at(0), at(60_000))));
    expect(first.filter((c) => c !== undefined)).toHaveLength(1);
    // within the lease no one takes it; after it, one node does, and the late first node's outcome is not recorded
    expect(await worker.claim(id, 'late', at(30_000), at(90_000))).toBeUndefined();
    const second = await Promise.all(Array.from({ length: 12 }, (_, i) => worker.claim(id, `next-${i}`, at(61_000), at(121_000))));
    expect(second.filter((c) => c !== undefined)).toHaveLength(1);
    const winner = `next-${second.findIndex((c) => c !== undefined)}`;
    await worker.finish(id, `node-${first.findIndex((c) => c !== undefined)}`, 'failed', null, 'late');
    const row = async () =>
      (
        await t.dataSource.query<{ email_status: string; email_attempts: number }[]>(
          'SELECT email_status, email_attempts FROM notification WHERE id = ?',
          [id],
        )
      )[0];
    expect(await row()).toMatchObject({ email_status: 'pending' });
    await worker.finish(id, winner, 'sent', null, null);
    expect(await row()).toMatchObject({ email_status: 'sent' });
    expect(Number((await row()).email_attempts)).toBe(2);
  });
});
