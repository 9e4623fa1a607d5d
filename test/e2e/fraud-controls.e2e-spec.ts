import { clock } from '../../src/common/clock';
import { Sweeps } from '../../src/common/sweeps';
import { captureConfirmed, freshEvidence, openRegion, paySettlement, policyBody } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { until } from '../support/service-process';
import { setTimeout as sleep } from 'node:timers/promises';
import { auth, creditCodeIn, OrgSession, PASSWORD, TestApp } from '../support/test-app';

/**
 * Issue 14, Trust II: each way the v1 service paid whoever asked, tried again the way an outsider tried it, and now
 * refused. The insider who rewrites the audit chain in the database is in audit-integrity.e2e-spec.ts.
 *
 * The world: Shanghai's policy approves at once up to ¥50,000 (the threshold of the reproduction); Jiangsu's caps by
 * actual controller; Anhui (the province issues) takes two reviewers from ¥100,000 and gives enterprises 7 days to
 * confirm usage. A Shanghai lab lists a TEM at ¥800 an hour (testing: 50%, so ¥400 of subsidy an hour).
 */
const DAY_MS = 86_400_000;
const TEM = { name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };

describe('fraud controls on public money', () => {
  let t: TestApp;
  let shLab: OrgSession;
  let otherLab: OrgSession;
  let tem: string;
  let bureauAh: string;
  let bureauSh: string;
  const year = clock.year();

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '310000', { budgetFen: 1_000_000_000, policy: { autoApproveMaxFen: 5_000_000, maxVoucherFen: 20_000_000 } });
    await openRegion(t, '320000', { budgetFen: 1_000_000_000, policy: { autoApproveMaxFen: 5_000_000, capByController: true } });
    await openRegion(t, '340000', { budgetFen: 1_000_000_000, policy: { dualControlFen: 10_000_000, autoApproveMaxFen: 9_999_999 } });
    shLab = await t.registerProvider('310000', { name: '上海微观表征公共服务平台' });
    otherLab = await t.registerProvider('310000', { name: '上海材料测试中心' });
    tem = (await t.http.post('/api/facilities').set(auth(shLab.token)).send(TEM).expect(201)).body.id;
    bureauAh = await t.token('bureau-ah');
    bureauSh = await t.token('bureau-sh');
  });
  afterAll(() => t.close());

  const apply = async (e: OrgSession, amountFen: number) =>
    (await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen, purpose: '透射电镜表征' }).expect(201)).body;
  const budget = async (regionCode: string) =>
    (
      await t.http
        .get(`/api/budgets/${regionCode}/${year}`)
        .set(auth(await t.token('platform')))
        .expect(200)
    ).body;
  const count = async (table: string) => Number((await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const voucherOf = async (e: OrgSession, id: string) => (await t.http.get(`/api/vouchers/${id}`).set(auth(e.token)).expect(200)).body;
  /** A Hefei enterprise with an Anhui voucher of `amountFen`, approved at once. */
  const hefeiVoucher = async (amountFen = 1_000_000) => {
    const e = await t.registerEnterprise('340100');
    const a = await apply(e, amountFen);
    expect(a.status).toBe('approved');
    return { e, v: a.voucher };
  };
  const hold = async (e: OrgSession, voucherId: string, quantity: number, facilityId = tem) =>
    (await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId, quantity }).expect(201)).body;
  const capture = (id: string, actualQuantity: number, lab = shLab) =>
    t.http.post(`/api/redemptions/${id}/capture`).set(auth(lab.token)).send({ actualQuantity });
  const claim = (lab: OrgSession, redemptionIds: string[], evidence = freshEvidence()) =>
    t.http.post('/api/claims').set(auth(lab.token)).send({ redemptionIds, evidence });

  describe('who may receive a voucher', () => {
    it('twenty unverified enterprises with made-up, checksum-valid credit codes get nothing', async () => {
      const before = await budget('310000');
      const newcomers = await Promise.all(Array.from({ length: 20 }, () => t.registerEnterprise('310000', {}, false)));
      const answers = await Promise.all(newcomers.map((e) => apply(e, 5_000_000)));
      for (const a of answers) {
        expect(a).toMatchObject({ status: 'rejected', reasonCode: 'ENTERPRISE_NOT_VERIFIED' });
        expect(a.voucher).toBeUndefined();
      }
      expect(await budget('310000')).toEqual(before);
      expect((await t.http.get('/api/vouchers').set(auth(newcomers[0].token)).expect(200)).body.total).toBe(0);
    });

    it('an unverified enterprise applying in a loop: twenty refusals recorded in 24 hours, then 429 with Retry-After and nothing recorded', async () => {
      const e = await t.registerEnterprise('310000', {}, false);
      const eventsBefore = await count('domain_event');
      for (let i = 0; i < 20; i++) expect((await apply(e, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
      const eventsOfTwenty = (await count('domain_event')) - eventsBefore;
      const send = () => t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 100_000, purpose: '透射电镜表征' });
      const limited = await send().expect(429);
      expect(limited.body).toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringContaining('20 applications of yours were refused'),
      });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(23 * 3600);
      const zh = await send().set('Accept-Language', 'zh-CN').expect(429);
      expect(zh.body.message).toBe(
        '贵单位近 24 小时内已有 20 份申请因不符合条件被驳回，暂不再受理新的申请（可在 Retry-After 所示时间后再试）；驳回原因见各份申请',
      );
      const listed = await t.http.get('/api/voucher-applications').set(auth(e.token)).expect(200);
      expect(listed.body.total).toBe(20);
      expect((await count('domain_event')) - eventsBefore).toBe(eventsOfTwenty);
      // another enterprise, and approvals, are not counted against it
      const other = await t.registerEnterprise('310000', {}, false);
      expect((await apply(other, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
      // a day later it is heard again
      clock.travel(24 * 3600 * 1000 + 1000);
      try {
        expect((await apply(e, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
      } finally {
        clock.reset();
      }
    });

    it('the 24 hours slide: refusals late in one day and early in the next count together, and each frees its place a day after it', async () => {
      const e = await t.registerEnterprise('310000', {}, false);
      const send = () => t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 100_000, purpose: '透射电镜表征' });
      try {
        expect((await apply(e, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
        clock.travel(23 * 3600 * 1000);
        for (let i = 0; i < 19; i++) expect((await apply(e, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
        await send().expect(429);
        // A day after the first, its place alone is free: one more is recorded, and the next waits for the other nineteen.
        clock.travel(3600 * 1000 + 1000);
        expect((await apply(e, 100_000)).reasonCode).toBe('ENTERPRISE_NOT_VERIFIED');
        const limited = await send().expect(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(22 * 3600);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(23 * 3600);
        expect((await t.http.get('/api/voucher-applications').set(auth(e.token)).expect(200)).body.total).toBe(21);
      } finally {
        clock.reset();
      }
    });

    it('an enterprise its home bureau verified, on its certificate, may apply; another province’s bureau may not verify it', async () => {
      const e = await t.registerEnterprise('310000', {}, false);
      const me = await t.http.get('/api/auth/me').set(auth(e.token)).expect(200);
      expect(me.body.organization.status).toBe('pending_verification');
      const js = await t.token('bureau-js');
      const outsider = await t.http.post(`/api/organizations/${e.organizationId}/verify`).set(auth(js)).send({ certificateNo: 'X' });
      expect(outsider.status).toBe(403);
      const verified = await t.http
        .post(`/api/organizations/${e.organizationId}/verify`)
        .set(auth(bureauSh))
        .send({ certificateNo: '202631010400012345' })
        .expect(200);
      expect(verified.body).toMatchObject({ status: 'active', certificateNo: '202631010400012345', verifiedAt: expect.any(String) });
      expect((await apply(e, 3_000_000)).status).toBe('approved');
      const again = await t.http.post(`/api/organizations/${e.organizationId}/verify`).set(auth(bureauSh)).send({ certificateNo: 'Y' });
      expect(again.status).toBe(409);
      const zh = await t.http
        .post(`/api/organizations/${e.organizationId}/verify`)
        .set(auth(bureauSh))
        .set('Accept-Language', 'zh-CN')
        .send({ certificateNo: 'Y' })
        .expect(409);
      expect(zh.body.message).toBe('该企业已通过核验，无需重复核验；如需更正证书编号，请填写更正理由');

      // A typo in the number is corrected with a reason, by a bureau of its region only; it stays verified as it was.
      const correction = { certificateNo: '202631010400012354', reason: '核验时证书编号录入有误（末两位颠倒）' };
      await t.http.post(`/api/organizations/${e.organizationId}/verify`).set(auth(js)).send(correction).expect(403);
      const corrected = await t.http.post(`/api/organizations/${e.organizationId}/verify`).set(auth(bureauSh)).send(correction).expect(200);
      expect(corrected.body).toMatchObject({ status: 'active', certificateNo: '202631010400012354', verifiedAt: verified.body.verifiedAt });
      await t.http.post(`/api/organizations/${e.organizationId}/verify`).set(auth(bureauSh)).send(correction).expect(200);
      const entries = (await t.http.get(`/api/audit?entityId=${e.organizationId}`).set(auth(bureauSh)).expect(200)).body.items;
      expect(entries.filter((a: { action: string }) => a.action === 'enterprise.certificate_corrected')).toEqual([
        expect.objectContaining({
          summary: expect.objectContaining({ from: '202631010400012345', to: correction.certificateNo, reason: correction.reason }),
        }),
      ]);
      expect((await t.http.get('/api/auth/me').set(auth(e.token)).expect(200)).body.organization.certificateNo).toBe('202631010400012354');
      expect((await apply(e, 1_000_000)).status).toBe('approved');
    });

    it('a declined enterprise stays refused, and may be verified later on a valid certificate', async () => {
      const e = await t.registerEnterprise('310000', { certificateNo: '202631010400077777' }, false);
      const declined = await t.http
        .post(`/api/organizations/${e.organizationId}/decline`)
        .set(auth(bureauSh))
        .send({ reason: '入库编号与企业不符' })
        .expect(200);
      // What it stated stays on the row, for the bureau to compare a later verification with.
      expect(declined.body).toMatchObject({ status: 'declined', statusReason: '入库编号与企业不符', certificateNo: '202631010400077777' });
      expect((await t.http.get(`/api/organizations/${e.organizationId}`).set(auth(bureauSh)).expect(200)).body.certificateNo).toBe(
        '202631010400077777',
      );
      expect(await apply(e, 1_000_000)).toMatchObject({ status: 'rejected', reasonCode: 'ENTERPRISE_NOT_VERIFIED' });
      await t.http
        .post(`/api/organizations/${e.organizationId}/verify`)
        .set(auth(bureauSh))
        .send({ certificateNo: 'GR202631000123' })
        .expect(200);
      expect((await apply(e, 1_000_000)).status).toBe('approved');
      // The enterprise hears of each outcome, and why it was declined.
      const told = await until(
        'both outcomes told',
        async () => {
          const items = (await t.http.get('/api/notifications?limit=100').set(auth(e.token)).expect(200)).body.items as {
            kind: string;
            title: string;
            body: string;
          }[];
          const found = items.filter((n) => n.kind.startsWith('enterprise_'));
          return found.length === 2 ? found : undefined;
        },
        10_000,
      );
      expect(told.map((n) => [n.kind, n.title])).toEqual(
        expect.arrayContaining([
          ['enterprise_declined', '【长三角科技创新券】贵单位未通过企业核验'],
          ['enterprise_verified', '【长三角科技创新券】贵单位已通过企业核验'],
        ]),
      );
      const body = (kind: string) => told.find((n) => n.kind === kind)!.body;
      expect(body('enterprise_declined')).toContain('理由：入库编号与企业不符。');
      expect(body('enterprise_declined')).toContain('请联系上海市科学技术委员会。');
      expect(body('enterprise_verified')).toContain('（证书编号 GR202631000123），现可申请科技创新券。');
    });

    it('a Beijing or Guangdong credit code does not register at all', async () => {
      for (const region of ['110000', '440300']) {
        const creditCode = creditCodeIn(region);
        const res = await t.http
          .post('/api/auth/register')
          .send({ username: `outside-${region}`, password: PASSWORD, role: 'enterprise', organization: { name: '外省企业', creditCode } })
          .expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('organization.creditCode') });
      }
    });

    it('a province’s qualified list (CSV) makes the enterprises it names active at registration; bad rows are named by line', async () => {
      const [listed, waiting, misstated] = [creditCodeIn('310000'), creditCodeIn('310000'), creditCodeIn('310000')];
      const pending = await t.registerEnterprise('310000', { creditCode: waiting, certificateNo: '202631010400000004' }, false);
      // A credit code is public: one waiting under a listed code that names another certificate stays waiting.
      const squatter = await t.registerEnterprise('310000', { creditCode: misstated, certificateNo: '202631010400009999' }, false);
      const broken = `${listed.slice(0, 17)}${listed[17] === '0' ? '1' : '0'}`; // a wrong check character
      const csv = `\uFEFFcreditCode,certificateNo\r\n${listed},202631010400000001\r\n${broken},202631010400000002\r\n${creditCodeIn('320500')},202632050000000003\r\n${waiting},202631010400000004\r\n${creditCodeIn('310000')},\r\n${misstated},202631010400000005\r\n`;
      const put = () => t.http.put('/api/qualified-enterprises/310000').set(auth(bureauSh)).set('Content-Type', 'text/csv').send(csv);
      const res = await put().expect(200);
      expect(res.body.imported).toBe(3);
      expect(res.body.rejected.map((r: { line: number }) => r.line)).toEqual([3, 4, 6]); // the header is line 1
      expect(res.body.rejected[1].reason).toContain('outside 310000');
      // Loading the same list again changes nothing; a bureau reading Chinese reads why in Chinese.
      expect((await put().expect(200)).body).toEqual(res.body);
      const zh = await put().set('Accept-Language', 'zh-CN').expect(200);
      expect(zh.body.rejected).toEqual([
        { line: 3, reason: 'creditCode：必须是有效的统一社会信用代码（18 位，校验码符合 GB 32100）' },
        { line: 4, reason: expect.stringMatching(/^creditCode：\w{18} 的登记地不在 310000 辖区内$/) },
        { line: 6, reason: 'certificateNo：必须是 1 到 64 个字符' },
      ]);

      // The enterprise that was waiting became active with the import; the listed one registers active.
      expect((await t.http.get('/api/auth/me').set(auth(pending.token)).expect(200)).body.organization).toMatchObject({
        status: 'active',
        certificateNo: '202631010400000004',
      });
      expect((await t.http.get('/api/auth/me').set(auth(squatter.token)).expect(200)).body.organization).toMatchObject({
        status: 'pending_verification',
        certificateNo: '202631010400009999',
      });
      const newcomer = await t.registerEnterprise('310000', { creditCode: listed, certificateNo: ' 202631010400000001' }, false);
      const me = (await t.http.get('/api/auth/me').set(auth(newcomer.token)).expect(200)).body.organization;
      expect(me).toMatchObject({ status: 'active', certificateNo: '202631010400000001' });
      // Verified by the list at registration as by an import: the audit log and the event feed say so, as for the one waiting.
      for (const e of [newcomer, pending]) {
        const entries = (await t.http.get(`/api/audit?entityId=${e.organizationId}`).set(auth(bureauSh)).expect(200)).body.items;
        expect(entries).toContainEqual(
          expect.objectContaining({ action: 'enterprise.verified', summary: expect.objectContaining({ by: 'qualified_list' }) }),
        );
        const events = (await t.http.get('/api/events?limit=100').set(auth(e.token)).expect(200)).body.items;
        expect(events.map((v: { type: string }) => v.type)).toContain('enterprise.verified');
      }
      expect((await apply(newcomer, 2_000_000)).status).toBe('approved');
    });

    it('a listed code registered without its certificate, or with a controller declared, waits for the bureau', async () => {
      const [bare, controlled] = [creditCodeIn('310000'), creditCodeIn('310000')];
      const rows = [
        { creditCode: bare, certificateNo: 'GR202631000111' },
        { creditCode: controlled, certificateNo: 'GR202631000222' },
      ];
      await t.http.put('/api/qualified-enterprises/310000').set(auth(bureauSh)).send({ rows }).expect(200);
      const squatter = await t.registerEnterprise('310000', { creditCode: bare }, false);
      const grouped = await t.registerEnterprise(
        '310000',
        { creditCode: controlled, certificateNo: 'GR202631000222', controllerCreditCode: creditCodeIn('310000') },
        false,
      );
      for (const e of [squatter, grouped]) {
        const org = (await t.http.get('/api/auth/me').set(auth(e.token)).expect(200)).body.organization;
        expect(org.status).toBe('pending_verification');
        expect(await apply(e, 100_000)).toMatchObject({ status: 'rejected', reasonCode: 'ENTERPRISE_NOT_VERIFIED' });
      }
      // Loading the list again activates neither: the first never named the number, the second names a controller.
      await t.http.put('/api/qualified-enterprises/310000').set(auth(bureauSh)).send({ rows }).expect(200);
      for (const e of [squatter, grouped]) {
        expect((await t.http.get('/api/auth/me').set(auth(e.token)).expect(200)).body.organization.status).toBe('pending_verification');
      }
    });

    it('the qualified list takes JSON rows too, and only from the bureau of the region', async () => {
      const code = creditCodeIn('320500');
      const body = { rows: [{ creditCode: code, certificateNo: 'GR202332000456' }] };
      await t.http.put('/api/qualified-enterprises/320000').set(auth(bureauSh)).send(body).expect(403);
      const res = await t.http
        .put('/api/qualified-enterprises/320000')
        .set(auth(await t.token('bureau-js')))
        .send(body)
        .expect(200);
      expect(res.body).toEqual({ imported: 1, rejected: [] });
      // A code listed twice with two numbers is refused on its second line (the same number again is harmless), in Chinese too.
      const twice = creditCodeIn('320500');
      const rows = [
        { creditCode: twice, certificateNo: 'GR202332000457' },
        { creditCode: twice, certificateNo: 'gr202332000457 ' },
        { creditCode: twice, certificateNo: '202332050400001' },
      ];
      const refused = await t.http
        .put('/api/qualified-enterprises/320000')
        .set(auth(await t.token('bureau-js')))
        .set('Accept-Language', 'zh-CN')
        .send({ rows })
        .expect(200);
      expect(refused.body).toEqual({
        imported: 2,
        rejected: [{ line: 3, reason: `creditCode：${twice} 已在第 1 行列出，证书编号为 GR202332000457；同一代码只能列出一次` }],
      });
      const listed = await t.registerEnterprise('320500', { creditCode: twice, certificateNo: 'GR202332000457' }, false);
      expect((await t.http.get('/api/auth/me').set(auth(listed.token)).expect(200)).body.organization.status).toBe('active');
    });
  });

  describe('auto-approval on the running total of the year', () => {
    it('a second ¥30k application after a ¥30k one goes to review when the threshold is ¥50k', async () => {
      const e = await t.registerEnterprise('310000');
      expect((await apply(e, 3_000_000)).status).toBe('approved');
      const second = await apply(e, 3_000_000);
      expect(second).toMatchObject({ status: 'pending_review' });
      expect(second.voucher).toBeUndefined();
    });

    it('eleven ¥50k applications from one new enterprise: the first is approved at once, the other ten wait for a reviewer', async () => {
      const e = await t.registerEnterprise('310000');
      const before = await budget('310000');
      const answers = [];
      for (let i = 0; i < 11; i++) answers.push(await apply(e, 5_000_000));
      expect(answers.map((a) => a.status)).toEqual(['approved', ...Array(10).fill('pending_review')]);
      expect((await budget('310000')).committedFen - before.committedFen).toBe(5_000_000);
    });

    it('with capByController, the group’s running total counts: a sister company’s application goes to review', async () => {
      const controllerCreditCode = creditCodeIn('320000');
      const a = await t.registerEnterprise('320500', { controllerCreditCode });
      const b = await t.registerEnterprise('320500', { controllerCreditCode });
      expect((await apply(a, 3_000_000)).status).toBe('approved');
      expect((await apply(b, 3_000_000)).status).toBe('pending_review');
      const unrelated = await t.registerEnterprise('320500');
      expect((await apply(unrelated, 3_000_000)).status).toBe('approved');
    });
  });

  describe('maker-checker on approvals', () => {
    it('an Anhui application of ¥100,000 or more takes two bureau users: 202, then the other completes it', async () => {
      const e = await t.registerEnterprise('340100');
      const a = await apply(e, 12_000_000);
      expect(a.status).toBe('pending_review');
      const before = await budget('340000');
      const first = await t.http
        .post(`/api/voucher-applications/${a.id}/approve`)
        .set(auth(bureauAh))
        .send({ amountFen: 11_000_000 })
        .expect(202);
      expect(first.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 11_000_000 });
      expect(first.body.voucher).toBeUndefined();
      expect(await budget('340000')).toEqual(before);

      const same = await t.http.post(`/api/voucher-applications/${a.id}/approve`).set(auth(bureauAh)).send({}).expect(403);
      expect(same.body.code).toBe('DUAL_CONTROL_REQUIRED');
      const second = await t.token('bureau-ah-2');
      await t.http.post(`/api/voucher-applications/${a.id}/approve`).set(auth(second)).send({ amountFen: 12_000_000 }).expect(400);
      const done = await t.http.post(`/api/voucher-applications/${a.id}/approve`).set(auth(second)).send({}).expect(200);
      expect(done.body).toMatchObject({ status: 'approved', approvedFen: 11_000_000, voucher: { faceValueFen: 11_000_000 } });
      expect((await budget('340000')).committedFen - before.committedFen).toBe(11_000_000);
    });

    it('an API key is the person who made it: neither the first approver’s key nor two keys of one person make two users', async () => {
      const keyOf = async (token: string) =>
        (await t.http.post('/api/api-keys').set(auth(token)).send({ name: '省级平台对接' }).expect(201)).body.key as string;
      const [key, secondKey] = [await keyOf(bureauAh), await keyOf(bureauAh)];
      const approve = (token: string, id: string) => t.http.post(`/api/voucher-applications/${id}/approve`).set(auth(token)).send({});
      const e = await t.registerEnterprise('340100');
      const a = await apply(e, 12_000_000);
      await approve(bureauAh, a.id).expect(202);
      expect((await approve(key, a.id).expect(403)).body.code).toBe('DUAL_CONTROL_REQUIRED');
      const b = await apply(e, 12_000_000);
      await approve(key, b.id).expect(202);
      expect((await approve(secondKey, b.id).expect(403)).body.code).toBe('DUAL_CONTROL_REQUIRED');
      expect((await approve(bureauAh, b.id).expect(403)).body.code).toBe('DUAL_CONTROL_REQUIRED');
      const other = await t.token('bureau-ah-2');
      expect((await approve(other, b.id).expect(200)).body).toMatchObject({ status: 'approved', approvedFen: 12_000_000 });
      expect((await approve(other, a.id).expect(200)).body.status).toBe('approved');
    });

    it('below the threshold one reviewer approves, as before', async () => {
      const e = await t.registerEnterprise('340100');
      const a = await apply(e, 11_000_000);
      const over = await t.http
        .post(`/api/voucher-applications/${a.id}/approve`)
        .set(auth(bureauAh))
        .set('Accept-Language', 'zh-CN')
        .send({ amountFen: 11_000_001 })
        .expect(400);
      expect(over.body.message).toBe('amountFen：核定金额不能超过申请金额 ¥110,000.00');
      await t.http.post(`/api/voucher-applications/${a.id}/approve`).set(auth(bureauAh)).send({ amountFen: 9_999_999 }).expect(200);
    });
  });

  describe('capture and the enterprise’s confirmation of the service', () => {
    it('a provider cannot capture 1,000 hours on a 1-hour hold: the enterprise owes nothing it did not agree to', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 1);
      const res = await capture(h.id, 1000).expect(422);
      expect(res.body.code).toBe('CAPTURE_EXCEEDS_HOLD');
      const zh = await capture(h.id, 1000).set('Accept-Language', 'zh-CN').expect(422);
      expect(zh.body.message).toBe('实际用量 1000 小时超过冻结的用量 1 小时，用券企业未同意更多用量');
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 960_000, heldFen: 40_000, spentFen: 0 });
      const r = (await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body;
      expect(r).toMatchObject({ status: 'held', quantity: 1, feeFen: 80_000, selfPayFen: 40_000 });
    });

    it('what a bureau finds after the hold binds its capture: a relation, a suspension; the hold stays for the lab to cancel', async () => {
      const lab = await t.registerProvider('310000');
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      const { e, v } = await hefeiVoucher();
      const related = await hold(e, v.id, 2, facility);
      const suspended = await hold(e, v.id, 1, facility);
      await t.http
        .post('/api/relations')
        .set(auth(await t.token('bureau-js')))
        .send({ creditCodeA: lab.creditCode, creditCodeB: e.creditCode, reason: '实际控制人为同一人' })
        .expect(201);
      const refused = await capture(related.id, 2, lab).set('Accept-Language', 'zh-CN').expect(422);
      expect(refused.body).toEqual({
        statusCode: 422,
        code: 'RELATED_PARTY',
        message: `冻结后查明用券企业 ${e.creditCode} 与服务机构 ${lab.creditCode} 存在关联关系，本券政策禁止关联方用券，该笔冻结不能核销`,
      });
      expect(await voucherOf(e, v.id)).toMatchObject({ heldFen: 120_000, spentFen: 0 });
      await t.http.post(`/api/redemptions/${related.id}/cancel`).set(auth(lab.token)).send({}).expect(200);

      // A suspension binds too, as it refuses a new hold.
      await t.http.post(`/api/providers/${lab.organizationId}/suspend`).set(auth(bureauSh)).send({ reason: '虚假使用记录' }).expect(200);
      expect((await capture(suspended.id, 1, lab).expect(422)).body.code).toBe('PROVIDER_NOT_ACTIVE');
      expect((await capture(suspended.id, 1, lab).set('Accept-Language', 'zh-CN').expect(422)).body.message).toBe(
        '服务机构当前已暂停服务，不能核销该笔冻结',
      );
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 960_000, heldFen: 40_000, spentFen: 0 });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('a hold outside a booking is not captured after its voucher’s last valid day', async () => {
      const { e, v } = await hefeiVoucher();
      const validUntilMs = Date.parse(`${v.validUntil}T00:00:00Z`);
      const h = await hold(e, v.id, 1);
      try {
        // The day after the last valid one, with the hold still live (held for 30 days from the last day's morning).
        clock.travel(validUntilMs - clock.now().getTime());
        const late = await hold(e, v.id, 1);
        clock.travel(DAY_MS);
        expect((await capture(late.id, 1).expect(422)).body.code).toBe('VOUCHER_EXPIRED');
        const [y, m, d] = v.validUntil.split('-').map(Number);
        expect((await capture(late.id, 1).set('Accept-Language', 'zh-CN').expect(422)).body.message).toBe(
          `创新券有效期已于 ${y}年${m}月${d}日 届满，此后的用量不予补贴`,
        );
        expect((await capture(h.id, 1).expect(409)).body.code).toBe('INVALID_STATE'); // the first expired long ago
      } finally {
        clock.reset();
      }
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('nobody claims usage the enterprise has not confirmed; once it confirms, the lab claims it', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 2);
      const captured = (await capture(h.id, 2).expect(200)).body;
      expect(captured).toMatchObject({ usage: 'pending', capturedSubsidyFen: 80_000 });
      expect((await claim(shLab, [h.id]).expect(422)).body.code).toBe('USAGE_NOT_CONFIRMED');
      // Only the enterprise answers: the lab is refused, another enterprise does not see it.
      await t.http.post(`/api/redemptions/${h.id}/confirm`).set(auth(shLab.token)).expect(403);
      const stranger = await t.registerEnterprise('340100');
      await t.http.post(`/api/redemptions/${h.id}/confirm`).set(auth(stranger.token)).expect(404);
      const confirmed = await t.http.post(`/api/redemptions/${h.id}/confirm`).set(auth(e.token)).expect(200);
      expect(confirmed.body).toMatchObject({ usage: 'confirmed', usageDecidedAt: expect.any(String) });
      await t.http.post(`/api/redemptions/${h.id}/dispute`).set(auth(e.token)).send({ reason: '晚了' }).expect(409);
      expect((await claim(shLab, [h.id]).expect(201)).body.claimedFen).toBe(80_000);
    });

    it('a disputed usage is claimed only after the issuing bureau resolves it, at the usage it found', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 2);
      await capture(h.id, 2).expect(200);
      const disputed = await t.http
        .post(`/api/redemptions/${h.id}/dispute`)
        .set(auth(e.token))
        .send({ reason: '实际只用了 1 小时' })
        .expect(200);
      expect(disputed.body).toMatchObject({ usage: 'disputed', disputeReason: '实际只用了 1 小时' });
      expect((await claim(shLab, [h.id]).expect(422)).body.code).toBe('USAGE_DISPUTED');

      await t.http.post(`/api/redemptions/${h.id}/resolve`).set(auth(shLab.token)).send({ actualQuantity: 1 }).expect(403);
      await t.http.post(`/api/redemptions/${h.id}/resolve`).set(auth(bureauSh)).send({ actualQuantity: 1 }).expect(403);
      const over = await t.http
        .post(`/api/redemptions/${h.id}/resolve`)
        .set(auth(bureauAh))
        .set('Accept-Language', 'zh-CN')
        .send({ actualQuantity: 3 })
        .expect(400);
      expect(over.body.message).toBe('actualQuantity：裁定用量不能超过已核销的用量 2 小时');
      const resolved = await t.http.post(`/api/redemptions/${h.id}/resolve`).set(auth(bureauAh)).send({ actualQuantity: 1 }).expect(200);
      expect(resolved.body).toMatchObject({
        status: 'captured',
        usage: 'confirmed',
        quantity: 2,
        subsidyFen: 80_000,
        capturedQuantity: 1,
        capturedFeeFen: 80_000,
        capturedSubsidyFen: 40_000,
      });
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 960_000, heldFen: 0, spentFen: 40_000 });
      await t.http.post(`/api/redemptions/${h.id}/resolve`).set(auth(bureauAh)).send({ actualQuantity: 1 }).expect(409);
      // The parties' event says what was found, not which bureau user found it (the audit log keeps that).
      const resolver = (await t.http.get('/api/auth/me').set(auth(bureauAh)).expect(200)).body.user.id as string;
      const seen = (await t.http.get('/api/events?limit=500').set(auth(e.token)).expect(200)).body.items as {
        type: string;
        data: object;
      }[];
      const resolution = seen.filter((x) => x.type === 'redemption.dispute_resolved');
      expect(resolution).toHaveLength(1);
      expect(JSON.stringify(resolution[0].data)).not.toContain(resolver);
      expect((await claim(shLab, [h.id]).expect(201)).body.claimedFen).toBe(40_000);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('a dispute resolved at zero annuls the capture: the whole subsidy goes back to the voucher, nothing to claim', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 2);
      await capture(h.id, 2).expect(200);
      await t.http.post(`/api/redemptions/${h.id}/dispute`).set(auth(e.token)).send({ reason: '服务未实际提供' }).expect(200);
      const resolved = await t.http.post(`/api/redemptions/${h.id}/resolve`).set(auth(bureauAh)).send({ actualQuantity: 0 }).expect(200);
      expect(resolved.body).toMatchObject({ status: 'cancelled', usage: 'confirmed', capturedSubsidyFen: 0 });
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 1_000_000, heldFen: 0, spentFen: 0 });
      expect((await claim(shLab, [h.id]).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('silence confirms when confirmDays pass: the sweep, or a claim or a late answer in passing; disputes close', async () => {
      const { e, v } = await hefeiVoucher();
      const [a, b, c] = [await hold(e, v.id, 1), await hold(e, v.id, 1), await hold(e, v.id, 1)];
      const captured = (await capture(a.id, 1).expect(200)).body;
      await capture(b.id, 1).expect(200);
      await capture(c.id, 1).expect(200);
      expect(Date.parse(captured.usageDueAt) - Date.parse(captured.capturedAt)).toBe(7 * DAY_MS);
      clock.travel(7 * DAY_MS + 1000);
      try {
        // Read before any sweep: it already reads confirmed.
        expect((await t.http.get(`/api/redemptions/${c.id}`).set(auth(e.token)).expect(200)).body.usage).toBe('confirmed');
        expect((await t.get(Sweeps).runAll())['usage-confirmation']).toBeGreaterThanOrEqual(1);
        const cNow = (await t.http.get(`/api/redemptions/${c.id}`).set(auth(e.token)).expect(200)).body;
        expect(cNow).toMatchObject({ usage: 'confirmed', usageDecidedAt: cNow.usageDueAt });
        expect((await t.get(Sweeps).runAll())['usage-confirmation']).toBe(0);
        // The others were confirmed by the sweep too; a late dispute is refused, and the lab claims them all.
        const late = await t.http.post(`/api/redemptions/${b.id}/dispute`).set(auth(e.token)).send({ reason: '太晚了' }).expect(409);
        expect(late.body.message).toContain('closed');
        expect((await claim(shLab, [a.id, b.id, c.id]).expect(201)).body.claimedFen).toBe(120_000);
      } finally {
        clock.reset();
      }
    });

    it('a claim confirms silent usage in passing, before the sweep gets to it', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 1);
      await capture(h.id, 1).expect(200);
      clock.travel(7 * DAY_MS + 1000);
      try {
        expect((await claim(shLab, [h.id]).expect(201)).body.claimedFen).toBe(40_000);
        const now = (await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body;
        expect(now).toMatchObject({ usage: 'confirmed', usageDecidedAt: now.usageDueAt });
      } finally {
        clock.reset();
      }
    });

    it('the enterprise rates a confirmed service once; the facility shows the average and the count', async () => {
      const { e, v } = await hefeiVoucher();
      const [a, b] = [await hold(e, v.id, 1), await hold(e, v.id, 1)];
      await capture(a.id, 1).expect(200);
      await t.http.post(`/api/redemptions/${a.id}/rating`).set(auth(e.token)).send({ score: 5 }).expect(409);
      await t.http.post(`/api/redemptions/${a.id}/confirm`).set(auth(e.token)).expect(200);
      await captureConfirmed(t, shLab.token, e.token, b.id, 1);
      const before = (await t.http.get(`/api/facilities/${tem}`).expect(200)).body;
      await t.http.post(`/api/redemptions/${a.id}/rating`).set(auth(e.token)).send({ score: 5, comment: '数据质量高' }).expect(201);
      await t.http.post(`/api/redemptions/${b.id}/rating`).set(auth(e.token)).send({ score: 4 }).expect(201);
      expect((await t.http.post(`/api/redemptions/${a.id}/rating`).set(auth(e.token)).send({ score: 1 }).expect(409)).body.code).toBe(
        'DUPLICATE',
      );
      const after = (await t.http.get(`/api/facilities/${tem}`).expect(200)).body;
      expect(after.ratingCount).toBe(before.ratingCount + 2);
      const ratings = (await t.http.get(`/api/facilities/${tem}/ratings`).expect(200)).body;
      const sum = ratings.items.reduce((s: number, r: { score: number }) => s + r.score, 0);
      expect(ratings.total).toBe(after.ratingCount);
      expect(after.ratingAvg).toBe(Math.round((sum * 10) / after.ratingCount) / 10);
    });
  });

  describe('claims and settlement', () => {
    /** A captured, confirmed redemption of `hours` TEM hours on a fresh Hefei voucher, payable to `lab`. */
    const confirmedUsage = async (hours = 1, lab = shLab, facility = tem) => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, hours, facility);
      await captureConfirmed(t, lab.token, e.token, h.id, hours);
      return h.id as string;
    };

    it('a ¥0 claim is refused: a capture of 0 hours has nothing to claim', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 1);
      await captureConfirmed(t, shLab.token, e.token, h.id, 0);
      expect((await claim(shLab, [h.id]).expect(422)).body.code).toBe('NOTHING_TO_CLAIM');
    });

    it('the same invoice number is accepted on one claim only, however it is written, until that claim is rejected', async () => {
      const [a, b] = [await confirmedUsage(), await confirmedUsage()];
      const first = await claim(shLab, [a], { contractNo: 'HT-1', invoiceNo: '3100-2613 702' }).expect(201);
      for (const invoiceNo of ['31002613702', '３１００２６１３７０２']) {
        const res = await claim(shLab, [b], { contractNo: 'HT-2', invoiceNo }).expect(422);
        expect(res.body).toMatchObject({ code: 'DUPLICATE_INVOICE', message: expect.stringContaining(first.body.id) });
      }
      await t.http.post(`/api/claims/${first.body.id}/reject`).set(auth(bureauAh)).send({ reason: '发票金额与合同不符' }).expect(200);
      await claim(shLab, [b], { contractNo: 'HT-2', invoiceNo: '31002613702' }).expect(201);
      // Another claimant's invoice numbers are its own.
      const other = await confirmedUsage(
        1,
        otherLab,
        (await t.http.post('/api/facilities').set(auth(otherLab.token)).send(TEM).expect(201)).body.id,
      );
      await claim(otherLab, [other], { contractNo: 'HT-3', invoiceNo: '31002613702' }).expect(201);
    });

    it('one invoice of a lab backs one claim, whoever claims it: the lab’s and an enterprise’s reimbursement cannot share it', async () => {
      // the enterprise paid one TEM hour in full and claims it back on the lab's invoice
      const { e, v } = await hefeiVoucher();
      const paidInFull = (
        await t.http
          .post('/api/redemptions')
          .set(auth(e.token))
          .send({ voucherId: v.id, facilityId: tem, quantity: 1, mode: 'enterprise_reimbursed' })
          .expect(201)
      ).body;
      await captureConfirmed(t, shLab.token, e.token, paidInFull.id, 1);
      const invoice = { contractNo: 'HT-E', invoiceNo: '2631 0000 0000 1234 5678' };
      const reimbursed = (await claim(e, [paidInFull.id], invoice).expect(201)).body;
      // the lab claims another service on that same invoice, written another way: refused, naming no one else's claim
      const another = await confirmedUsage();
      const refused = await claim(shLab, [another], { contractNo: 'HT-L', invoiceNo: '26310000000012345678' })
        .set('Accept-Language', 'zh-CN')
        .expect(422);
      expect(refused.body).toMatchObject({ code: 'DUPLICATE_INVOICE' });
      expect(refused.body.message).toContain('一张发票只能支持一笔申报');
      expect(refused.body.message).not.toContain(reimbursed.id);
      // the same number issued by another lab is that lab's own invoice
      const elsewhere = await confirmedUsage(
        1,
        otherLab,
        (await t.http.post('/api/facilities').set(auth(otherLab.token)).send(TEM).expect(201)).body.id,
      );
      await claim(otherLab, [elsewhere], { contractNo: 'HT-O', invoiceNo: invoice.invoiceNo }).expect(201);
      // rejected to be corrected, the enterprise's claim lets the invoice go; rejected for good, it would keep it
      await t.http.post(`/api/claims/${reimbursed.id}/reject`).set(auth(bureauAh)).send({ reason: '发票抬头有误' }).expect(200);
      const taken = (await claim(shLab, [another], invoice).expect(201)).body;
      await t.http.post(`/api/claims/${taken.id}/reject`).set(auth(bureauAh)).send({ reason: '虚开发票', final: true }).expect(200);
      expect((await claim(e, [paidInFull.id], invoice).expect(422)).body.code).toBe('DUPLICATE_INVOICE');
    });

    it('a sanctioned lab’s pending claim is neither approved nor settled nor paid until the sanction is lifted', async () => {
      const lab = await t.registerProvider('310000');
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      const first = (await claim(lab, [await confirmedUsage(1, lab, facility)]).expect(201)).body;
      const zj = await t.token('bureau-zj');
      const sanction = (
        await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: lab.creditCode, reason: '伪造检测报告' }).expect(201)
      ).body;

      expect((await t.http.post(`/api/claims/${first.id}/approve`).set(auth(bureauAh)).send({}).expect(422)).body.code).toBe('SANCTIONED');
      await t.http.post(`/api/sanctions/${sanction.id}/lift`).set(auth(zj)).send({}).expect(200);
      await t.http.post(`/api/claims/${first.id}/approve`).set(auth(bureauAh)).send({}).expect(200);

      // Sanctioned again before the batch: its approved claim stays out of it.
      const again = (await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: lab.creditCode, reason: '再次违规' }).expect(201))
        .body;
      const clean = (await claim(shLab, [await confirmedUsage()]).expect(201)).body;
      await t.http.post(`/api/claims/${clean.id}/approve`).set(auth(bureauAh)).send({}).expect(200);
      const batch = (await t.http.post('/api/settlements').set(auth(bureauAh)).send({ regionCode: '340000' }).expect(201)).body;
      expect(batch.lines.map((l: { payeeId: string }) => l.payeeId)).not.toContain(lab.organizationId);
      expect((await t.http.get(`/api/claims/${first.id}`).set(auth(bureauAh)).expect(200)).body.settlementId).toBeUndefined();
      await paySettlement(t, '340000', batch.id);

      // Cleared: the next batch takes it.
      await t.http.post(`/api/sanctions/${again.id}/lift`).set(auth(zj)).send({}).expect(200);
      const later = (await t.http.post('/api/settlements').set(auth(bureauAh)).send({ regionCode: '340000' }).expect(201)).body;
      expect(later.lines).toEqual([expect.objectContaining({ payeeId: lab.organizationId, amountFen: 40_000, claimIds: [first.id] })]);

      // Sanctioned between the batch and the payment: its line is held back at payment, its claim waits, approved.
      const third = (await claim(lab, [await confirmedUsage(1, lab, facility)]).expect(201)).body;
      await t.http.post(`/api/claims/${third.id}/approve`).set(auth(bureauAh)).send({}).expect(200);
      const cleanTwo = (await claim(shLab, [await confirmedUsage()]).expect(201)).body;
      await t.http.post(`/api/claims/${cleanTwo.id}/approve`).set(auth(bureauAh)).send({}).expect(200);
      await paySettlement(t, '340000', later.id);
      const mixed = (await t.http.post('/api/settlements').set(auth(bureauAh)).send({ regionCode: '340000' }).expect(201)).body;
      expect(mixed.lines).toHaveLength(2);
      await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: lab.creditCode, reason: '第三次' }).expect(201);
      const paid = (await paySettlement(t, '340000', mixed.id)).body;
      expect(paid).toMatchObject({ status: 'paid', totalFen: 40_000 });
      expect(paid.lines.map((l: { payeeId: string }) => l.payeeId)).toEqual([shLab.organizationId]);
      expect((await t.http.get(`/api/claims/${third.id}`).set(auth(bureauAh)).expect(200)).body).toMatchObject({ status: 'approved' });
      expect((await t.http.get(`/api/claims/${third.id}`).set(auth(bureauAh)).expect(200)).body.settlementId).toBeUndefined();
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('a sanction on an actual controller binds the companies it controls: no voucher, no order, no capture, no claim, no approval', async () => {
      const controller = creditCodeIn('310000');
      const zj = await t.token('bureau-zj');
      // before the sanction: a lab under the controller holds an order and a confirmed usage, and has claimed a third
      const lab = await t.registerProvider('310000', { controllerCreditCode: controller });
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      const pending = (await claim(lab, [await confirmedUsage(1, lab, facility)]).expect(201)).body;
      const unclaimed = await confirmedUsage(1, lab, facility);
      const { e, v } = await hefeiVoucher();
      const held = await hold(e, v.id, 1, facility);
      const shell = await t.registerEnterprise('340100', { controllerCreditCode: controller });

      const sanction = (
        await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: controller, reason: '骗取财政补贴' }).expect(201)
      ).body;
      // the shell company it set up gets no voucher: its application is refused at once, saying why
      const refused = await t.http
        .post('/api/voucher-applications')
        .set(auth(shell.token))
        .set('Accept-Language', 'zh-CN')
        .send({ amountFen: 100_000, purpose: '透射电镜表征' })
        .expect(201);
      expect(refused.body).toMatchObject({
        status: 'rejected',
        reasonCode: 'SANCTIONED',
        reason: '企业或其实际控制人处于科研失信惩戒期内，暂不能申请创新券',
      });
      // its lab takes no order, captures no earlier hold, claims nothing, and its pending claim is not approved
      const order = await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: facility, quantity: 1 });
      expect([order.status, order.body.code]).toEqual([422, 'SANCTIONED']);
      expect((await capture(held.id, 1, lab).expect(422)).body.code).toBe('SANCTIONED');
      expect((await claim(lab, [unclaimed]).expect(422)).body.code).toBe('SANCTIONED');
      expect((await t.http.post(`/api/claims/${pending.id}/approve`).set(auth(bureauAh)).send({}).expect(422)).body.code).toBe(
        'SANCTIONED',
      );
      expect((await t.http.get(`/api/facilities/${facility}`).expect(200)).body).toMatchObject({ status: 'suspended', bookable: false });

      // lifted: all of it goes on
      await t.http.post(`/api/sanctions/${sanction.id}/lift`).set(auth(zj)).send({}).expect(200);
      await capture(held.id, 1, lab).expect(200);
      await claim(lab, [unclaimed]).expect(201);
      await t.http.post(`/api/claims/${pending.id}/approve`).set(auth(bureauAh)).send({}).expect(200);
      expect(
        (await t.http.post('/api/voucher-applications').set(auth(shell.token)).send({ amountFen: 100_000, purpose: '透射电镜表征' }))
          .status,
      ).toBe(201);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('a voucher revoked for suspected fraud leaves its hold nothing to capture and nothing to claim', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 2);
      const before = await budget('340000');
      const revoked = await t.http.post(`/api/vouchers/${v.id}/revoke`).set(auth(bureauAh)).send({ reason: '涉嫌骗补' }).expect(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', availableFen: 0, heldFen: 0, spentFen: 0, releasedFen: 1_000_000 });
      expect((await capture(h.id, 2).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await claim(shLab, [h.id]).expect(409)).body.code).toBe('INVALID_STATE');
      expect((await budget('340000')).availableFen - before.availableFen).toBe(1_000_000);
    });

    it('a settlement for a future quarter is refused; the batch’s creator cannot pay it', async () => {
      const c = (await claim(shLab, [await confirmedUsage()]).expect(201)).body;
      await t.http.post(`/api/claims/${c.id}/approve`).set(auth(bureauAh)).send({}).expect(200);
      const future = await t.http
        .post('/api/settlements')
        .set(auth(bureauAh))
        .send({ regionCode: '340000', periodEnd: `${year + 1}-03-31` });
      expect(future.status).toBe(422);
      expect(future.body.code).toBe('PERIOD_NOT_ENDED');
      const batch = (await t.http.post('/api/settlements').set(auth(bureauAh)).send({ regionCode: '340000' }).expect(201)).body;
      const own = await t.http.post(`/api/settlements/${batch.id}/pay`).set(auth(bureauAh)).send({ paymentRef: 'TREASURY-1' }).expect(403);
      expect(own.body.code).toBe('DUAL_CONTROL_REQUIRED');
      // nor can an API key its creator made
      const key = (await t.http.post('/api/api-keys').set(auth(bureauAh)).send({ name: '国库支付对接' }).expect(201)).body.key as string;
      const byKey = await t.http.post(`/api/settlements/${batch.id}/pay`).set(auth(key)).send({ paymentRef: 'TREASURY-1' }).expect(403);
      expect(byKey.body.code).toBe('DUAL_CONTROL_REQUIRED');
      await paySettlement(t, '340000', batch.id);
    });
  });

  describe('policies', () => {
    it('a policy dated 2000-01-01 cannot change what was in force in the past', async () => {
      const inForce = (date: string) => t.http.get(`/api/policies/current?regionCode=330000&date=${date}`).set(auth(bureauSh));
      await openRegion(t, '330000');
      await inForce('2000-06-01').expect(404);
      const res = await t.http
        .post('/api/policies')
        .set(auth(await t.token('bureau-zj')))
        .send(policyBody('330000', { effectiveFrom: '2000-01-01' }))
        .expect(422);
      expect(res.body).toMatchObject({ code: 'POLICY_BACKDATED', message: expect.stringContaining('2000-01-01') });
      await inForce('2000-06-01').expect(404);
    });
  });

  describe('related parties, from both sides and as bureaus found them', () => {
    const quote = async (e: OrgSession, voucherId: string, facility: string) =>
      (await t.http.get(`/api/facilities/${facility}/quote?voucherId=${voucherId}&quantity=1`).set(auth(e.token)).expect(200)).body;

    it('a provider declaring the enterprise related counts as much as the enterprise declaring it', async () => {
      const { e, v } = await hefeiVoucher();
      const lab = await t.registerProvider('310000', { relatedCreditCodes: [e.creditCode] });
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      expect((await quote(e, v.id, facility)).refusal?.code).toBe('RELATED_PARTY');
    });

    it('a relation a bureau records binds everywhere, though neither party declared it', async () => {
      const { e, v } = await hefeiVoucher();
      const lab = await t.registerProvider('310000');
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      expect((await quote(e, v.id, facility)).refusal).toBeUndefined();
      const js = await t.token('bureau-js');
      const recorded = await t.http
        .post('/api/relations')
        .set(auth(js))
        .send({ creditCodeA: lab.creditCode, creditCodeB: e.creditCode, reason: '法定代表人为同一人' })
        .expect(201);
      expect(recorded.body).toMatchObject({ creditCodeA: [lab.creditCode, e.creditCode].sort()[0], recordedRegionCode: '320000' });
      expect((await quote(e, v.id, facility)).refusal?.code).toBe('RELATED_PARTY');
      const held = await t.http
        .post('/api/redemptions')
        .set(auth(e.token))
        .send({ voucherId: v.id, facilityId: facility, quantity: 1 })
        .expect(422);
      expect(held.body.code).toBe('RELATED_PARTY');

      const twice = await t.http
        .post('/api/relations')
        .set(auth(bureauAh))
        .send({ creditCodeA: e.creditCode, creditCodeB: lab.creditCode, reason: '同上' });
      expect(twice.status).toBe(409);
      await t.http
        .post('/api/relations')
        .set(auth(bureauAh))
        .send({ creditCodeA: e.creditCode, creditCodeB: e.creditCode, reason: 'x' })
        .expect(400);
      const listed = (await t.http.get(`/api/relations?creditCode=${e.creditCode}`).set(auth(bureauAh)).expect(200)).body;
      expect(listed).toMatchObject({ total: 1, items: [{ id: recorded.body.id, reason: '法定代表人为同一人' }] });
    });

    it('a relation recorded against the provider’s actual controller reaches the provider', async () => {
      const { e, v } = await hefeiVoucher();
      const controller = creditCodeIn('310000');
      const lab = await t.registerProvider('310000', { controllerCreditCode: controller });
      const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
      await t.http
        .post('/api/relations')
        .set(auth(bureauAh))
        .send({ creditCodeA: e.creditCode, creditCodeB: controller, reason: '实际控制人持股' })
        .expect(201);
      expect((await quote(e, v.id, facility)).refusal?.code).toBe('RELATED_PARTY');
    });

    it('relations recorded against the enterprise’s controller refuse the hold from either side of the stored pair', async () => {
      const controller = creditCodeIn('310000', '12');
      const e = await t.registerEnterprise('340100', { controllerCreditCode: controller });
      const v = (await apply(e, 1_000_000)).voucher;
      // A pair is stored in code order: one lab's code below the controller's and one above put it on both sides.
      const codes = [creditCodeIn('310000', '12'), creditCodeIn('310000', '12')];
      while (!codes.some((c) => c < controller) || !codes.some((c) => c > controller)) codes.push(creditCodeIn('310000', '12'));
      const labs = [codes.find((c) => c < controller), codes.find((c) => c > controller), undefined];
      const js = await t.token('bureau-js');
      for (const [i, creditCode] of labs.entries()) {
        const lab = await t.registerProvider('310000', creditCode ? { creditCode } : {});
        const facility = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
        if (creditCode) {
          const pair = { creditCodeA: lab.creditCode, creditCodeB: controller, reason: '同一实际控制人' };
          await t.http.post('/api/relations').set(auth(js)).send(pair).expect(201);
        }
        const held = await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: facility, quantity: 1 });
        // The third lab is related to nobody: it takes the order.
        expect([held.status, held.body.code]).toEqual(i < 2 ? [422, 'RELATED_PARTY'] : [201, undefined]);
      }
    });
  });

  describe('lists carry names beside ids', () => {
    it('applications and vouchers the enterprise’s name, redemptions the three parties’, claims the claimant’s', async () => {
      const { e, v } = await hefeiVoucher();
      const h = await hold(e, v.id, 1);
      await captureConfirmed(t, shLab.token, e.token, h.id, 1);
      const c = (await claim(shLab, [h.id]).expect(201)).body;
      const me = (await t.http.get('/api/auth/me').set(auth(e.token)).expect(200)).body.organization;
      const first = async (path: string, token: string) => (await t.http.get(path).set(auth(token)).expect(200)).body.items[0];
      expect(await first('/api/voucher-applications', e.token)).toMatchObject({ enterpriseName: me.name });
      expect(await first('/api/vouchers', e.token)).toMatchObject({ id: v.id, enterpriseName: me.name });
      expect(await first('/api/redemptions', e.token)).toMatchObject({
        id: h.id,
        enterpriseName: me.name,
        providerName: '上海微观表征公共服务平台',
        facilityName: TEM.name,
      });
      const listed = (await t.http.get('/api/claims').set(auth(bureauAh)).expect(200)).body.items.find(
        (x: { id: string }) => x.id === c.id,
      );
      expect(listed).toMatchObject({ claimantName: '上海微观表征公共服务平台' });
    });
  });
});

describeRaces('fraud controls under concurrent requests', () => {
  let t: TestApp;
  let lab: OrgSession;
  let tem: string;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '310000', { budgetFen: 1_000_000_000, policy: { autoApproveMaxFen: 5_000_000 } });
    await openRegion(t, '340000', { budgetFen: 1_000_000_000 });
    lab = await t.registerProvider('310000');
    tem = (await t.http.post('/api/facilities').set(auth(lab.token)).send(TEM).expect(201)).body.id;
  });
  afterAll(() => t.close());

  const capturedOf = async (n: number) => {
    const e = await t.registerEnterprise('340100');
    const v = (
      await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 5_000_000, purpose: '并发' }).expect(201)
    ).body.voucher;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const h = (
        await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: tem, quantity: 1 }).expect(201)
      ).body;
      await t.http.post(`/api/redemptions/${h.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(200);
      ids.push(h.id);
    }
    return { e, ids };
  };

  it('thirty applications at once from one unverified enterprise: exactly twenty recorded rejected, ten answered 429', async () => {
    // Jiangsu has no policy here, so no grant row queues the applications: the throttle row's lock alone counts them.
    const e = await t.registerEnterprise('320000', {}, false);
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 100_000, purpose: '并发' }),
      ),
    );
    expect(results.filter((r) => r.status === 201).map((r) => r.body.reasonCode)).toEqual(Array(20).fill('ENTERPRISE_NOT_VERIFIED'));
    expect(results.filter((r) => r.status === 429).map((r) => r.body.code)).toEqual(Array(10).fill('RATE_LIMITED'));
    expect((await t.http.get('/api/voucher-applications').set(auth(e.token)).expect(200)).body.total).toBe(20);
  });

  it('ten ¥30k applications at once from one enterprise, threshold ¥50k: one is approved at once, nine wait for review', async () => {
    const e = await t.registerEnterprise('310000');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 3_000_000, purpose: '拆分申请' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(answers.filter((a) => a.body.status === 'approved')).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === 'pending_review')).toHaveLength(9);
  });

  it('two claims on one invoice at once, ten times over: one is accepted each time, the other is DUPLICATE_INVOICE', async () => {
    const { e, ids } = await capturedOf(20);
    await Promise.all(ids.map((id) => t.http.post(`/api/redemptions/${id}/confirm`).set(auth(e.token)).expect(200)));
    for (let i = 0; i < 10; i++) {
      const evidence = { contractNo: `HT-R${i}`, invoiceNo: `FP-RACE-${i}` };
      const pair = await Promise.all(
        [ids[2 * i], ids[2 * i + 1]].map((id) =>
          t.http
            .post('/api/claims')
            .set(auth(lab.token))
            .send({ redemptionIds: [id], evidence }),
        ),
      );
      expect(pair.map((r) => r.status).sort()).toEqual([201, 422]);
      expect(pair.find((r) => r.status === 422)!.body.code).toBe('DUPLICATE_INVOICE');
    }
  });

  it('a lab and an enterprise claiming on one invoice of the lab at once, ten times over: one is accepted each time', async () => {
    const e = await t.registerEnterprise('340100');
    const v = (
      await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 5_000_000, purpose: '并发' }).expect(201)
    ).body.voucher;
    const usage = async (mode: string) => {
      const h = (
        await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: tem, quantity: 1, mode }).expect(201)
      ).body;
      await captureConfirmed(t, lab.token, e.token, h.id, 1);
      return h.id as string;
    };
    for (let i = 0; i < 10; i++) {
      const [ofLab, ofEnterprise] = [await usage('provider_redeemed'), await usage('enterprise_reimbursed')];
      const evidence = { contractNo: `HT-X${i}`, invoiceNo: `FP-CROSS-${i}` };
      const pair = await Promise.all([
        t.http
          .post('/api/claims')
          .set(auth(lab.token))
          .send({ redemptionIds: [ofLab], evidence }),
        t.http
          .post('/api/claims')
          .set(auth(e.token))
          .send({ redemptionIds: [ofEnterprise], evidence }),
      ]);
      expect(pair.map((r) => r.status).sort()).toEqual([201, 422]);
      expect(pair.find((r) => r.status === 422)!.body.code).toBe('DUPLICATE_INVOICE');
    }
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('confirm and dispute of one usage at once: exactly one answer holds', async () => {
    const { e, ids } = await capturedOf(15);
    for (const id of ids) {
      const [confirm, dispute] = await Promise.all([
        t.http.post(`/api/redemptions/${id}/confirm`).set(auth(e.token)),
        t.http.post(`/api/redemptions/${id}/dispute`).set(auth(e.token)).send({ reason: '并发' }),
      ]);
      expect([confirm.status, dispute.status].sort()).toEqual([200, 409]);
      const usage = (await t.http.get(`/api/redemptions/${id}`).set(auth(e.token)).expect(200)).body.usage;
      expect(usage).toBe(confirm.status === 200 ? 'confirmed' : 'disputed');
    }
  });

  it('forty registrations of listed enterprises, each while its province loads the list naming it: every one ends active', async () => {
    const bureau = await t.token('bureau-sh');
    const load = (creditCode: string, certificateNo: string) =>
      t.http
        .put('/api/qualified-enterprises/310000')
        .set(auth(bureau))
        .send({ rows: [{ creditCode, certificateNo }] });
    const register = (creditCode: string, certificateNo: string) =>
      t.http.post('/api/auth/register').send({
        username: `listed-${creditCode.toLowerCase()}`,
        password: PASSWORD,
        role: 'enterprise',
        organization: { name: `名单企业 ${creditCode}`, creditCode, certificateNo },
      });
    // A registration commits at the end of its request (after hashing the password), an import soon after it starts:
    // each pair starts its import a little later than the last, sweeping over the registration's transaction.
    const started = Date.now();
    await register(creditCodeIn('310000'), 'QL-WARM-UP').expect(201);
    const span = Date.now() - started;
    const pairs = Array.from({ length: 40 }, (_, i) => ({ creditCode: creditCodeIn('310000'), certificateNo: `QL2026310${i}` }));
    for (const [i, { creditCode, certificateNo }] of pairs.entries()) {
      const [imported, registered] = await Promise.all([
        sleep((span * i) / pairs.length).then(() => load(creditCode, certificateNo)),
        register(creditCode, certificateNo),
      ]);
      expect([imported.status, registered.status]).toEqual([200, 201]);
    }
    // Whichever committed first, the other saw it: the registration read the list, or the import found the registration.
    const rows: { credit_code: string; status: string }[] = await t.dataSource.query(
      `SELECT credit_code, status FROM organization WHERE credit_code IN (${pairs.map((p) => `'${p.creditCode}'`).join(', ')})`,
    );
    expect(rows.filter((r) => r.status !== 'active')).toEqual([]);
    expect(rows).toHaveLength(pairs.length);
  });

  it('ten ratings of one service at once: one counts', async () => {
    const { e, ids } = await capturedOf(1);
    await t.http.post(`/api/redemptions/${ids[0]}/confirm`).set(auth(e.token)).expect(200);
    const before = (await t.http.get(`/api/facilities/${tem}`).expect(200)).body.ratingCount;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.http.post(`/api/redemptions/${ids[0]}/rating`).set(auth(e.token)).send({ score: 5 })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    expect((await t.http.get(`/api/facilities/${tem}`).expect(200)).body.ratingCount).toBe(before + 1);
  });
});
