import { issueVoucher, openRegion, submittedClaim } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, PASSWORD, TestApp } from '../support/test-app';

const HEFEI = '340100';
const ACCOUNT = '130201080920005432';
const MASKED = '**** **** 5432';

/** Organization profiles (issue 19, item 5): the admin keeps contact and bank details; the bureau sees every change. */
describe('organization profiles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
  });
  afterAll(() => t.close());

  const patch = (who: OrgSession | string, id: string, body: object) =>
    t.http
      .patch(`/api/organizations/${id}`)
      .set(auth(typeof who === 'string' ? who : who.token))
      .send(body);

  it('its admin fills in the contact and the bank; the account is shown masked, the change audited for the bureau', async () => {
    const e = await t.registerEnterprise('340104', { bankAccount: null }); // its profile empty, as registration leaves it
    const res = await patch(e, e.organizationId, {
      contactPerson: '王敏',
      contactPhone: '0551-65123456',
      contactEmail: 'finance@micronano.example.cn',
      address: '安徽省合肥市蜀山区望江西路 800 号',
      bankName: '中国工商银行合肥科技支行',
      bankAccount: '1302 0108 0920 0054 32',
    }).expect(200);
    expect(res.body).toMatchObject({
      id: e.organizationId,
      contactPerson: '王敏',
      contactPhone: '0551-65123456',
      contactEmail: 'finance@micronano.example.cn',
      address: '安徽省合肥市蜀山区望江西路 800 号',
      bankName: '中国工商银行合肥科技支行',
      bankAccount: MASKED,
      profileUpdatedAt: expect.any(String),
    });
    const bureau = await t.token('bureau-ah');
    for (const reader of [e.token, bureau, await t.token('platform')]) {
      const read = await t.http.get(`/api/organizations/${e.organizationId}`).set(auth(reader)).expect(200);
      expect(read.body).toMatchObject({ contactPerson: '王敏', bankAccount: MASKED });
      expect(JSON.stringify(read.body)).not.toContain(ACCOUNT);
    }
    const parent = creditCodeIn('310115');
    await patch(e, e.organizationId, { contactPhone: '13800138000', relatedCreditCodes: [parent] }).expect(200);
    const audit = await t.http.get(`/api/audit?entityType=organization&entityId=${e.organizationId}`).set(auth(bureau)).expect(200);
    const changes = audit.body.items.filter((a: { action: string }) => a.action === 'organization.profile_updated');
    expect(changes).toHaveLength(2);
    const summaries = JSON.stringify(changes.map((a: { summary: unknown }) => a.summary));
    expect(summaries).toContain('"contactPhone":{"from":"0551-65123456","to":"13800138000"}');
    expect(summaries).toContain(`"relatedCreditCodes":{"from":[],"to":["${parent}"]}`);
    expect(summaries).toContain(`"bankAccount":{"from":null,"to":"${MASKED}"}`);
    expect(summaries).not.toContain(ACCOUNT);
  });

  it('the same values again change nothing and write no audit entry', async () => {
    const e = await t.registerEnterprise('340104');
    await patch(e, e.organizationId, { contactPerson: '李雷' }).expect(200);
    await patch(e, e.organizationId, { contactPerson: '李雷' }).expect(200);
    const audit = await t.http
      .get(`/api/audit?entityType=organization&entityId=${e.organizationId}`)
      .set(auth(await t.token('bureau-ah')))
      .expect(200);
    expect(audit.body.items.filter((a: { action: string }) => a.action === 'organization.profile_updated')).toHaveLength(1);
  });

  it.each([
    [{ contactPhone: '12345' }, 'contactPhone'],
    [{ contactEmail: 'not-an-address' }, 'contactEmail'],
    // valid by the RFC, but a mail library would write another address (or two) into the envelope; and no SMTPUTF8
    [{ contactEmail: '"victim@other.example.cn,x"@sme.example.cn' }, 'contactEmail'],
    [{ contactEmail: '财务@例子.中国' }, 'contactEmail'],
    [{ bankAccount: '6222-ABCD-0001' }, 'bankAccount'],
    [{ bankAccount: '1234567' }, 'bankAccount'],
    [{ bankAccount: ACCOUNT }, 'bankName'],
    [{ bankName: 'X' }, 'bankName'],
    [{ contactPerson: '' }, 'contactPerson'],
    [{ address: '合肥\u202E市' }, 'address'],
    [{ controllerCreditCode: '91340100MA2T8XQ21X' }, 'controllerCreditCode'],
    [{ relatedCreditCodes: 'x' }, 'relatedCreditCodes'],
    [{ name: '改名' }, 'name'],
    [{ status: 'active' }, 'status'],
    [{}, 'body'],
  ])('refuses %j: 400 naming %s', async (body, field) => {
    const e = await t.registerEnterprise('340104', { bankAccount: null }); // an account without a bank: none on file before
    const res = await patch(e, e.organizationId, body).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
  });

  it('changes only the fields given: what the body leaves out keeps its value; null clears a field', async () => {
    const e = await t.registerEnterprise('340104', { bankAccount: null }); // a first filing below: no bureau to wait for
    const controller = creditCodeIn('340100');
    const parent = creditCodeIn('310115');
    // its own account, the same last four digits as the first test's (an account is one organization's: ACCOUNT is taken)
    await patch(e, e.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: '130201080920015432' }).expect(200);
    await patch(await t.token('bureau-ah'), e.organizationId, { controllerCreditCode: controller }).expect(200);
    await patch(e, e.organizationId, { relatedCreditCodes: [parent] }).expect(200);
    const res = await patch(e, e.organizationId, { contactPerson: '韩梅梅' }).expect(200);
    expect(res.body).toMatchObject({
      contactPerson: '韩梅梅',
      bankName: '中国工商银行合肥科技支行',
      bankAccount: MASKED,
      controllerCreditCode: controller,
      relatedCreditCodes: [parent],
    });
    const cleared = await patch(await t.token('bureau-ah'), e.organizationId, {
      controllerCreditCode: null,
      relatedCreditCodes: null,
    }).expect(200);
    expect(cleared.body).toMatchObject({
      contactPerson: '韩梅梅',
      controllerCreditCode: null,
      relatedCreditCodes: [],
      bankAccount: MASKED,
    });
    const read = await t.http.get(`/api/organizations/${e.organizationId}`).set(auth(e.token)).expect(200);
    expect(read.body).toMatchObject({ contactPerson: '韩梅梅', controllerCreditCode: null, relatedCreditCodes: [], bankAccount: MASKED });
    // Clearing the bank name of a payee that keeps its account would leave an account no bank pays into.
    const orphan = await patch(e, e.organizationId, { bankName: null }).expect(400);
    expect(orphan.body.message).toContain('bankName');
  });

  it('declares related parties freely; a controller declared or changed, or a related party removed, only by the bureau of its region', async () => {
    const e = await t.registerEnterprise('340104');
    const [x, y, parent, sister] = [creditCodeIn('340100'), creditCodeIn('340100'), creditCodeIn('310115'), creditCodeIn('320500')];
    // Declaring a controller joins its group's annual cap: an enterprise naming a competitor would spend the competitor's.
    const first = await patch(e, e.organizationId, { controllerCreditCode: x, relatedCreditCodes: [parent] }).expect(403);
    expect(first.body.message).toContain('controllerCreditCode');
    await patch(e, e.organizationId, { relatedCreditCodes: [parent] }).expect(200);
    await patch(await t.token('bureau-ah'), e.organizationId, { controllerCreditCode: x }).expect(200);
    await patch(e, e.organizationId, { controllerCreditCode: x, relatedCreditCodes: [parent, sister] }).expect(200); // as it stands
    for (const loosening of [
      { controllerCreditCode: y },
      { controllerCreditCode: null },
      { relatedCreditCodes: [sister] },
      { relatedCreditCodes: [] },
    ]) {
      const res = await patch(e, e.organizationId, loosening).expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(Object.keys(loosening)[0]) });
    }
    const zh = await patch(e, e.organizationId, { relatedCreditCodes: [] }).set('Accept-Language', 'zh-CN').expect(403);
    expect(zh.body.message).toBe(
      'relatedCreditCodes：实际控制人的申报或变更、已申报关联方的删除，须由 340100 科技主管部门办理，因为关联交易审查和实际控制人名下企业的年度上限依据这些信息（新增关联方可自行申报）',
    );
    // The bureau of the region (here the province's) does it, and only that; another province's bureau is 404.
    const bureau = await t.token('bureau-ah');
    await patch(bureau, e.organizationId, { contactPerson: '王敏' }).expect(403);
    await patch(await t.token('bureau-sh'), e.organizationId, { relatedCreditCodes: [sister] }).expect(404);
    const res = await patch(bureau, e.organizationId, { controllerCreditCode: y, relatedCreditCodes: [sister] }).expect(200);
    expect(res.body).toMatchObject({ controllerCreditCode: y, relatedCreditCodes: [sister] });
    const audit = await t.http.get(`/api/audit?entityType=organization&entityId=${e.organizationId}`).set(auth(bureau)).expect(200);
    const byBureau = audit.body.items.find(
      (a: { action: string; actorRole: string }) => a.action === 'organization.profile_updated' && a.actorRole === 'bureau',
    );
    expect(JSON.stringify(byBureau.summary)).toContain(`"relatedCreditCodes":{"from":["${parent}","${sister}"],"to":["${sister}"]}`);
  });

  it('refuses the organization’s own credit code as its controller or related party, and answers in Chinese', async () => {
    const e = await t.registerEnterprise('340104');
    const own = await patch(e, e.organizationId, { controllerCreditCode: e.creditCode }).expect(400);
    expect(own.body.message).toContain('controllerCreditCode');
    await patch(e, e.organizationId, { relatedCreditCodes: [e.creditCode] }).expect(400);
    const zh = await patch(e, e.organizationId, { contactPhone: '12345', contactEmail: 'x' }).set('Accept-Language', 'zh-CN').expect(400);
    expect(zh.body.message).toContain('contactPhone：必须是电话号码');
    expect(zh.body.message).toContain('contactEmail：必须是电子邮箱地址');
  });

  it('only its admin: another organization 404, a user who is not an admin 403, staff 403, anonymous 401', async () => {
    const e = await t.registerEnterprise('340104');
    const other = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115');
    const body = { contactPerson: '张三' };
    for (const intruder of [other, lab]) {
      expect((await patch(intruder, e.organizationId, body).expect(404)).body.code).toBe('NOT_FOUND');
    }
    for (const staff of ['bureau-ah', 'bureau-sh', 'platform']) {
      expect((await patch(await t.token(staff), e.organizationId, body).expect(403)).body.code).toBe('FORBIDDEN');
    }
    await t.http
      .post('/api/users')
      .set(auth(e.token))
      .send({ username: `clerk-${e.creditCode}`, password: PASSWORD })
      .expect(201);
    const clerk = await t.token(`clerk-${e.creditCode}`, PASSWORD);
    const refused = await patch(clerk, e.organizationId, body).expect(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('admin') });
    await t.http.patch(`/api/organizations/${e.organizationId}`).send(body).expect(401);
    expect((await t.http.get(`/api/organizations/${e.organizationId}`).set(auth(e.token)).expect(200)).body.contactPerson).toBeNull();
  });

  it('a related party declared in the profile blocks redemptions at once', async () => {
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115');
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 50_000 })
      .expect(201);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const quote = () =>
      t.http.get(`/api/facilities/${facility.body.id}/quote?voucherId=${voucher.id}&quantity=1`).set(auth(e.token)).expect(200);
    expect((await quote()).body.refusal).toBeUndefined();
    await patch(e, e.organizationId, { relatedCreditCodes: [lab.creditCode] }).expect(200);
    expect((await quote()).body.refusal).toMatchObject({ code: 'RELATED_PARTY' });
  });

  it('the paying bureau sees the payee’s account in full on the batch, which keeps it when the payee changes it later', async () => {
    const ACCOUNT = '130201080920025432'; // the lab's own: the suite's ACCOUNT is another organization's
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115', { bankAccount: null }); // filed first below: on file at once
    await patch(lab, lab.organizationId, { bankName: '招商银行上海张江支行', bankAccount: ACCOUNT }).expect(200);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '透射电镜机时', unitPriceFen: 80_000, hours: 1 });
    const bureau = await t.token('bureau-ah');
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    const batch = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: HEFEI }).expect(201);
    const line = batch.body.lines.find((l: { payeeId: string }) => l.payeeId === lab.organizationId);
    expect(line).toMatchObject({ payeeBankName: '招商银行上海张江支行', payeeBankAccount: ACCOUNT });

    await patch(lab, lab.organizationId, { bankAccount: '6214830000009999' }).expect(200);
    const read = (token: string) => t.http.get(`/api/settlements/${batch.body.id}`).set(auth(token)).expect(200);
    const asBureau = (await read(bureau)).body.lines.find((l: { payeeId: string }) => l.payeeId === lab.organizationId);
    expect(asBureau.payeeBankAccount).toBe(ACCOUNT);
    expect((await read(lab.token)).body.lines[0].payeeBankAccount).toBe(MASKED);
    const platformLine = (await read(await t.token('platform'))).body.lines.find(
      (l: { payeeId: string }) => l.payeeId === lab.organizationId,
    );
    expect(platformLine.payeeBankAccount).toBe(MASKED);
    // the change waits for the lab's bureau: the account on file stays, the new one shown waiting
    expect((await t.http.get(`/api/organizations/${lab.organizationId}`).set(auth(lab.token)).expect(200)).body).toMatchObject({
      bankAccount: '**** **** 5432',
      pendingBankAccount: '**** **** 9999',
    });
    await t.ledgerCheck();
  });
  /** A fresh account, in groups of four as people type it, and the same digits as stored. */
  let accounts = 0;
  const freshAccount = () => {
    const digits = `6217${String(process.pid % 10_000).padStart(4, '0')}${String(++accounts).padStart(8, '0')}`;
    return { typed: digits.replace(/(\d{4})(?=\d)/g, '$1 '), digits };
  };

  it('an account is on file for one organization only: a lab cannot name its client enterprise’s account, nor anyone else’s (409)', async () => {
    const client = await t.registerEnterprise('340104', { bankAccount: null });
    const lab = await t.registerProvider('310115', { bankAccount: null });
    const other = await t.registerProvider('320500', { bankAccount: null });
    const account = freshAccount();
    await patch(client, client.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: account.typed }).expect(200);
    // The enterprise is paid into it for its 通用 vouchers; the lab colluding with it would have its subsidy land there too.
    for (const [who, body] of [
      [lab, { bankName: '中国工商银行合肥科技支行', bankAccount: account.digits }],
      [lab, { bankName: '招商银行上海张江支行', bankAccount: account.typed }],
      [other, { bankName: '中国工商银行合肥科技支行', bankAccount: `${account.digits.slice(0, 8)} ${account.digits.slice(8)}` }],
    ] as const) {
      const res = await patch(who, who.organizationId, body);
      expect([res.status, res.body.code]).toEqual([409, 'BANK_ACCOUNT_IN_USE']);
      // naming neither the organization that holds it nor where to find it
      expect(res.body.message).toBe(
        "bankAccount: this account is on file for another organization; put your organization's own account on file (a payee is paid only into an account in its own name)",
      );
      const zh = await patch(who, who.organizationId, body).set('Accept-Language', 'zh-CN');
      expect(zh.body.message).toBe(
        'bankAccount：该账号已登记为其他单位的收款账户，请登记本单位名下的账户（结算款只支付到收款单位本单位名下的账户）',
      );
    }
    // nothing of the refused change was kept: the lab still has no account, and no audit entry says otherwise
    expect((await t.http.get(`/api/organizations/${lab.organizationId}`).set(auth(lab.token)).expect(200)).body.bankAccount).toBeNull();
    // its holder may give it again (no change) and change its other fields; once another account of its own is on file
    // (a change its bureau confirms), the first is free; the account waiting for the bureau is taken meanwhile
    await patch(client, client.organizationId, { bankAccount: account.digits, contactPerson: '王敏' }).expect(200);
    const next = freshAccount();
    await patch(client, client.organizationId, { bankAccount: next.typed }).expect(200);
    const onPending = await patch(other, other.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: next.digits });
    expect([onPending.status, onPending.body.code]).toEqual([409, 'BANK_ACCOUNT_IN_USE']);
    expect((await patch(lab, lab.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: account.typed })).status).toBe(409);
    await t.http
      .post(`/api/organizations/${client.organizationId}/bank-account/confirm`)
      .set(auth(await t.token('bureau-ah')))
      .expect(200);
    await patch(lab, lab.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: account.typed }).expect(200);
    expect((await patch(client, client.organizationId, { bankAccount: account.digits })).status).toBe(409);
  });

  it('an account goes on file once the bureau vetted the organization: no one registering holds a payee’s account or tries which are on file', async () => {
    const payee = await t.registerEnterprise('340104', { bankAccount: null });
    const taken = freshAccount();
    await patch(payee, payee.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: taken.typed }).expect(200);
    // anyone may register: an enterprise not verified yet, a lab not admitted yet
    const squatter = await t.registerEnterprise('340104', { bankAccount: null }, false);
    const applicant = await t.registerProvider('310115', { bankAccount: null }, false);
    const free = freshAccount();
    for (const who of [squatter, applicant]) {
      for (const account of [taken, free]) {
        // the same answer whether another organization has the account or not: nothing to learn from it
        const res = await patch(who, who.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: account.typed });
        expect([res.status, res.body.code, res.body.message]).toEqual([409, 'INVALID_STATE', expect.stringContaining('bankAccount')]);
      }
    }
    const zh = await patch(squatter, squatter.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: free.typed }).set(
      'Accept-Language',
      'zh-CN',
    );
    expect(zh.body.message).toBe('bankAccount：单位经主管部门核验（企业）或准入（服务机构）后方可登记收款账户，本单位当前待核验');
    // nothing kept: the free account is still free for its holder, and the unvetted have none
    for (const who of [squatter, applicant])
      expect((await t.http.get(`/api/organizations/${who.organizationId}`).set(auth(who.token)).expect(200)).body.bankAccount).toBeNull();
    // its other fields and removing an account are not refused
    await patch(squatter, squatter.organizationId, { contactPerson: '王敏', bankAccount: null }).expect(200);
    // once verified, it puts its account on file
    await t.http
      .post(`/api/organizations/${squatter.organizationId}/verify`)
      .set(auth(await t.token('bureau-ah')))
      .send({ certificateNo: `TEST-${squatter.creditCode}` })
      .expect(200);
    await patch(squatter, squatter.organizationId, { bankName: '中国工商银行合肥科技支行', bankAccount: free.typed }).expect(200);
  });

  it('of two organizations putting one account on file at once, exactly one gets it', async () => {
    const [a, b] = [await t.registerProvider('310115', { bankAccount: null }), await t.registerEnterprise('340104', { bankAccount: null })];
    const account = freshAccount();
    const body = { bankName: '中国工商银行合肥科技支行', bankAccount: account.typed };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a)).map(async (who) => {
        const res = await patch(who, who.organizationId, body);
        return { org: who.organizationId, status: res.status, code: res.body.code as string | undefined };
      }),
    );
    const winners = new Set(answers.filter((r) => r.status === 200).map((r) => r.org));
    expect(winners.size).toBe(1);
    // the winner's every request succeeds (the same account again changes nothing); the loser's are each 409
    for (const r of answers) expect([r.status, r.code]).toEqual(winners.has(r.org) ? [200, undefined] : [409, 'BANK_ACCOUNT_IN_USE']);
    const holders = await t.dataSource.query(`SELECT id FROM organization WHERE bank_account = ?`, [account.digits]);
    expect(holders.map((h: { id: string }) => h.id)).toEqual([...winners]);
  });
});
