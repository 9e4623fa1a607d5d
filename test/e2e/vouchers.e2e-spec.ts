import type { Response } from 'superagent';
import { DataSource } from 'typeorm';
import { countAgainstEverySubject } from '../../migrations/1765400000000-grants-per-enterprise';
import { countTowardGroups } from '../../migrations/1765860000000-grants-to-every-group';
import { clock, DAY_MS } from '../../src/common/clock';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { addDays } from '../../src/policies/policy.rules';
import { AnnualGrantRepository } from '../../src/vouchers/annual-grant.repository';
import { ExpireVouchers } from '../../src/vouchers/use-cases/expire-vouchers';
import { bureauFor, openRegion, policyBody } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.

const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ numpages: number; text: string }>;

/** Collects a binary response body (superagent leaves unknown types unparsed). */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream; // in Node, superagent hands the parser the raw response stream
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

const VERIFICATION_CODE = /^[A-Za-z0-9_-]{22,}$/;

describe('voucher applications and vouchers', () => {
  let t: TestApp;
  const year = clock.year();
  const today = clock.today();

  beforeAll(async () => {
    t = await TestApp.start();
    // Hefei issues its own vouchers; the rest of Anhui applies to the province.
    await openRegion(t, '340100', { budgetFen: 500_000_000 });
    await openRegion(t, '340000', { budgetFen: 300_000_000 });
    // Bengbu's own policy only takes effect tomorrow.
    await t.http
      .post('/api/policies')
      .set(await t.as('bureau-ah'))
      .send(policyBody('340300', { effectiveFrom: addDays(today, 1) }))
      .expect(201);
    // Shanghai aggregates annual caps by actual controller and approves up to ¥300,000 at once.
    await openRegion(t, '310000', { budgetFen: 1_000_000_000, policy: { capByController: true, autoApproveMaxFen: 30_000_000 } });
    await openRegion(t, '320500', { budgetFen: 15_000_000 });
    await openRegion(t, '330100', { budgetFen: 100_000_000 });
    await openRegion(t, '330200', { budgetFen: 40_000_000 });
    await openRegion(t, '320100', { budgetFen: 100_000_000 });
    // Nantong has a policy but no budget this year; Jiaxing and Zhejiang province have no policy at all.
    await t.http
      .post('/api/policies')
      .set(await t.as('bureau-js'))
      .send(policyBody('320600'))
      .expect(201);
  });
  afterAll(() => t.close());

  const budgetOf = async (regionCode: string, y = year) =>
    (
      await t.http
        .get(`/api/budgets/${regionCode}/${y}`)
        .set(await t.as('platform'))
        .expect(200)
    ).body;
  const apply = async (e: OrgSession, amountFen: number, purpose = '透射电镜表征新型电池正极材料') => {
    const res = await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen, purpose });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  };
  const approve = async (bureau: string, id: string, body: Record<string, unknown> = {}) =>
    t.http
      .post(`/api/voucher-applications/${id}/approve`)
      .set(await t.as(bureau))
      .send(body);
  /** An application granted in full: approved at once, or (beyond the running auto-approval total) by the bureau. */
  const granted = async (e: OrgSession, amountFen: number) => {
    const a = await apply(e, amountFen);
    if (a.status === 'approved') return a;
    expect(a.status).toBe('pending_review');
    const res = await approve(bureauFor(a.issuingRegionCode), a.id);
    expect(res.status).toBe(200);
    return res.body;
  };
  const revoke = async (bureau: string, voucherId: string, reason = '虚假申报材料') =>
    t.http
      .post(`/api/vouchers/${voucherId}/revoke`)
      .set(await t.as(bureau))
      .send({ reason });

  it('describes its routes in the OpenAPI document', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/voucher-applications',
        '/api/voucher-applications/{id}/approve',
        '/api/voucher-applications/{id}/reject',
        '/api/vouchers',
        '/api/vouchers/{id}',
        '/api/vouchers/{id}/certificate',
        '/api/vouchers/{id}/revoke',
        '/api/vouchers/verify/{code}',
      ]),
    );
  });

  describe('the issuing region', () => {
    it('is Hefei for a Hefei enterprise, since Hefei has a policy in force: approved at once, voucher issued', async () => {
      const e = await t.registerEnterprise('340104');
      const before = await budgetOf('340100');
      const app = await apply(e, 8_000_000);
      expect(app).toEqual({
        id: expect.any(String),
        status: 'approved',
        enterpriseId: e.organizationId,
        issuingRegionCode: '340100',
        amountFen: 8_000_000,
        approvedFen: 8_000_000,
        purpose: '透射电镜表征新型电池正极材料',
        voucher: {
          id: expect.any(String),
          serial: expect.stringMatching(new RegExp(`^AH-${year}-\\d{6}$`)),
          verificationCode: expect.stringMatching(VERIFICATION_CODE),
          issuingRegionCode: '340100',
          enterpriseId: e.organizationId,
          policyId: expect.any(String),
          policyVersion: 1,
          budgetYear: year,
          faceValueFen: 8_000_000,
          availableFen: 8_000_000,
          heldFen: 0,
          spentFen: 0,
          releasedFen: 0,
          status: 'active',
          validFrom: today,
          validUntil: addDays(today, 364),
          createdAt: expect.any(String),
        },
        createdAt: expect.any(String),
        decidedAt: expect.any(String),
      });
      const policy = await t.http.get(`/api/policies/current?regionCode=340100`).set(auth(e.token)).expect(200);
      expect(app.voucher.policyId).toBe(policy.body.id);
      expect(await budgetOf('340100')).toEqual({
        ...before,
        availableFen: before.availableFen - 8_000_000,
        committedFen: before.committedFen + 8_000_000,
      });
    });

    it('is the province for a Wuhu enterprise, since Wuhu has no policy', async () => {
      const app = await apply(await t.registerEnterprise('340202'), 5_000_000);
      expect(app).toMatchObject({
        status: 'approved',
        issuingRegionCode: '340000',
        voucher: { issuingRegionCode: '340000', faceValueFen: 5_000_000 },
      });
    });

    it('is the province for a Bengbu enterprise while Bengbu’s policy is not yet in force', async () => {
      const app = await apply(await t.registerEnterprise('340300'), 5_000_000);
      expect(app).toMatchObject({ status: 'approved', issuingRegionCode: '340000' });
    });
  });

  describe('auto-approval and review', () => {
    // Hefei approves up to ¥100,000 at once; each test has its own enterprise, well within the annual cap.
    let e: OrgSession;
    beforeEach(async () => (e = await t.registerEnterprise('340100')));

    it('approves at once exactly at the auto-approval threshold', async () => {
      expect(await apply(e, 10_000_000)).toMatchObject({
        status: 'approved',
        approvedFen: 10_000_000,
        voucher: { faceValueFen: 10_000_000 },
      });
    });

    it('leaves one fen above the threshold for a reviewer, committing nothing yet', async () => {
      const before = await budgetOf('340100');
      const app = await apply(e, 10_000_001);
      expect(app).toEqual({
        id: expect.any(String),
        status: 'pending_review',
        enterpriseId: e.organizationId,
        issuingRegionCode: '340100',
        amountFen: 10_000_001,
        purpose: expect.any(String),
        createdAt: expect.any(String),
      });
      expect(await budgetOf('340100')).toEqual(before);
      const queue = await t.http
        .get('/api/voucher-applications?status=pending_review')
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(app.id);
    });

    it('lets the reviewer approve a lower amount: the voucher and the budget carry that amount', async () => {
      const app = await apply(e, 12_000_000);
      const before = await budgetOf('340100');
      const res = await approve('bureau-ah', app.id, { amountFen: 10_000_550 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: app.id,
        status: 'approved',
        amountFen: 12_000_000,
        approvedFen: 10_000_550,
        voucher: { faceValueFen: 10_000_550, availableFen: 10_000_550, issuingRegionCode: '340100', status: 'active' },
      });
      expect(await budgetOf('340100')).toEqual({
        ...before,
        availableFen: before.availableFen - 10_000_550,
        committedFen: before.committedFen + 10_000_550,
      });
      const read = await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(e.token)).expect(200);
      expect(read.body).toMatchObject({ status: 'approved', approvedFen: 10_000_550, voucher: { id: res.body.voucher.id } });
    });

    it('approves the requested amount when the reviewer names none', async () => {
      const app = await apply(e, 10_500_000);
      expect((await approve('bureau-ah', app.id)).body).toMatchObject({
        status: 'approved',
        approvedFen: 10_500_000,
        voucher: { faceValueFen: 10_500_000 },
      });
    });

    it('refuses an approval above the requested amount, or of nothing, with 400', async () => {
      const app = await apply(e, 11_000_000);
      for (const amountFen of [11_000_001, 0, -5, 1.5, '11000000']) {
        const res = await approve('bureau-ah', app.id, { amountFen });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('amountFen') });
      }
      expect((await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(e.token)).expect(200)).body.status).toBe('pending_review');
    });

    it('answers a second decision with 409 INVALID_STATE', async () => {
      const app = await apply(e, 11_000_000);
      await approve('bureau-ah', app.id).then((r) => expect(r.status).toBe(200));
      const before = await budgetOf('340100');
      const again = await approve('bureau-ah', app.id);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('INVALID_STATE');
      const zh = await t.http
        .post(`/api/voucher-applications/${app.id}/approve`)
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({})
        .expect(409);
      expect(zh.body.message).toBe('该申请已批准，不能重复审批');
      await t.http
        .post(`/api/voucher-applications/${app.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '重复' })
        .expect(409);
      expect(await budgetOf('340100')).toEqual(before);
    });

    it('rejects with a reason, after which it cannot be approved', async () => {
      const app = await apply(e, 11_000_000);
      await t.http
        .post(`/api/voucher-applications/${app.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(400);
      const res = await t.http
        .post(`/api/voucher-applications/${app.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '研发内容与创新券支持方向不符' })
        .expect(200);
      expect(res.body).toMatchObject({
        id: app.id,
        status: 'rejected',
        reason: '研发内容与创新券支持方向不符',
        decidedAt: expect.any(String),
      });
      expect(res.body.voucher).toBeUndefined();
      expect((await approve('bureau-ah', app.id)).status).toBe(409);
      expect((await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
        status: 'rejected',
        reason: '研发内容与创新券支持方向不符',
      });
    });

    it('checks the rules again at approval: a sanction recorded meanwhile refuses it (422 SANCTIONED)', async () => {
      const late = await t.registerEnterprise('340100');
      const app = await apply(late, 15_000_000);
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-js'))
        .send({ creditCode: late.creditCode, reason: '虚开发票' })
        .expect(201);
      const before = await budgetOf('340100');
      const res = await approve('bureau-ah', app.id);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SANCTIONED');
      expect(await budgetOf('340100')).toEqual(before);
      expect((await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(late.token)).expect(200)).body.status).toBe(
        'pending_review',
      );
    });

    it('refuses a decision by the Shanghai bureau on an Anhui application (403), by the enterprise (403), on an unknown id (404)', async () => {
      const app = await apply(e, 11_000_000);
      for (const [path, body] of [
        ['approve', {}],
        ['reject', { reason: '越权' }],
      ] as const) {
        const res = await t.http
          .post(`/api/voucher-applications/${app.id}/${path}`)
          .set(await t.as('bureau-sh'))
          .send(body);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
        await t.http.post(`/api/voucher-applications/${app.id}/${path}`).set(auth(e.token)).send(body).expect(403);
      }
      await t.http
        .post(`/api/voucher-applications/${app.id}/approve`)
        .set(await t.as('platform'))
        .send({})
        .expect(403);
      await t.http
        .post('/api/voucher-applications/00000000-0000-4000-8000-000000000000/approve')
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(404);
      await t.http
        .post('/api/voucher-applications/not-an-id/approve')
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(404);
      expect((await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(e.token)).expect(200)).body.status).toBe('pending_review');
    });
  });

  describe('applications that break a rule are recorded as rejected with the rule’s code', () => {
    const expectRejected = (app: Record<string, unknown>, reasonCode: string) => {
      expect(app).toMatchObject({ status: 'rejected', reasonCode, reason: expect.any(String), decidedAt: expect.any(String) });
      expect(app.voucher).toBeUndefined();
      expect(app.approvedFen).toBeUndefined();
    };

    it('POLICY_NOT_FOUND: a Jiaxing enterprise, with no policy in Jiaxing or Zhejiang', async () => {
      const e = await t.registerEnterprise('330402');
      const app = await apply(e, 1_000_000);
      expectRejected(app, 'POLICY_NOT_FOUND');
      expect(app.issuingRegionCode).toBe('330000');
      const read = await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(e.token)).expect(200);
      expect(read.body).toMatchObject({ status: 'rejected', reasonCode: 'POLICY_NOT_FOUND' });
    });

    it('SANCTIONED: a Hefei enterprise on the shared list, recorded by the Zhejiang bureau', async () => {
      const e = await t.registerEnterprise('340100');
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-zj'))
        .send({ creditCode: e.creditCode, reason: '伪造检测报告骗取补贴' })
        .expect(201);
      const before = await budgetOf('340100');
      expectRejected(await apply(e, 1_000_000), 'SANCTIONED');
      expect(await budgetOf('340100')).toEqual(before);
    });

    it('tells a rule’s reason in the reader’s language, with the figures in yuan; a bureau’s reason stays as typed', async () => {
      const zh = { 'Accept-Language': 'zh-CN' };
      const applyIn = (e: OrgSession, amountFen: number, headers: Record<string, string> = {}) =>
        t.http.post('/api/voucher-applications').set(auth(e.token)).set(headers).send({ amountFen, purpose: '扫描电镜表征' }).expect(201);
      const read = async (e: OrgSession, id: string, headers: Record<string, string> = {}) =>
        (await t.http.get(`/api/voucher-applications/${id}`).set(auth(e.token)).set(headers).expect(200)).body.reason;
      const listed = async (e: OrgSession, headers: Record<string, string> = {}) =>
        (await t.http.get('/api/voucher-applications').set(auth(e.token)).set(headers).expect(200)).body.items.map(
          (a: { reason?: string }) => a.reason,
        );

      const newcomer = await t.registerEnterprise('340100', {}, false);
      const unverified = (await applyIn(newcomer, 1_000_000, zh)).body;
      expect(unverified).toMatchObject({
        reasonCode: 'ENTERPRISE_NOT_VERIFIED',
        reason: '企业尚未通过所在地科技主管部门核验，暂不能申请创新券',
      });
      expect(await read(newcomer, unverified.id)).toBe(
        'the enterprise has not been verified by its home bureau yet, so it cannot apply for vouchers',
      );

      const sanctioned = await t.registerEnterprise('340100');
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-zj'))
        .send({ creditCode: sanctioned.creditCode, reason: '伪造检测报告' })
        .expect(201);
      await applyIn(sanctioned, 1_000_000);
      expect(await listed(sanctioned, zh)).toEqual(['企业或其实际控制人处于科研失信惩戒期内，暂不能申请创新券']);

      const e = await t.registerEnterprise('340100');
      const over = (await applyIn(e, 30_000_001)).body;
      expect(over.reason).toBe('the requested ¥300,000.01 exceeds the per-voucher cap of ¥300,000.00');
      expect(await read(e, over.id, zh)).toBe('申请金额 ¥300,000.01 超过单张创新券上限 ¥300,000.00');

      const jiaxing = await t.registerEnterprise('330402');
      const none = (await applyIn(jiaxing, 1_000_000, zh)).body;
      expect(none.reason).toBe('浙江省（330000）及其所在省份目前均无生效的创新券政策');

      const reviewed = (await applyIn(e, 11_000_000)).body;
      await t.http
        .post(`/api/voucher-applications/${reviewed.id}/reject`)
        .set(await t.as('bureau-ah'))
        .set(zh)
        .send({ reason: 'purpose outside the supported fields' })
        .expect(200);
      expect(await read(e, reviewed.id, zh)).toBe('purpose outside the supported fields');
    });

    it('VOUCHER_CAP_EXCEEDED: one fen above the per-voucher cap, though the cap itself is allowed', async () => {
      const e = await t.registerEnterprise('340100');
      expectRejected(await apply(e, 30_000_001), 'VOUCHER_CAP_EXCEEDED');
      const atCap = await apply(e, 30_000_000);
      expect(atCap.status).toBe('pending_review');
    });

    it('ANNUAL_CAP_EXCEEDED: a Shanghai enterprise granted exactly its ¥500,000 this year', async () => {
      const e = await t.registerEnterprise('310000');
      expect((await apply(e, 30_000_000)).status).toBe('approved');
      expect((await granted(e, 20_000_000)).status).toBe('approved');
      const before = await budgetOf('310000');
      expectRejected(await apply(e, 1), 'ANNUAL_CAP_EXCEEDED');
      expect(await budgetOf('310000')).toEqual(before);
    });

    it('ANNUAL_CAP_EXCEEDED: a startup team is held to the team cap of ¥100,000', async () => {
      const team = await t.registerEnterprise('310000', { kind: 'startup_team' });
      expectRejected(await apply(team, 10_000_001), 'ANNUAL_CAP_EXCEEDED');
      expect((await apply(team, 6_000_000)).status).toBe('approved');
      expect((await apply(team, 4_000_000)).status).toBe('approved');
      expectRejected(await apply(team, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('ANNUAL_CAP_EXCEEDED: two enterprises with the same actual controller share one cap', async () => {
      const controllerCreditCode = creditCodeIn('310000');
      const [a, b] = [
        await t.registerEnterprise('310000', { controllerCreditCode }),
        await t.registerEnterprise('310000', { controllerCreditCode }),
      ];
      expect((await apply(a, 30_000_000)).status).toBe('approved');
      expect((await granted(b, 20_000_000)).status).toBe('approved'); // the group's running total is past auto-approval
      expectRejected(await apply(b, 1), 'ANNUAL_CAP_EXCEEDED');
      expectRejected(await apply(a, 1), 'ANNUAL_CAP_EXCEEDED');
      const unrelated = await t.registerEnterprise('310000', { controllerCreditCode: creditCodeIn('310000') });
      expect((await apply(unrelated, 30_000_000)).status).toBe('approved');
    });

    it('ANNUAL_CAP_EXCEEDED under a group: the refusal names the group’s total and the enterprise’s own share, not one as the other', async () => {
      const controllerCreditCode = creditCodeIn('310000');
      const [a, b] = [
        await t.registerEnterprise('310000', { controllerCreditCode }),
        await t.registerEnterprise('310000', { controllerCreditCode }),
      ];
      expect((await apply(a, 30_000_000)).status).toBe('approved');
      // b was granted nothing: it must not read that it was granted its sister's ¥300,000.
      const refused = await t.http
        .post('/api/voucher-applications')
        .set(auth(b.token))
        .set('Accept-Language', 'zh-CN')
        .send({ amountFen: 20_000_001, purpose: '扫描电镜表征' })
        .expect(201);
      expect(refused.body).toMatchObject({ status: 'rejected', reasonCode: 'ANNUAL_CAP_EXCEEDED' });
      expect(refused.body.reason).toBe(
        '同一实际控制人名下企业本年度合计已获批 ¥300,000.00（其中贵单位 ¥0.00），再申请 ¥200,000.01 将超过年度上限 ¥500,000.00',
      );
      const read = await t.http.get(`/api/voucher-applications/${refused.body.id}`).set(auth(b.token)).expect(200);
      expect(read.body.reason).toBe(
        '¥300,000.00 was already granted this year to the enterprises under one actual controller (¥0.00 of it to this enterprise); ¥200,000.01 more would exceed the annual cap of ¥500,000.00',
      );
      // An enterprise whose own total binds reads the plain sentence.
      const alone = await t.registerEnterprise('310000');
      expect((await apply(alone, 30_000_000)).status).toBe('approved');
      const own = await t.http
        .post('/api/voucher-applications')
        .set(auth(alone.token))
        .set('Accept-Language', 'zh-CN')
        .send({ amountFen: 20_000_001, purpose: '扫描电镜表征' })
        .expect(201);
      expect(own.body.reason).toBe('本年度已获批 ¥300,000.00，再申请 ¥200,000.01 将超过年度上限 ¥500,000.00');
    });

    // The bureau changes a declared controller (profiles.e2e-spec.ts); the enterprise's own total follows it all the same.
    const nameController = async (e: OrgSession, controllerCreditCode: string) =>
      t.http
        .patch(`/api/organizations/${e.organizationId}`)
        .set(await t.as('bureau-sh'))
        .send({ controllerCreditCode })
        .expect(200);

    it('ANNUAL_CAP_EXCEEDED: another actual controller starts no fresh total; a revocation frees both', async () => {
      const [x, y, z] = [creditCodeIn('310000'), creditCodeIn('310000'), creditCodeIn('310000')];
      const e = await t.registerEnterprise('310000', { controllerCreditCode: x });
      const first = await apply(e, 30_000_000);
      expect(first.status).toBe('approved');
      await nameController(e, y);
      expect((await apply(e, 1)).status).toBe('pending_review'); // its own running total is past auto-approval
      expect((await granted(e, 20_000_000)).status).toBe('approved');
      await nameController(e, z);
      expectRejected(await apply(e, 1), 'ANNUAL_CAP_EXCEEDED');
      // Y's group counts the 20,000,000 granted while e named it.
      const sibling = await t.registerEnterprise('310000', { controllerCreditCode: y });
      expect((await apply(sibling, 10_000_000)).status).toBe('approved');
      expect((await apply(sibling, 1)).status).toBe('pending_review');
      // Revoking the first voucher gives its grant back to e and to X's group, the one it was counted against.
      await revoke('bureau-sh', first.voucher.id).then((r) => expect(r.status).toBe(200));
      const cousin = await t.registerEnterprise('310000', { controllerCreditCode: x });
      expect((await apply(cousin, 30_000_000)).status).toBe('approved');
      expect((await granted(e, 30_000_000)).status).toBe('approved');
      expectRejected(await apply(e, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('vouchers that counted against one subject before are counted against all of theirs by a migration', async () => {
      const controller = creditCodeIn('310000');
      const e = await t.registerEnterprise('310000', { controllerCreditCode: controller });
      const first = await granted(e, 30_000_000);
      const second = await granted(e, 12_000_000);
      await revoke('bureau-sh', second.voucher.id).then((r) => expect(r.status).toBe(200));
      const grants = t.get(AnnualGrantRepository);
      const subjects = [`ent:${e.organizationId}`, `ctl:${e.creditCode}`, `ctl:${controller}`];
      const totals = () => Promise.all(subjects.map((s) => grants.granted('310000', year, s)));
      expect(await totals()).toEqual([30_000_000, 30_000_000, 30_000_000]);
      // As the former code left them: each voucher recorded its controller's group, the only row that counted it.
      const db = t.get(Database);
      await t.get(UnitOfWork).run(async () => {
        await db.execute(sql`UPDATE annual_grant SET granted_fen = 0 WHERE subject IN (${subjects[0]}, ${subjects[1]})`);
        await db.execute(sql`UPDATE voucher SET cap_subject = ${subjects[2]} WHERE enterprise_id = ${e.organizationId}`);
      });
      const runner = t.get(DataSource).createQueryRunner();
      await countAgainstEverySubject(runner, e.organizationId).finally(() => runner.release());
      expect(await totals()).toEqual([30_000_000, 30_000_000, 30_000_000]);
      await revoke('bureau-sh', first.voucher.id).then((r) => expect(r.status).toBe(200));
      expect(await totals()).toEqual([0, 0, 0]);
    });

    it('ANNUAL_CAP_EXCEEDED: a controller that applies itself is counted in the group it heads', async () => {
      const head = await t.registerEnterprise('310000');
      expect((await apply(head, 30_000_000)).status).toBe('approved');
      expect((await granted(head, 15_000_000)).status).toBe('approved');
      const held = await t.registerEnterprise('310000', { controllerCreditCode: head.creditCode });
      expect((await apply(held, 1)).status).toBe('pending_review'); // the group's total is past auto-approval
      expectRejected(await apply(held, 5_000_001), 'ANNUAL_CAP_EXCEEDED');
      expect((await granted(held, 5_000_000)).status).toBe('approved');
      expectRejected(await apply(head, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('ANNUAL_CAP_EXCEEDED: a startup team under another controller keeps the team cap it used', async () => {
      const team = await t.registerEnterprise('310000', { kind: 'startup_team', controllerCreditCode: creditCodeIn('310000') });
      expect((await apply(team, 10_000_000)).status).toBe('approved');
      await nameController(team, creditCodeIn('310000'));
      expectRejected(await apply(team, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('ANNUAL_CAP_EXCEEDED: a group counts the year’s grants made while its policy did not aggregate by controller', async () => {
      // Wuxi first caps each enterprise alone (¥500,000), then a new version caps each group at the same figure.
      await openRegion(t, '320200', { budgetFen: 500_000_000 });
      const controller = creditCodeIn('320000');
      const [a, b] = [
        await t.registerEnterprise('320200', { controllerCreditCode: controller }),
        await t.registerEnterprise('320200', { controllerCreditCode: controller }),
      ];
      expect((await granted(a, 30_000_000)).status).toBe('approved');
      expect((await granted(b, 20_000_000)).status).toBe('approved'); // each alone is within ¥500,000
      await t.http
        .post('/api/policies')
        .set(await t.as('bureau-js'))
        .send(policyBody('320200', { capByController: true }))
        .expect(201);
      // The group has had ¥500,000 this year: nothing more for either, nor for a third company under the controller.
      expectRejected(await apply(a, 1), 'ANNUAL_CAP_EXCEEDED');
      const c = await t.registerEnterprise('320200', { controllerCreditCode: controller });
      expectRejected(await apply(c, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('vouchers issued while the policy did not aggregate by controller are counted toward their groups by a migration', async () => {
      const controller = creditCodeIn('320000');
      const e = await t.registerEnterprise('320100', { controllerCreditCode: controller });
      const voucher = (await granted(e, 8_000_000)).voucher;
      const grants = t.get(AnnualGrantRepository);
      const subjects = [`ent:${e.organizationId}`, `ctl:${e.creditCode}`, `ctl:${controller}`];
      const totals = () => Promise.all(subjects.map((s) => grants.granted('320100', year, s)));
      expect(await totals()).toEqual([8_000_000, 8_000_000, 8_000_000]);
      // As the former code left it: counted toward the enterprise alone, which it recorded.
      const db = t.get(Database);
      await t.get(UnitOfWork).run(async () => {
        await db.execute(sql`UPDATE annual_grant SET granted_fen = 0 WHERE subject IN (${subjects[1]}, ${subjects[2]})`);
        await db.execute(sql`UPDATE voucher SET cap_subject = ${subjects[0]} WHERE enterprise_id = ${e.organizationId}`);
      });
      // Vouchers that record their groups already are left as they are: Shanghai's, of a group head and of a company
      // with a controller, whichever code sorts first.
      const head = await t.registerEnterprise('310000');
      const held = await t.registerEnterprise('310000', { controllerCreditCode: creditCodeIn('310000') });
      await granted(head, 1_000_000);
      await granted(held, 1_000_000);
      const recorded = async () => ({
        capSubjects: await t.dataSource.query('SELECT id, cap_subject FROM voucher WHERE issuing_region_code = ? ORDER BY id', ['310000']),
        grants: await t.dataSource.query('SELECT subject, granted_fen FROM annual_grant WHERE region_code = ? ORDER BY subject', [
          '310000',
        ]),
      });
      const shanghai = await recorded();
      const runner = t.get(DataSource).createQueryRunner();
      await countTowardGroups(runner).finally(() => runner.release());
      expect(await totals()).toEqual([8_000_000, 8_000_000, 8_000_000]);
      expect(await recorded()).toEqual(shanghai);
      await revoke('bureau-js', voucher.id).then((r) => expect(r.status).toBe(200));
      expect(await totals()).toEqual([0, 0, 0]);
    });

    it('ANNUAL_CAP_EXCEEDED counts grants net of revocations: a revoked voucher frees its amount again', async () => {
      const e = await t.registerEnterprise('310000');
      await apply(e, 30_000_000);
      const second = await granted(e, 20_000_000);
      expectRejected(await apply(e, 5_000_000), 'ANNUAL_CAP_EXCEEDED');
      await revoke('bureau-sh', second.voucher.id).then((r) => expect(r.status).toBe(200));
      expect(await granted(e, 5_000_000)).toMatchObject({ status: 'approved', approvedFen: 5_000_000 });
      expect(await granted(e, 15_000_000)).toMatchObject({ status: 'approved', approvedFen: 15_000_000 });
      expectRejected(await apply(e, 1), 'ANNUAL_CAP_EXCEEDED');
    });

    it('BUDGET_EXHAUSTED: Suzhou’s ¥150,000 budget fills exactly and refuses the rest', async () => {
      const [a, b, c] = [await t.registerEnterprise('320500'), await t.registerEnterprise('320506'), await t.registerEnterprise('320500')];
      expect((await apply(a, 10_000_000)).status).toBe('approved');
      expectRejected(await apply(b, 5_000_001), 'BUDGET_EXHAUSTED');
      expect((await apply(b, 5_000_000)).status).toBe('approved');
      expectRejected(await apply(c, 1), 'BUDGET_EXHAUSTED');
      expect(await budgetOf('320500')).toEqual({
        regionCode: '320500',
        year,
        totalFen: 15_000_000,
        availableFen: 0,
        committedFen: 15_000_000,
      });
    });

    it('BUDGET_EXHAUSTED: Nantong has a policy but no budget for the year', async () => {
      expectRejected(await apply(await t.registerEnterprise('320600'), 1_000_000), 'BUDGET_EXHAUSTED');
    });

    it('still answers malformed input with 400 naming the field, and recording nothing', async () => {
      const e = await t.registerEnterprise('340100');
      for (const [body, field] of [
        [{ amountFen: 0, purpose: 'x' }, 'amountFen'],
        [{ amountFen: 100.5, purpose: 'x' }, 'amountFen'],
        [{ amountFen: -1, purpose: 'x' }, 'amountFen'],
        [{ amountFen: 1e20, purpose: 'x' }, 'amountFen'],
        [{ amountFen: 1_000_000 }, 'purpose'],
        [{ amountFen: 1_000_000, purpose: '' }, 'purpose'],
        [{ amountFen: 1_000_000, purpose: 'x', issuingRegionCode: '310000' }, 'issuingRegionCode'],
      ] as const) {
        const res = await t.http.post('/api/voucher-applications').set(auth(e.token)).send(body).expect(400);
        expect(res.body.message).toContain(field);
      }
      expect((await t.http.get('/api/voucher-applications').set(auth(e.token)).expect(200)).body).toEqual({ items: [], total: 0 });
    });

    it('lets only enterprises apply (403 otherwise)', async () => {
      for (const username of ['bureau-ah', 'platform']) {
        await t.http
          .post('/api/voucher-applications')
          .set(await t.as(username))
          .send({ amountFen: 1_000_000, purpose: 'x' })
          .expect(403);
      }
      const provider = await t.registerProvider('340100');
      await t.http.post('/api/voucher-applications').set(auth(provider.token)).send({ amountFen: 1_000_000, purpose: 'x' }).expect(403);
      await t.http.post('/api/voucher-applications').send({ amountFen: 1_000_000, purpose: 'x' }).expect(401);
    });

    it('replays an application sent twice with one Idempotency-Key, issuing one voucher', async () => {
      const e = await t.registerEnterprise('340100');
      const before = await budgetOf('340100');
      const send = () =>
        t.http
          .post('/api/voucher-applications')
          .set(auth(e.token))
          .set('Idempotency-Key', 'apply-once')
          .send({ amountFen: 2_000_000, purpose: '检测' });
      const first = await send().expect(201);
      const again = await send().expect(201);
      expect(again.body).toEqual(first.body);
      expect((await t.http.get('/api/vouchers').set(auth(e.token)).expect(200)).body.total).toBe(1);
      expect(await budgetOf('340100')).toEqual({
        ...before,
        availableFen: before.availableFen - 2_000_000,
        committedFen: before.committedFen + 2_000_000,
      });
    });
  });

  describe('who sees applications and vouchers', () => {
    let owner: OrgSession;
    let app: { id: string; voucher: { id: string } };
    beforeAll(async () => {
      owner = await t.registerEnterprise('340100');
      app = await apply(owner, 3_000_000);
      await apply(owner, 30_000_001); // a rejected one, also the owner's
      await apply(await t.registerEnterprise('310000'), 1_000_000); // and one in Shanghai, which Anhui must not see
    });

    it('shows the enterprise its own applications and vouchers, and nobody else’s', async () => {
      const apps = await t.http.get('/api/voucher-applications').set(auth(owner.token)).expect(200);
      expect(apps.body.total).toBe(2);
      expect(apps.body.items.every((a: { enterpriseId: string }) => a.enterpriseId === owner.organizationId)).toBe(true);
      const vouchers = await t.http.get('/api/vouchers').set(auth(owner.token)).expect(200);
      expect(vouchers.body).toEqual({
        items: [expect.objectContaining({ id: app.voucher.id, enterpriseId: owner.organizationId })],
        total: 1,
      });
      await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(owner.token)).expect(200);
      await t.http.get(`/api/vouchers/${app.voucher.id}`).set(auth(owner.token)).expect(200);
    });

    it('answers another enterprise and any provider with 404 for the records, and 403 for the lists', async () => {
      const other = await t.registerEnterprise('340100');
      const provider = await t.registerProvider('340100');
      for (const token of [other.token, provider.token]) {
        expect((await t.http.get(`/api/voucher-applications/${app.id}`).set(auth(token)).expect(404)).body.code).toBe('NOT_FOUND');
        await t.http.get(`/api/vouchers/${app.voucher.id}`).set(auth(token)).expect(404);
        await t.http.get(`/api/vouchers/${app.voucher.id}/certificate`).set(auth(token)).expect(404);
      }
      expect((await t.http.get('/api/voucher-applications').set(auth(other.token)).expect(200)).body.total).toBe(0);
      await t.http.get('/api/voucher-applications').set(auth(provider.token)).expect(403);
      await t.http.get('/api/vouchers').set(auth(provider.token)).expect(403);
    });

    it('shows a bureau its region’s records only; the platform sees all', async () => {
      await t.http
        .get(`/api/voucher-applications/${app.id}`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      await t.http
        .get(`/api/vouchers/${app.voucher.id}`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      await t.http
        .get(`/api/voucher-applications/${app.id}`)
        .set(await t.as('bureau-sh'))
        .expect(404);
      await t.http
        .get(`/api/vouchers/${app.voucher.id}`)
        .set(await t.as('bureau-sh'))
        .expect(404);
      await t.http
        .get(`/api/voucher-applications/${app.id}`)
        .set(await t.as('platform'))
        .expect(200);
      await t.http
        .get(`/api/vouchers/${app.voucher.id}`)
        .set(await t.as('platform'))
        .expect(200);

      const shApps = await t.http
        .get('/api/voucher-applications?limit=200')
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(shApps.body.items.length).toBeGreaterThan(0);
      expect(shApps.body.items.every((a: { issuingRegionCode: string }) => a.issuingRegionCode.startsWith('31'))).toBe(true);
      const shVouchers = await t.http
        .get('/api/vouchers?limit=200')
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(shVouchers.body.items.length).toBeGreaterThan(0);
      expect(
        shVouchers.body.items.every(
          (v: { serial: string; issuingRegionCode: string }) => v.issuingRegionCode === '310000' && v.serial.startsWith('SH-'),
        ),
      ).toBe(true);
      const ahVouchers = await t.http
        .get('/api/vouchers?limit=200')
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(ahVouchers.body.items.map((v: { id: string }) => v.id)).toContain(app.voucher.id);
      const all = await t.http
        .get('/api/vouchers?limit=200')
        .set(await t.as('platform'))
        .expect(200);
      expect(all.body.total).toBe(
        shVouchers.body.total +
          ahVouchers.body.total +
          (
            await t.http
              .get('/api/vouchers?limit=200')
              .set(await t.as('bureau-js'))
              .expect(200)
          ).body.total +
          (
            await t.http
              .get('/api/vouchers?limit=200')
              .set(await t.as('bureau-zj'))
              .expect(200)
          ).body.total,
      );
    });

    it('pages lists with limit and offset', async () => {
      const page = await t.http.get('/api/voucher-applications?limit=1&offset=1').set(auth(owner.token)).expect(200);
      expect(page.body.total).toBe(2);
      expect(page.body.items).toHaveLength(1);
      await t.http.get('/api/vouchers?status=lost').set(auth(owner.token)).expect(400);
    });
  });

  describe('vouchers', () => {
    it('carries its province’s prefix in a serial like AH-2026-000042, numbered per province', async () => {
      const serial = async (region: string) => (await apply(await t.registerEnterprise(region), 1_000_000)).voucher.serial as string;
      const [hefei, anhui] = [await serial('340100'), await serial('340200')];
      expect(hefei).toMatch(new RegExp(`^AH-${year}-\\d{6}$`));
      expect(Number(anhui.slice(-6))).toBe(Number(hefei.slice(-6)) + 1); // one counter for all of Anhui, cities and province
      expect(await serial('310000')).toMatch(new RegExp(`^SH-${year}-\\d{6}$`));
      expect(await serial('320100')).toMatch(new RegExp(`^JS-${year}-\\d{6}$`));
      expect(await serial('330100')).toMatch(new RegExp(`^ZJ-${year}-\\d{6}$`));
    });

    it('gives every voucher its own serial and unguessable verification code', async () => {
      const all = (
        await t.http
          .get('/api/vouchers?limit=200')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items as { serial: string; verificationCode: string }[];
      expect(all.length).toBeGreaterThan(20);
      expect(new Set(all.map((v) => v.serial)).size).toBe(all.length);
      expect(new Set(all.map((v) => v.verificationCode)).size).toBe(all.length);
      for (const v of all) expect(v.verificationCode).toMatch(VERIFICATION_CODE);
    });

    describe('public verification', () => {
      it('confirms a voucher to anyone holding its code, revealing nothing private', async () => {
        const e = await t.registerEnterprise('340100', { name: '合肥量子精密仪器有限公司' });
        const { voucher } = await apply(e, 8_000_000);
        const res = await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200);
        expect(res.body).toEqual({
          valid: true,
          serial: voucher.serial,
          issuingRegionCode: '340100',
          issuingBureau: '合肥市科学技术局',
          status: 'active',
          faceValueFen: 8_000_000,
          validUntil: voucher.validUntil,
        });
        const text = JSON.stringify(res.body);
        for (const secret of [e.creditCode, e.organizationId, '合肥量子精密仪器有限公司', voucher.id]) expect(text).not.toContain(secret);
      });

      it('answers an unknown or malformed code with 404', async () => {
        for (const code of ['AAAAAAAAAAAAAAAAAAAAAA', 'x', "1'%20OR%20'1'='1", 'A'.repeat(65)]) {
          expect((await t.http.get(`/api/vouchers/verify/${code}`).expect(404)).body.code).toBe('NOT_FOUND');
        }
      });
    });

    describe('revocation', () => {
      it('releases the unused balance to the budget, exactly', async () => {
        const e = await t.registerEnterprise('330200');
        const { voucher } = await apply(e, 8_000_000);
        expect(await budgetOf('330200')).toEqual({
          regionCode: '330200',
          year,
          totalFen: 40_000_000,
          availableFen: 32_000_000,
          committedFen: 8_000_000,
        });
        const res = await revoke('bureau-zj', voucher.id, '关联交易套取补贴');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          id: voucher.id,
          status: 'revoked',
          statusReason: '关联交易套取补贴',
          faceValueFen: 8_000_000,
          availableFen: 0,
          heldFen: 0,
          spentFen: 0,
          releasedFen: 8_000_000,
        });
        expect(await budgetOf('330200')).toEqual({
          regionCode: '330200',
          year,
          totalFen: 40_000_000,
          availableFen: 40_000_000,
          committedFen: 0,
        });
        expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
          status: 'revoked',
          availableFen: 0,
          releasedFen: 8_000_000,
        });
        expect((await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200)).body).toMatchObject({
          valid: false,
          status: 'revoked',
        });
        const audit = await t.http
          .get(`/api/audit?entityType=voucher&entityId=${voucher.id}`)
          .set(await t.as('platform'))
          .expect(200);
        expect(audit.body.items.map((a: { action: string }) => a.action).sort()).toEqual(['voucher.issued', 'voucher.revoked']);
      });

      it('answers a second revocation with 409, changing nothing', async () => {
        const { voucher } = await apply(await t.registerEnterprise('330200'), 4_000_000);
        await revoke('bureau-zj', voucher.id).then((r) => expect(r.status).toBe(200));
        const before = await budgetOf('330200');
        const again = await revoke('bureau-zj', voucher.id);
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('INVALID_STATE');
        const zh = await t.http
          .post(`/api/vouchers/${voucher.id}/revoke`)
          .set(await t.as('bureau-zj'))
          .set('Accept-Language', 'zh-CN')
          .send({ reason: '虚假申报材料' });
        expect(zh.body).toEqual({ statusCode: 409, code: 'INVALID_STATE', message: '该创新券已撤销，无需重复撤销' });
        expect(await budgetOf('330200')).toEqual(before);
      });

      it('belongs to the issuing bureau: others 403, a missing reason 400, an unknown voucher 404', async () => {
        const e = await t.registerEnterprise('330200');
        const { voucher } = await apply(e, 1_000_000);
        for (const token of [await t.token('bureau-sh'), await t.token('platform'), e.token]) {
          const res = await t.http.post(`/api/vouchers/${voucher.id}/revoke`).set(auth(token)).send({ reason: '越权' });
          expect(res.status).toBe(403);
        }
        await t.http
          .post(`/api/vouchers/${voucher.id}/revoke`)
          .set(await t.as('bureau-zj'))
          .send({})
          .expect(400);
        await t.http
          .post('/api/vouchers/00000000-0000-4000-8000-000000000000/revoke')
          .set(await t.as('bureau-zj'))
          .send({ reason: 'x' })
          .expect(404);
        expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body.status).toBe('active');
      });
    });

    describe('the certificate', () => {
      let e: OrgSession;
      let voucher: { id: string; serial: string };
      beforeAll(async () => {
        e = await t.registerEnterprise('340100', { name: '合肥量子精密仪器有限公司' });
        const app = await apply(e, 12_000_000);
        voucher = (await approve('bureau-ah', app.id, { amountFen: 10_000_550 })).body.voucher;
      });
      const certificate = (token: string) =>
        t.http.get(`/api/vouchers/${voucher.id}/certificate`).set(auth(token)).buffer(true).parse(binary);

      it('is a one-page PDF embedding Noto Sans SC, naming the serial, the holder and ¥100,005.50 in 大写', async () => {
        const res = await certificate(e.token).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/pdf/);
        expect(res.headers['content-disposition']).toContain(`${voucher.serial}.pdf`);
        const pdf = res.body as Buffer;
        const bytes = pdf.toString('latin1');
        expect(bytes.startsWith('%PDF-')).toBe(true);
        expect(bytes).toContain('/FontFile2');
        expect(bytes).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansSC/);
        const { numpages, text } = await pdfParse(pdf);
        expect(numpages).toBe(1);
        const flat = text.replace(/\s+/g, '');
        expect(flat).toContain(voucher.serial);
        expect(flat).toContain('合肥量子精密仪器有限公司');
        expect(flat).toContain(e.creditCode);
        expect(flat).toContain('合肥市科学技术局');
        expect(flat).toContain('¥100,005.50');
        expect(flat).toContain('壹拾万零伍元伍角');
      });

      it('is available to the issuing bureau and the platform, not to another province’s bureau', async () => {
        await certificate(await t.token('bureau-ah')).expect(200);
        await certificate(await t.token('platform')).expect(200);
        await certificate(await t.token('bureau-sh')).expect(404);
        await t.http.get(`/api/vouchers/${voucher.id}/certificate`).expect(401);
      });
    });
  });

  describe('expiry', () => {
    // Xuzhou's vouchers are valid for 30 days.
    beforeAll(() => openRegion(t, '320300', { budgetFen: 50_000_000, policy: { voucherValidityDays: 30 } }));
    afterEach(() => clock.reset());

    it('reads as expired once past its last day, and the sweep then releases the balance to the budget', async () => {
      const e = await t.registerEnterprise('320300');
      const { voucher } = await apply(e, 6_000_000);
      expect(voucher.validUntil).toBe(addDays(today, 29));
      expect(await budgetOf('320300')).toEqual({
        regionCode: '320300',
        year,
        totalFen: 50_000_000,
        availableFen: 44_000_000,
        committedFen: 6_000_000,
      });
      expect(await t.get(ExpireVouchers).execute()).toBe(0);

      clock.travel(30 * DAY_MS);
      expect(clock.today()).toBe(addDays(voucher.validUntil, 1));
      // Lazily: reads and verification say expired before any sweep has run; the money has not moved yet.
      expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
        status: 'expired',
        availableFen: 6_000_000,
        releasedFen: 0,
      });
      expect((await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200)).body).toMatchObject({
        valid: false,
        status: 'expired',
      });
      const expiredList = await t.http.get('/api/vouchers?status=expired').set(auth(e.token)).expect(200);
      expect(expiredList.body.items.map((v: { id: string }) => v.id)).toEqual([voucher.id]);
      expect((await t.http.get('/api/vouchers?status=active').set(auth(e.token)).expect(200)).body.total).toBe(0);
      expect((await t.http.get(`/api/budgets/320300/${year}`).set(auth(e.token)).expect(200)).body).toMatchObject({
        availableFen: 44_000_000,
        committedFen: 6_000_000,
      });

      expect(await t.get(ExpireVouchers).execute()).toBe(1);
      expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
        status: 'expired',
        faceValueFen: 6_000_000,
        availableFen: 0,
        releasedFen: 6_000_000,
      });
      expect((await t.http.get(`/api/budgets/320300/${year}`).set(auth(e.token)).expect(200)).body).toEqual({
        regionCode: '320300',
        year,
        totalFen: 50_000_000,
        availableFen: 50_000_000,
        committedFen: 0,
      });
      // What expiry gave back no longer counts against the enterprise's annual cap.
      expect(await t.get(AnnualGrantRepository).granted('320300', year, `ent:${e.organizationId}`)).toBe(0);
      expect(await t.get(ExpireVouchers).execute()).toBe(0);
      expect((await revoke('bureau-js', voucher.id)).status).toBe(409);
    });

    it('a voucher past its last day is not revoked before the sweep: revocation expires it in passing and says so', async () => {
      const e = await t.registerEnterprise('320300');
      const { voucher } = await apply(e, 2_000_000);
      const before = await budgetOf('320300');
      clock.travel(30 * DAY_MS);
      const refused = await revoke('bureau-js', voucher.id);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(voucher.validUntil);
      expect((await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
        status: 'expired',
        availableFen: 0,
        releasedFen: 2_000_000,
      });
      expect((await budgetOf('320300')).availableFen - before.availableFen).toBe(2_000_000);
      expect(await t.get(ExpireVouchers).execute()).toBe(0);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('never expires a voucher on its last day', async () => {
      const { voucher } = await apply(await t.registerEnterprise('320300'), 1_000_000);
      clock.travel(29 * DAY_MS);
      expect(clock.today()).toBe(voucher.validUntil);
      expect(await t.get(ExpireVouchers).execute()).toBe(0);
      expect((await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200)).body).toMatchObject({
        valid: true,
        status: 'active',
      });
    });
  });
});
