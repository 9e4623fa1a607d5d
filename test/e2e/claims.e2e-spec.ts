import { In } from 'typeorm';
import { InvoicesPerIssuer1766400000000 } from '../../migrations/1766400000000-invoices-per-issuer';
import { InvoiceKeysRefolded1765500000000 } from '../../migrations/1765500000000-invoice-keys-refolded';
import { clock, DAY_MS } from '../../src/common/clock';
import { zhDateTime } from '../../src/common/i18n/messages';
import { formatYuan } from '../../src/documents/chinese-amount';
import { newId } from '../../src/common/ids';
import { Sweeps } from '../../src/common/sweeps';
import { LedgerTransfer } from '../../src/ledger/ledger-transfer.entity';
import { Redemption } from '../../src/redemptions/redemption.entity';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, policyBody, secondReviewerFor } from '../support/fixtures';
import { until } from '../support/service-process';
import { auth, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SH = '310000';
const EVIDENCE = {
  contractNo: 'HT-2026-0137',
  invoiceNo: '31002613702',
  paymentProofRef: 'BANK-20260412-8841',
  reportRef: 'RPT-TEM-2026-0412',
};
/** The full evidence on an invoice no other claim used: a claimant claims an invoice once. */
const evidence = () => ({ ...EVIDENCE, invoiceNo: freshEvidence().invoiceNo });

describe('claims', () => {
  let t: TestApp;
  let shLab: OrgSession & { facilityId: string };
  let otherLab: OrgSession;
  let hefeiEnterprise: OrgSession & { voucherId: string };
  let shEnterprise: OrgSession & { voucherId: string };

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, SH);
    const lab = await t.registerProvider('310000', { name: '上海微观表征公共服务平台' });
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
      .expect(201);
    shLab = { ...lab, facilityId: facility.body.id };
    otherLab = await t.registerProvider('320500', { name: '苏州纳米所测试分析平台' });
    const e1 = await t.registerEnterprise(HEFEI, { name: '合肥量子芯科技有限公司' });
    hefeiEnterprise = { ...e1, voucherId: (await issueVoucher(t, e1.token, 5_000_000)).id };
    const e2 = await t.registerEnterprise(SH, { name: '上海启明新材料科技有限公司' });
    shEnterprise = { ...e2, voucherId: (await issueVoucher(t, e2.token, 5_000_000)).id };
  });
  afterAll(() => t.close());

  /**
   * TEM hours held by an enterprise at the Shanghai lab (80,000 × 50% = 40,000 subsidy per hour), captured and their
   * usage confirmed by the enterprise, unless it is to stay `held` or only `captured`.
   */
  async function redemption(
    enterprise = hefeiEnterprise,
    hours = 1,
    mode = 'provider_redeemed',
    stage: 'held' | 'captured' | 'confirmed' = 'confirmed',
    used = hours,
  ): Promise<{ id: string; usageDueAt?: string }> {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: enterprise.voucherId, facilityId: shLab.facilityId, quantity: hours, mode })
      .expect(201);
    if (stage === 'held') return held.body;
    const captured = await t.http
      .post(`/api/redemptions/${held.body.id}/capture`)
      .set(auth(shLab.token))
      .send({ actualQuantity: used })
      .expect(200);
    if (stage === 'captured') return captured.body;
    return (await t.http.post(`/api/redemptions/${held.body.id}/confirm`).set(auth(enterprise.token)).expect(200)).body;
  }
  /** One 10,000-fen sample of the Hefei voucher at a new Shanghai lab (5,000 subsidy), captured and its usage confirmed. */
  async function usageAtNewLab(mode = 'provider_redeemed') {
    const lab = await t.registerProvider('310000');
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: '元素分析', category: 'testing', unit: 'sample', unitPriceFen: 10_000 })
      .expect(201);
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(hefeiEnterprise.token))
      .send({ voucherId: hefeiEnterprise.voucherId, facilityId: facility.body.id, quantity: 1, mode })
      .expect(201);
    await captureConfirmed(t, lab.token, hefeiEnterprise.token, held.body.id, 1);
    return { lab, redemptionId: held.body.id as string };
  }
  const claimTransfers = (claimId: string) => t.dataSource.getRepository(LedgerTransfer).findBy({ refType: 'claim', refId: claimId });
  const submit = (who: OrgSession, body: Record<string, unknown>) => t.http.post('/api/claims').set(auth(who.token)).send(body);

  describe('submitting', () => {
    it('lets a Shanghai lab claim two captured TEM hours of an Hefei voucher, moving no money', async () => {
      const [a, b] = [await redemption(hefeiEnterprise, 1), await redemption(hefeiEnterprise, 2)];
      const before = await t.ledgerCheck();
      const res = await submit(shLab, { redemptionIds: [a.id, b.id], evidence: EVIDENCE }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        status: 'submitted',
        claimantId: shLab.organizationId,
        issuingRegionCode: HEFEI,
        claimedFen: 120_000,
        redemptionIds: [a.id, b.id],
        evidence: EVIDENCE,
        createdAt: expect.any(String),
      });
      expect((await t.ledgerCheck()).transfers).toBe(before.transfers);
      const read = await t.http.get(`/api/redemptions/${a.id}`).set(auth(shLab.token)).expect(200);
      expect(read.body.status).toBe('captured');
      const audit = await t.http
        .get(`/api/audit?entityType=claim&entityId=${res.body.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['claim.submitted']);
    });

    it('takes the optional evidence as optional', async () => {
      const r = await redemption();
      const res = await submit(shLab, { redemptionIds: [r.id], evidence: { contractNo: 'HT-1', invoiceNo: 'FP-1' } }).expect(201);
      expect(res.body.evidence).toEqual({ contractNo: 'HT-1', invoiceNo: 'FP-1' });
    });

    it('names every malformed field: 400 VALIDATION_FAILED', async () => {
      const r = await redemption();
      const cases: [Record<string, unknown>, string][] = [
        [{ redemptionIds: [r.id] }, 'evidence'],
        [{ redemptionIds: [], evidence: EVIDENCE }, 'redemptionIds'],
        [{ redemptionIds: ['not-an-id'], evidence: EVIDENCE }, 'redemptionIds'],
        [{ redemptionIds: [r.id, r.id], evidence: EVIDENCE }, 'redemptionIds'],
        [{ redemptionIds: r.id, evidence: EVIDENCE }, 'redemptionIds'],
        [{ redemptionIds: Array.from({ length: 501 }, () => newId()), evidence: EVIDENCE }, 'redemptionIds'],
        [{ redemptionIds: [r.id], evidence: { ...EVIDENCE, contractNo: '' } }, 'evidence.contractNo'],
        [{ redemptionIds: [r.id], evidence: { ...EVIDENCE, invoiceNo: 'x'.repeat(65) } }, 'evidence.invoiceNo'],
        [{ redemptionIds: [r.id], evidence: { ...EVIDENCE, reportRef: 42 } }, 'evidence.reportRef'],
        [{ redemptionIds: [r.id], evidence: 'HT-1' }, 'evidence'],
        [{ redemptionIds: [r.id], evidence: EVIDENCE, claimedFen: 1 }, 'claimedFen'],
      ];
      for (const [body, field] of cases) {
        const res = await submit(shLab, body).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.message).toContain(field);
      }
    });

    it('refuses a held redemption (409 INVALID_STATE) and accepts it once captured and its usage confirmed', async () => {
      const held = await redemption(hefeiEnterprise, 1, 'provider_redeemed', 'held');
      const res = await submit(shLab, { redemptionIds: [held.id], evidence: evidence() }).expect(409);
      expect(res.body.code).toBe('INVALID_STATE');
      expect(res.body.message).toContain('held');
      await t.http.post(`/api/redemptions/${held.id}/capture`).set(auth(shLab.token)).send({ actualQuantity: 1 }).expect(200);
      expect((await submit(shLab, { redemptionIds: [held.id], evidence: evidence() }).expect(422)).body.code).toBe('USAGE_NOT_CONFIRMED');
      await t.http.post(`/api/redemptions/${held.id}/confirm`).set(auth(hefeiEnterprise.token)).expect(200);
      await submit(shLab, { redemptionIds: [held.id], evidence: evidence() }).expect(201);
    });

    it('refuses a cancelled redemption: 409 INVALID_STATE', async () => {
      const held = await redemption(hefeiEnterprise, 1, 'provider_redeemed', 'held');
      await t.http.post(`/api/redemptions/${held.id}/cancel`).set(auth(hefeiEnterprise.token)).expect(200);
      expect((await submit(shLab, { redemptionIds: [held.id], evidence: evidence() }).expect(409)).body.code).toBe('INVALID_STATE');
    });

    it('hides another organization’s redemption (404) and tells a party that is not the payee it may not claim (403)', async () => {
      const r = await redemption();
      expect((await submit(otherLab, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(404)).body.code).toBe('NOT_FOUND');
      expect((await submit(shLab, { redemptionIds: [newId()], evidence: EVIDENCE }).expect(404)).body.code).toBe('NOT_FOUND');
      // the lab is told which of its list is unknown to it, in its language, as any other record not found
      const mine = await redemption();
      const hidden = await t.http
        .post('/api/claims')
        .set(auth(otherLab.token))
        .set('Accept-Language', 'zh-CN')
        .send({ redemptionIds: [r.id], evidence: EVIDENCE })
        .expect(404);
      expect(hidden.body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: `redemptionIds：未找到核销记录 ${r.id}（不存在或不属于贵单位）`,
      });
      const english = await submit(shLab, {
        redemptionIds: [mine.id, r.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))],
        evidence: evidence(),
      });
      expect(english.status).toBe(404);
      expect(english.body.message).toMatch(/^redemptionIds: redemption [0-9a-f-]{36} not found$/);
      // 通兑: the provider is the payee, so the enterprise cannot claim the subsidy itself.
      expect((await submit(hefeiEnterprise, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(403)).body.code).toBe('FORBIDDEN');
      // 通用: the enterprise paid the full fee and is the payee; the lab is not.
      const reimbursed = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed');
      expect((await submit(shLab, { redemptionIds: [reimbursed.id], evidence: EVIDENCE }).expect(403)).body.code).toBe('FORBIDDEN');
      const own = await submit(hefeiEnterprise, { redemptionIds: [reimbursed.id], evidence: evidence() }).expect(201);
      expect(own.body).toMatchObject({ claimantId: hefeiEnterprise.organizationId, claimedFen: 40_000 });
    });

    it('claims a redemption once: the second claim is 409 DUPLICATE and changes nothing', async () => {
      const [a, b] = [await redemption(), await redemption()];
      const first = await submit(shLab, { redemptionIds: [a.id], evidence: evidence() }).expect(201);
      const again = await submit(shLab, { redemptionIds: [b.id, a.id], evidence: evidence() }).expect(409);
      expect(again.body).toMatchObject({ code: 'DUPLICATE', message: expect.stringContaining(first.body.id) });
      const zh = await submit(shLab, { redemptionIds: [b.id, a.id], evidence: evidence() })
        .set('Accept-Language', 'zh-CN')
        .expect(409);
      expect(zh.body.message).toBe(`该笔服务（核销记录 ${a.id}）已在另一笔申报（${first.body.id}）中，不能重复申报`);
      // b was not taken by the refused claim: it is still claimable.
      await submit(shLab, { redemptionIds: [b.id], evidence: evidence() }).expect(201);
    });

    it('keeps a claim to one issuing region: 400 VALIDATION_FAILED', async () => {
      const [hefei, shanghai] = [await redemption(hefeiEnterprise), await redemption(shEnterprise)];
      const res = await submit(shLab, { redemptionIds: [hefei.id, shanghai.id], evidence: evidence() }).expect(400);
      expect(res.body.message).toMatch(/redemptionIds: .*one issuing region/);
    });

    it('blocks a sanctioned claimant: 422 SANCTIONED', async () => {
      const { lab, redemptionId } = await usageAtNewLab();
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-ah'))
        .send({ creditCode: lab.creditCode, reason: '伪造检测报告' })
        .expect(201);
      const res = await submit(lab, { redemptionIds: [redemptionId], evidence: EVIDENCE }).expect(422);
      expect(res.body.code).toBe('SANCTIONED');
    });

    it('is for payees only: bureaus and the platform get 403, anonymous callers 401', async () => {
      const r = await redemption();
      for (const user of ['bureau-ah', 'platform'])
        await t.http
          .post('/api/claims')
          .set(await t.as(user))
          .send({ redemptionIds: [r.id], evidence: EVIDENCE })
          .expect(403);
      await t.http
        .post('/api/claims')
        .send({ redemptionIds: [r.id], evidence: EVIDENCE })
        .expect(401);
    });

    it('replays a repeated Idempotency-Key without claiming twice', async () => {
      const r = await redemption();
      const body = { redemptionIds: [r.id], evidence: evidence() };
      const first = await t.http.post('/api/claims').set(auth(shLab.token)).set('Idempotency-Key', `claim-${r.id}`).send(body).expect(201);
      const replay = await t.http.post('/api/claims').set(auth(shLab.token)).set('Idempotency-Key', `claim-${r.id}`).send(body).expect(201);
      expect(replay.body).toEqual(first.body);
      await t.http
        .post('/api/claims')
        .set(auth(shLab.token))
        .set('Idempotency-Key', `claim-${r.id}`)
        .send({ ...body, evidence: evidence() })
        .expect(409);
    });
  });

  describe('deciding', () => {
    const newClaim = async (hours = 1, enterprise = hefeiEnterprise) => {
      const r = await redemption(enterprise, hours);
      return (await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201)).body as {
        id: string;
        claimedFen: number;
        redemptionIds: string[];
        evidence: typeof EVIDENCE;
      };
    };

    it('lets only the issuing region’s bureau decide: bureau-sh may not approve an Anhui claim (403)', async () => {
      const c = await newClaim();
      for (const user of ['bureau-sh', 'bureau-js']) {
        expect(
          (
            await t.http
              .post(`/api/claims/${c.id}/approve`)
              .set(await t.as(user))
              .send({})
              .expect(403)
          ).body.code,
        ).toBe('FORBIDDEN');
        await t.http
          .post(`/api/claims/${c.id}/reject`)
          .set(await t.as(user))
          .send({ reason: 'x' })
          .expect(403);
      }
      for (const session of [shLab, hefeiEnterprise])
        await t.http.post(`/api/claims/${c.id}/approve`).set(auth(session.token)).send({}).expect(403);
      await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('platform'))
        .send({})
        .expect(403);
      await t.http
        .post(`/api/claims/${newId()}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(404);
      await t.http
        .post('/api/claims/not-an-id/approve')
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(404);
    });

    it('approves the claimed amount by default, as a payable of the issuing region', async () => {
      const c = await newClaim(3);
      const res = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(200);
      expect(res.body).toMatchObject({ status: 'approved', claimedFen: 120_000, approvedFen: 120_000, decidedAt: expect.any(String) });
      const r = await t.http.get(`/api/redemptions/${c.redemptionIds[0]}`).set(auth(shLab.token)).expect(200);
      expect(r.body.status).toBe('captured');
      const again = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(409);
      expect(again.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('approved') });
      await t.http
        .post(`/api/claims/${c.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: 'late' })
        .expect(409);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('approves less and gives the difference back to the Hefei budget', async () => {
      const c = await newClaim(2); // 80,000 claimed
      const budget = async () =>
        (
          await t.http
            .get(`/api/budgets/${HEFEI}/${clock.year()}`)
            .set(await t.as('bureau-ah'))
            .expect(200)
        ).body;
      const voucher = async () =>
        (await t.http.get(`/api/vouchers/${hefeiEnterprise.voucherId}`).set(auth(hefeiEnterprise.token)).expect(200)).body;
      const [b0, v0] = [await budget(), await voucher()];
      const res = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({ approvedFen: 65_000 })
        .expect(200);
      expect(res.body).toMatchObject({ claimedFen: 80_000, approvedFen: 65_000 });
      const [b1, v1] = [await budget(), await voucher()];
      expect(b1.availableFen - b0.availableFen).toBe(15_000);
      expect(b0.committedFen - b1.committedFen).toBe(15_000);
      expect({ spent: v0.spentFen - v1.spentFen, released: v1.releasedFen - v0.releasedFen }).toEqual({ spent: 15_000, released: 15_000 });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('tells the lab why its claim was cut: the reason on the claim, in its claim.decided event and in its notice', async () => {
      const c = await newClaim(); // 40,000 claimed
      const full = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({ reason: '无需核减' });
      expect(full.status).toBe(400);
      expect(full.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'reason：核减理由仅在核定金额低于申报金额时填写' });
      const cut = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({ approvedFen: 38_999, reason: '超出合同约定的机时不予补贴。' })
        .expect(200);
      expect(cut.body).toMatchObject({
        status: 'approved',
        claimedFen: 40_000,
        approvedFen: 38_999,
        reason: '超出合同约定的机时不予补贴。',
      });
      const seen = await t.http.get(`/api/claims/${c.id}`).set(auth(shLab.token)).expect(200);
      expect(seen.body).toMatchObject({ approvedFen: 38_999, reason: '超出合同约定的机时不予补贴。' });
      const events = await t.http.get('/api/events?limit=500').set(auth(shLab.token)).expect(200);
      const decided = events.body.items.find(
        (e: { type: string; data: { claimId?: string } }) => e.type === 'claim.decided' && e.data.claimId === c.id,
      );
      expect(decided.data).toMatchObject({
        decision: 'approved',
        claimedFen: 40_000,
        approvedFen: 38_999,
        returnedToBudgetFen: 1_001,
        reason: '超出合同约定的机时不予补贴。',
      });
      const notice = await until('the lab told of its cut claim', async () => {
        const list = await t.http.get('/api/notifications?limit=100').set(auth(shLab.token)).expect(200);
        return list.body.items.find((n: { entityId: string }) => n.entityId === c.id) as { body: string } | undefined;
      });
      expect(notice.body).toContain(
        '（申报金额 ¥400.00）已获批准，核定金额 ¥389.99（核减 ¥10.01，核减理由：超出合同约定的机时不予补贴）。',
      );
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('spreads a reduced approval over the redemptions in claim order', async () => {
      const [two, one, three] = [
        await redemption(hefeiEnterprise, 2),
        await redemption(hefeiEnterprise, 1),
        await redemption(hefeiEnterprise, 3),
      ];
      const c = (await submit(shLab, { redemptionIds: [two.id, one.id, three.id], evidence: evidence() }).expect(201)).body;
      expect(c.claimedFen).toBe(240_000);
      // 100,000 approved: the 2-hour redemption keeps its 80,000, the 1-hour one gets the last 20,000, the 3-hour one nothing.
      await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({ approvedFen: 100_000 })
        .expect(200);
      const rows = await t.dataSource.getRepository(Redemption).findBy({ id: In([two.id, one.id, three.id]) });
      const approved = Object.fromEntries(rows.map((r) => [r.id, [r.capturedSubsidyFen, r.approvedFen]]));
      expect([approved[two.id], approved[one.id], approved[three.id]]).toEqual([
        [80_000, 80_000],
        [40_000, 20_000],
        [120_000, 0],
      ]);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('refuses an approval above the claim or of zero: 400 VALIDATION_FAILED naming approvedFen', async () => {
      const c = await newClaim();
      for (const approvedFen of [40_001, 0, -1, 1.5, '100']) {
        const res = await t.http
          .post(`/api/claims/${c.id}/approve`)
          .set(await t.as('bureau-ah'))
          .send({ approvedFen })
          .expect(400);
        expect(res.body.message).toContain('approvedFen');
      }
      const over = await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({ approvedFen: 40_001 })
        .expect(400);
      expect(over.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'approvedFen：核定金额不能超过申报金额 ¥400.00' });
    });

    it('rejects with a reason; the redemptions can be claimed again, on the same invoice, and the claim cannot be approved', async () => {
      const c = await newClaim();
      await t.http
        .post(`/api/claims/${c.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(400);
      await t.http
        .post(`/api/claims/${c.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: 'x'.repeat(501) })
        .expect(400);
      const res = await t.http
        .post(`/api/claims/${c.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '发票抬头与合同不一致' })
        .expect(200);
      expect(res.body).toMatchObject({ status: 'rejected', reason: '发票抬头与合同不一致' });
      await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(409);
      const again = await submit(shLab, { redemptionIds: c.redemptionIds, evidence: c.evidence }).expect(201);
      expect(again.body).toMatchObject({ status: 'submitted', claimedFen: 40_000, evidence: c.evidence });
      expect(await claimTransfers(c.id)).toEqual([]);
    });
  });

  describe('usage the enterprise confirms before anyone claims', () => {
    it('refuses a claim on captured usage the enterprise has not confirmed: 422 USAGE_NOT_CONFIRMED, naming when silence confirms it', async () => {
      const r = await redemption(hefeiEnterprise, 2, 'provider_redeemed', 'captured');
      const confirmed = await redemption();
      const res = await submit(shLab, { redemptionIds: [confirmed.id, r.id], evidence: evidence() }).expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'USAGE_NOT_CONFIRMED',
        message: `the enterprise has not confirmed the usage of redemption ${r.id}; silence confirms it at ${r.usageDueAt}`,
      });
      // Nothing was taken: both redemptions are unclaimed and the confirmed one can be claimed alone.
      for (const id of [r.id, confirmed.id]) {
        expect((await t.http.get(`/api/redemptions/${id}`).set(auth(shLab.token)).expect(200)).body).not.toHaveProperty('claimId');
      }
      expect((await submit(shLab, { redemptionIds: [confirmed.id], evidence: evidence() }).expect(201)).body.claimedFen).toBe(40_000);
    });

    it('refuses a claim on disputed usage (422 USAGE_DISPUTED) until the issuing bureau resolves it', async () => {
      const r = await redemption(hefeiEnterprise, 3, 'provider_redeemed', 'captured');
      const disputed = await t.http
        .post(`/api/redemptions/${r.id}/dispute`)
        .set(auth(hefeiEnterprise.token))
        .send({ reason: '实际只使用了 2 小时' })
        .expect(200);
      expect(disputed.body).toMatchObject({ usage: 'disputed', capturedQuantity: 3, capturedSubsidyFen: 120_000 });
      const res = await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'USAGE_DISPUTED',
        message: `the enterprise disputed the usage of redemption ${r.id}; its issuing bureau resolves it first`,
      });
      const zh = await submit(shLab, { redemptionIds: [r.id], evidence: evidence() })
        .set('Accept-Language', 'zh-CN')
        .expect(422);
      expect(zh.body.message).toBe(`用券企业对该笔服务（核销记录 ${r.id}）有异议，须经发券地科技局裁定后方可申报`);
      // Hefei's bureau finds 2 hours were used: 80,000 stays spent, 40,000 goes back to the voucher.
      const voucherBefore = (await t.http.get(`/api/vouchers/${hefeiEnterprise.voucherId}`).set(auth(hefeiEnterprise.token)).expect(200))
        .body;
      const resolved = await t.http
        .post(`/api/redemptions/${r.id}/resolve`)
        .set(await t.as('bureau-ah'))
        .send({ actualQuantity: 2 })
        .expect(200);
      expect(resolved.body).toMatchObject({
        usage: 'confirmed',
        capturedQuantity: 2,
        capturedFeeFen: 160_000,
        capturedSubsidyFen: 80_000,
        capturedSelfPayFen: 80_000,
      });
      const voucherAfter = (await t.http.get(`/api/vouchers/${hefeiEnterprise.voucherId}`).set(auth(hefeiEnterprise.token)).expect(200))
        .body;
      expect(voucherAfter.availableFen - voucherBefore.availableFen).toBe(40_000);
      expect(voucherBefore.spentFen - voucherAfter.spentFen).toBe(40_000);
      const claim = await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201);
      expect(claim.body.claimedFen).toBe(80_000);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('tells an enterprise claiming its own 通用 usage to confirm it (or that it disputed it), not to wait for itself', async () => {
      const r = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed', 'captured');
      const zh = await submit(hefeiEnterprise, { redemptionIds: [r.id], evidence: evidence() })
        .set('Accept-Language', 'zh-CN')
        .expect(422);
      expect(zh.body).toEqual({
        statusCode: 422,
        code: 'USAGE_NOT_CONFIRMED',
        message: `本单位尚未确认核销记录 ${r.id} 的用量：请先确认服务，确认后即可申报（至 ${zhDateTime(r.usageDueAt!)} 未提出异议也视为确认）`,
      });
      const en = await submit(hefeiEnterprise, { redemptionIds: [r.id], evidence: evidence() }).expect(422);
      expect(en.body.message).toBe(
        `you have not confirmed the usage of redemption ${r.id}: confirm it (POST /api/redemptions/${r.id}/confirm) and claim it then, or silence confirms it at ${r.usageDueAt}`,
      );
      await t.http.post(`/api/redemptions/${r.id}/confirm`).set(auth(hefeiEnterprise.token)).expect(200);
      await submit(hefeiEnterprise, { redemptionIds: [r.id], evidence: evidence() }).expect(201);

      const disputed = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed', 'captured');
      await t.http
        .post(`/api/redemptions/${disputed.id}/dispute`)
        .set(auth(hefeiEnterprise.token))
        .send({ reason: '实验室未出具报告' })
        .expect(200);
      const own = await submit(hefeiEnterprise, { redemptionIds: [disputed.id], evidence: evidence() })
        .set('Accept-Language', 'zh-CN')
        .expect(422);
      expect(own.body).toMatchObject({
        code: 'USAGE_DISPUTED',
        message: `本单位对该笔服务（核销记录 ${disputed.id}）提出了异议，须经发券地科技局裁定后方可申报`,
      });
    });

    it('takes silence as confirmation at claim time once the window closed, before any sweep ran', async () => {
      const r = await redemption(hefeiEnterprise, 1, 'provider_redeemed', 'captured');
      const dueMs = Date.parse(r.usageDueAt!) - clock.now().getTime();
      expect(Math.round(dueMs / DAY_MS)).toBe(7); // the policy's default confirmDays
      try {
        clock.travel(dueMs - 60_000);
        expect((await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(422)).body.code).toBe('USAGE_NOT_CONFIRMED');
        clock.travel(120_000);
        const stored = await t.dataSource.getRepository(Redemption).findOneByOrFail({ id: r.id });
        expect(stored.usage).toBe('pending'); // no sweep has written it
        const claim = await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201);
        expect(claim.body).toMatchObject({ status: 'submitted', claimedFen: 40_000 });
      } finally {
        clock.reset();
      }
      const confirmed = await t.dataSource.getRepository(Redemption).findOneByOrFail({ id: r.id });
      expect(confirmed).toMatchObject({ usage: 'confirmed', usageDecidedAt: r.usageDueAt });
      const audit = await t.http
        .get(`/api/audit?entityType=redemption&entityId=${r.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'redemption.usage_confirmed',
            summary: expect.objectContaining({ by: 'silence', dueAt: r.usageDueAt }),
          }),
        ]),
      );
    });

    it('lets the usage-confirmation sweep confirm silent usage too', async () => {
      const r = await redemption(hefeiEnterprise, 1, 'provider_redeemed', 'captured');
      try {
        clock.travel(7 * DAY_MS + 1000);
        const changed = await t.get(Sweeps).runAll();
        expect(changed['usage-confirmation']).toBeGreaterThanOrEqual(1);
      } finally {
        clock.reset();
      }
      expect(await t.dataSource.getRepository(Redemption).findOneByOrFail({ id: r.id })).toMatchObject({
        usage: 'confirmed',
        usageDecidedAt: r.usageDueAt,
      });
      await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201);
    });

    it('has nothing to claim on a capture of 0 units: 422 NOTHING_TO_CLAIM', async () => {
      const none = await redemption(hefeiEnterprise, 2, 'provider_redeemed', 'confirmed', 0);
      const read = await t.http.get(`/api/redemptions/${none.id}`).set(auth(shLab.token)).expect(200);
      expect(read.body).toMatchObject({ status: 'captured', quantity: 2, subsidyFen: 80_000, capturedQuantity: 0, capturedSubsidyFen: 0 });
      const res = await submit(shLab, { redemptionIds: [none.id], evidence: evidence() }).expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'NOTHING_TO_CLAIM',
        message: 'the captured subsidy of these redemptions is 0 fen; there is nothing to claim',
      });
      expect((await t.http.get(`/api/redemptions/${none.id}`).set(auth(shLab.token)).expect(200)).body).not.toHaveProperty('claimId');
    });
  });

  describe('one claim per invoice', () => {
    // An invoice number of this run alone, and the ways a clerk might type it again.
    const digits = `31${String(Date.now()).slice(-9)}`;
    const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const spaced = `${digits.slice(0, 4)}-${digits.slice(4, 8)} ${digits.slice(8)}`;
    const withInvoice = (invoiceNo: string) => ({ contractNo: 'HT-2026-0188', invoiceNo });

    it('refuses an invoice already on another standing claim of the claimant, however it is written: 422 DUPLICATE_INVOICE', async () => {
      const first = (await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(digits) }).expect(201)).body;
      for (const invoiceNo of [
        digits,
        spaced,
        fullWidth(digits),
        ` ${digits.slice(0, 6)}—${digits.slice(6)} `,
        `${digits.slice(0, 4)}\u200b${digits.slice(4)}`, // zero-width space
        `${digits.slice(0, 4)}\u00ad${digits.slice(4, 8)}\u2060${digits.slice(8)}`, // soft hyphen, word joiner
        `${digits.slice(0, 4)}\u2212${digits.slice(4)}`, // minus sign
        `${digits}\ufe0f`, // variation selector
        `${digits.slice(0, 4)}\u3164${digits.slice(4)}`, // Hangul filler
        `${digits.slice(0, 4)}_${digits.slice(4, 8)}.${digits.slice(8)}`,
        digits.replace(/0/g, 'O'),
        digits.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))), // Arabic-Indic digits
      ]) {
        const r = await redemption();
        const res = await submit(shLab, { redemptionIds: [r.id], evidence: withInvoice(invoiceNo) }).expect(422);
        expect(res.body).toEqual({
          statusCode: 422,
          code: 'DUPLICATE_INVOICE',
          message: `invoice ${invoiceNo} is already on another claim of this claimant (${first.id}, submitted ${first.createdAt} for ${first.claimedFen} fen) that was not rejected`,
        });
        expect((await t.http.get(`/api/redemptions/${r.id}`).set(auth(shLab.token)).expect(200)).body).not.toHaveProperty('claimId');
      }
      const zh = await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(digits) })
        .set('Accept-Language', 'zh-CN')
        .expect(422);
      // named so that the lab knows it: when it was submitted, for how much, and its id
      expect(zh.body.message).toBe(
        `发票号 ${digits} 已用于本单位 ${zhDateTime(first.createdAt)} 提交的另一笔未被驳回的申报（申报金额 ${formatYuan(first.claimedFen)}，编号 ${first.id}）`,
      );
      // Letters are folded to upper case as well.
      const lettered = `fp-${digits}`;
      await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(lettered) }).expect(201);
      expect(
        (await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(`ＦＰ${digits}`) }).expect(422)).body.code,
      ).toBe('DUPLICATE_INVOICE');
    });

    it('refuses an invoice number of only separators or invisible characters, or with a letter outside A–Z: 400 naming invoiceNo', async () => {
      // a tab or a line break is no separator of an invoice number: it is not one line of text
      const notOneLine = [`${digits.slice(0, 5)}\t${digits.slice(5)}`, `${digits}\r\n`];
      for (const invoiceNo of [
        '  - \u3000',
        '\u200b\u00ad',
        '—',
        '\ufe0f',
        '\u3164',
        '\u0000',
        `31\u041e${digits}`,
        `发票${digits}`,
        ...notOneLine,
      ]) {
        const res = await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(invoiceNo) }).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('evidence.invoiceNo') });
      }
      const zh = await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(' - ') })
        .set('Accept-Language', 'zh-CN')
        .expect(400);
      expect(zh.body.message).toContain('evidence.invoiceNo：必须由发票号码的字母 A–Z 和数字组成');
    });

    it('a migration folds the keys of standing claims again; one that now names another claim’s invoice keeps its own', async () => {
      const other = `320${String(Date.now()).slice(-8)}`; // with a 0 to letter
      const lettered = (n: string) => n.replace(/0/g, 'O');
      const claimed = async (invoiceNo: string) =>
        (await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(invoiceNo) }).expect(201)).body.id as string;
      // As the former folding left them: an O kept as a letter, so "32O…" and "320…" were two invoices.
      const asBefore = (id: string, invoiceNo: string) =>
        t.dataSource.query('UPDATE claim SET evidence = ?, invoice_key = ? WHERE id = ?', [
          JSON.stringify(withInvoice(invoiceNo)),
          invoiceNo,
          id,
        ]);
      const keyOf = async (id: string) =>
        (await t.dataSource.query<{ invoice_key: string }[]>('SELECT invoice_key FROM claim WHERE id = ?', [id]))[0].invoice_key;
      const [plain, clashing, refolded] = [await claimed(other), await claimed(`${other}7`), await claimed(`${other}6`)];
      await asBefore(clashing, lettered(other));
      await asBefore(refolded, lettered(`${other}6`));
      const runner = t.dataSource.createQueryRunner();
      await new InvoiceKeysRefolded1765500000000().up(runner).finally(() => runner.release());
      expect([await keyOf(plain), await keyOf(clashing), await keyOf(refolded)]).toEqual([other, lettered(other), `${other}6`]);
      const again = await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(`${other}6`) }).expect(422);
      expect(again.body).toMatchObject({ code: 'DUPLICATE_INVOICE', message: expect.stringContaining(refolded) });
    });

    it('a migration takes the invoices of the claims that hold them under their lab; of two claimants’ claims on one, the earlier', async () => {
      const invoiceNo = `35${String(Date.now()).slice(-9)}`;
      const ofLab = (await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(invoiceNo) }).expect(201)).body;
      // as before the migration: the enterprise's claim on the same invoice of the lab was admitted
      await t.dataSource.query('DELETE FROM claimed_invoice WHERE claim_id = ?', [ofLab.id]);
      const reimbursed = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed');
      const ofEnterprise = (await submit(hefeiEnterprise, { redemptionIds: [reimbursed.id], evidence: withInvoice(invoiceNo) }).expect(201))
        .body;
      await t.dataSource.query('DELETE FROM claimed_invoice WHERE claim_id IN (?, ?)', [ofLab.id, ofEnterprise.id]);
      const runner = t.dataSource.createQueryRunner();
      await new InvoicesPerIssuer1766400000000().up(runner).finally(() => runner.release());
      const holders = await t.dataSource.query<{ claim_id: string }[]>('SELECT claim_id FROM claimed_invoice WHERE invoice_key = ?', [
        invoiceNo,
      ]);
      expect(holders.map((h) => h.claim_id)).toEqual([ofLab.id]);
      // both stand as admitted; the next claim on it, by either, is refused
      const next = await submit(hefeiEnterprise, {
        redemptionIds: [(await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed')).id],
        evidence: withInvoice(invoiceNo),
      });
      expect([next.status, next.body.code]).toEqual([422, 'DUPLICATE_INVOICE']);
    });

    it('refuses another claimant an invoice of the same lab that a standing claim holds; a number another lab issued is its own', async () => {
      // the lab's own claim holds `digits`: the enterprise reimbursing another service at that lab may not use it too
      const reimbursed = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed');
      const res = await submit(hefeiEnterprise, { redemptionIds: [reimbursed.id], evidence: withInvoice(spaced) }).expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'DUPLICATE_INVOICE',
        message: `invoice ${spaced} of the lab that issued it is already on another claim, by another claimant, that was not rejected: one invoice backs one claim`,
      });
      const { redemptionId } = await usageAtNewLab('enterprise_reimbursed');
      const own = await submit(hefeiEnterprise, { redemptionIds: [redemptionId], evidence: withInvoice(spaced) }).expect(201);
      expect(own.body).toMatchObject({ claimantId: hefeiEnterprise.organizationId, evidence: { invoiceNo: spaced } });
    });

    it('frees the invoice when its claim is rejected, and holds it again once a new claim on it stands, approved or not', async () => {
      const invoiceNo = `33${String(Date.now()).slice(-9)}`;
      const first = (await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(invoiceNo) }).expect(201)).body;
      await t.http
        .post(`/api/claims/${first.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '发票与合同不符' })
        .expect(200);
      const second = (
        await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(fullWidth(invoiceNo)) }).expect(201)
      ).body;
      await t.http
        .post(`/api/claims/${second.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(200);
      const third = await submit(shLab, { redemptionIds: [(await redemption()).id], evidence: withInvoice(invoiceNo) }).expect(422);
      expect(third.body).toMatchObject({ code: 'DUPLICATE_INVOICE', message: expect.stringContaining(second.id) });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });

  describe('screening the payee again at approval', () => {
    /** A new Shanghai lab with a claim of one 10,000-fen sample (5,000 subsidy) from the Hefei voucher. */
    async function labWithClaim() {
      const { lab, redemptionId } = await usageAtNewLab();
      const claim = (await submit(lab, { redemptionIds: [redemptionId], evidence: evidence() }).expect(201)).body as { id: string };
      return { lab, claim };
    }
    const approve = async (claimId: string, user = 'bureau-ah') =>
      t.http
        .post(`/api/claims/${claimId}/approve`)
        .set(await t.as(user))
        .send({});

    it('holds back a payee sanctioned after it claimed: 422 SANCTIONED, and approves once the sanction is lifted', async () => {
      const { lab, claim } = await labWithClaim();
      const sanction = (
        await t.http
          .post('/api/sanctions')
          .set(await t.as('bureau-sh'))
          .send({ creditCode: lab.creditCode, reason: '虚报机时' })
          .expect(201)
      ).body;
      const res = await approve(claim.id);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'SANCTIONED',
        message: `the payee ${lab.creditCode} or its actual controller is under a credit sanction; its claims wait until it is clear`,
      });
      expect((await t.http.get(`/api/claims/${claim.id}`).set(auth(lab.token)).expect(200)).body.status).toBe('submitted');
      expect(await claimTransfers(claim.id)).toEqual([]);
      await t.http
        .post(`/api/sanctions/${sanction.id}/lift`)
        .set(await t.as('bureau-sh'))
        .send({})
        .expect(200);
      expect((await approve(claim.id)).body).toMatchObject({ status: 'approved', approvedFen: 5_000 });
      expect((await claimTransfers(claim.id)).map((m) => m.amountFen)).toEqual([5_000]);
    });

    it('holds back a suspended provider: 422 PROVIDER_NOT_ACTIVE, and approves once it is readmitted', async () => {
      const { lab, claim } = await labWithClaim();
      const sh = await t.as('bureau-sh');
      await t.http.post(`/api/providers/${lab.organizationId}/suspend`).set(sh).send({ reason: '虚假使用记录' }).expect(200);
      const res = await approve(claim.id);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'PROVIDER_NOT_ACTIVE',
        message: 'the payee is suspended; its claims wait until it is active again',
      });
      expect(await claimTransfers(claim.id)).toEqual([]);
      // The claim waits, submitted, until the provider is readmitted.
      await t.http.post(`/api/providers/${lab.organizationId}/admit`).set(sh).send({ noticeDays: 0 }).expect(200);
      expect((await approve(claim.id)).body).toMatchObject({ status: 'approved', approvedFen: 5_000 });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('still lets the bureau reject a held-back claim', async () => {
      const { lab, claim } = await labWithClaim();
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-ah'))
        .send({ creditCode: lab.creditCode, reason: '伪造检测报告' })
        .expect(201);
      expect((await approve(claim.id)).status).toBe(422);
      const rejected = await t.http
        .post(`/api/claims/${claim.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '失信主体' })
        .expect(200);
      expect(rejected.body).toMatchObject({ status: 'rejected', reason: '失信主体' });
    });
  });

  describe('two bureau users for large claims (maker-checker)', () => {
    const WUHU = '340200';
    let wuhuEnterprise: OrgSession & { voucherId: string };
    const budget = async () =>
      (
        await t.http
          .get(`/api/budgets/${WUHU}/${clock.year()}`)
          .set(await t.as('bureau-ah'))
          .expect(200)
      ).body as { availableFen: number; committedFen: number };
    /** A claim of the Shanghai lab for `hours` TEM hours on the Wuhu voucher (40,000 subsidy each). */
    const wuhuClaim = async (hours: number) => {
      const r = await redemption(wuhuEnterprise, hours);
      return (await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201)).body as {
        id: string;
        claimedFen: number;
        redemptionIds: string[];
      };
    };
    const approve = async (claimId: string, user: string, body: Record<string, unknown> = {}) =>
      t.http
        .post(`/api/claims/${claimId}/approve`)
        .set(await t.as(user))
        .send(body);

    beforeAll(async () => {
      await openRegion(t, WUHU);
      const e = await t.registerEnterprise(WUHU, { name: '芜湖新能源汽车零部件有限公司' });
      wuhuEnterprise = { ...e, voucherId: (await issueVoucher(t, e.token, 2_000_000)).id };
      // Then Wuhu approves claims of ¥1,000 (100,000 fen) or more with two people, on vouchers issued before too.
      await t.http
        .post('/api/policies')
        .set(await t.as('bureau-ah'))
        .send(policyBody(WUHU, { dualControlFen: 100_000, autoApproveMaxFen: 0 }))
        .expect(201);
      expect(secondReviewerFor(WUHU)).toBe('bureau-ah-2');
    });

    it('marks the first approval (202 awaiting_second_approval, no money moves) and completes it with a second user', async () => {
      const c = await wuhuClaim(3); // 120,000
      const b0 = await budget();
      const first = await approve(c.id, 'bureau-ah');
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ id: c.id, status: 'awaiting_second_approval', claimedFen: 120_000, firstApprovedFen: 120_000 });
      expect(first.body).not.toHaveProperty('approvedFen');
      expect(first.body).not.toHaveProperty('decidedAt');
      expect(await claimTransfers(c.id)).toEqual([]);

      const same = await approve(c.id, 'bureau-ah');
      expect(same.status).toBe(403);
      expect(same.body).toEqual({
        statusCode: 403,
        code: 'DUAL_CONTROL_REQUIRED',
        message: 'a second approval must come from another bureau user than the first',
      });
      expect((await approve(c.id, 'bureau-sh-2')).status).toBe(403); // another province's second reviewer: out of scope
      expect(await claimTransfers(c.id)).toEqual([]);
      expect((await t.http.get(`/api/claims/${c.id}`).set(auth(shLab.token)).expect(200)).body.status).toBe('awaiting_second_approval');

      const second = await approve(c.id, 'bureau-ah-2');
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({
        status: 'approved',
        claimedFen: 120_000,
        approvedFen: 120_000,
        firstApprovedFen: 120_000,
        decidedAt: expect.any(String),
      });
      const moved = await claimTransfers(c.id);
      expect(moved.map((m) => [m.kind, m.amountFen])).toEqual([['claim.approval', 120_000]]);
      expect(moved[0].creditAccount).toBe(`payable:${WUHU}:${shLab.organizationId}`);
      expect(await budget()).toEqual(b0); // all of it approved: nothing back to the budget
      expect((await approve(c.id, 'bureau-ah')).status).toBe(409);
      const audit = await t.http
        .get(`/api/audit?entityType=claim&entityId=${c.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
        'claim.approved',
        'claim.first_approval',
        'claim.submitted',
      ]);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('carries the first approver’s reason for a cut to the second approval, which may give its own', async () => {
      const c = await wuhuClaim(3); // 120,000 claimed
      const first = await approve(c.id, 'bureau-ah', { approvedFen: 100_000, reason: '检测报告缺页' });
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 100_000, reason: '检测报告缺页' });
      const second = await approve(c.id, 'bureau-ah-2');
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'approved', approvedFen: 100_000, reason: '检测报告缺页' });
      const other = await wuhuClaim(3);
      await approve(other.id, 'bureau-ah', { approvedFen: 100_000, reason: '检测报告缺页' });
      const own = await approve(other.id, 'bureau-ah-2', { reason: '检测报告缺第 3 页，该页所列机时不予补贴' });
      expect(own.body).toMatchObject({ status: 'approved', approvedFen: 100_000, reason: '检测报告缺第 3 页，该页所列机时不予补贴' });
    });

    it('has the second approval confirm the first one’s amount: a different amount is 400, the same one approves', async () => {
      const c = await wuhuClaim(3); // 120,000 claimed, 110,000 approved
      const b0 = await budget();
      expect((await approve(c.id, 'bureau-ah', { approvedFen: 110_000 })).body).toMatchObject({
        status: 'awaiting_second_approval',
        firstApprovedFen: 110_000,
      });
      const other = await approve(c.id, 'bureau-ah-2', { approvedFen: 120_000 });
      expect(other.status).toBe(400);
      expect(other.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: "approvedFen: the second approval confirms the first one's 110000 fen",
      });
      expect(await claimTransfers(c.id)).toEqual([]);
      const second = await approve(c.id, 'bureau-ah-2', { approvedFen: 110_000 });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'approved', approvedFen: 110_000 });
      const moved = await claimTransfers(c.id);
      expect(moved.map((m) => [m.kind, m.amountFen]).sort()).toEqual([
        ['claim.approval', 110_000],
        ['claim.reduction', 10_000],
      ]);
      const b1 = await budget();
      expect(b1.availableFen - b0.availableFen).toBe(10_000);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('needs one user below the threshold and two from it on, judged on the amount approved', async () => {
      const small = await wuhuClaim(2); // 80,000
      expect((await approve(small.id, 'bureau-ah')).status).toBe(200);
      const under = await wuhuClaim(3);
      const once = await approve(under.id, 'bureau-ah', { approvedFen: 99_999 });
      expect(once.status).toBe(200);
      expect(once.body).toMatchObject({ status: 'approved', approvedFen: 99_999 });
      const at = await wuhuClaim(3);
      const marked = await approve(at.id, 'bureau-ah', { approvedFen: 100_000 });
      expect(marked.status).toBe(202);
      expect(marked.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 100_000 });
      // The second reviewer may make the first approval too; then another user completes it.
      const byTwo = await wuhuClaim(3);
      expect((await approve(byTwo.id, 'bureau-ah-2')).status).toBe(202);
      expect((await approve(byTwo.id, 'bureau-ah-2')).status).toBe(403);
      expect((await approve(byTwo.id, 'bureau-ah')).body).toMatchObject({ status: 'approved', approvedFen: 120_000 });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('lets a claim awaiting its second approval be rejected, moving no money and freeing its redemptions', async () => {
      const c = await wuhuClaim(3);
      expect((await approve(c.id, 'bureau-ah')).status).toBe(202);
      const rejected = await t.http
        .post(`/api/claims/${c.id}/reject`)
        .set(await t.as('bureau-ah-2'))
        .send({ reason: '机时记录与预约不符' })
        .expect(200);
      expect(rejected.body).toMatchObject({ status: 'rejected', reason: '机时记录与预约不符', firstApprovedFen: 120_000 });
      expect(rejected.body).not.toHaveProperty('approvedFen');
      expect(await claimTransfers(c.id)).toEqual([]);
      expect((await approve(c.id, 'bureau-ah-2')).status).toBe(409);
      const again = await submit(shLab, { redemptionIds: c.redemptionIds, evidence: evidence() }).expect(201);
      expect(again.body).toMatchObject({ status: 'submitted', claimedFen: 120_000 });
    });
  });

  describe('reading', () => {
    let claimId: string;
    let shClaimId: string;
    beforeAll(async () => {
      // A Shanghai-issued claim first, so the region filters have something to find and claimId is the newer of the two.
      const shRedemption = await redemption(shEnterprise);
      shClaimId = (await submit(shLab, { redemptionIds: [shRedemption.id], evidence: evidence() }).expect(201)).body.id;
      const r = await redemption();
      claimId = (await submit(shLab, { redemptionIds: [r.id], evidence: evidence() }).expect(201)).body.id;
    });

    it('shows a claim to its claimant, the bureaus over its region and the platform', async () => {
      await t.http.get(`/api/claims/${claimId}`).set(auth(shLab.token)).expect(200);
      for (const user of ['bureau-ah', 'platform'])
        await t.http
          .get(`/api/claims/${claimId}`)
          .set(await t.as(user))
          .expect(200);
    });

    it('hides it from everyone else: 404', async () => {
      await t.http.get(`/api/claims/${claimId}`).set(auth(otherLab.token)).expect(404);
      await t.http.get(`/api/claims/${claimId}`).set(auth(shEnterprise.token)).expect(404);
      for (const user of ['bureau-sh', 'bureau-js'])
        await t.http
          .get(`/api/claims/${claimId}`)
          .set(await t.as(user))
          .expect(404);
      await t.http.get(`/api/claims/${newId()}`).set(auth(shLab.token)).expect(404);
      await t.http.get('/api/claims/%27%20OR%201=1').set(auth(shLab.token)).expect(404);
    });

    it('lists within scope, newest first, filtered by status and region', async () => {
      const own = await t.http.get('/api/claims?limit=500').set(auth(shLab.token)).expect(200);
      // Newest first (claims made while the clock travelled ahead sort before these two).
      const ids = own.body.items.map((c: { id: string }) => c.id);
      expect(ids).toEqual(expect.arrayContaining([claimId, shClaimId]));
      expect(ids.indexOf(claimId)).toBeLessThan(ids.indexOf(shClaimId));
      const created = own.body.items.map((c: { createdAt: string }) => c.createdAt);
      expect([...created].sort().reverse()).toEqual(created);
      expect(own.body.items.every((c: { claimantId: string }) => c.claimantId === shLab.organizationId)).toBe(true);
      expect(own.body.total).toBe(own.body.items.length);
      expect(own.body.items.every((c: { claimantName: string }) => c.claimantName === '上海微观表征公共服务平台')).toBe(true);
      expect((await t.http.get('/api/claims').set(auth(otherLab.token)).expect(200)).body).toEqual({ items: [], total: 0 });
      const ah = await t.http
        .get('/api/claims?limit=500')
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(ah.body.items.map((c: { id: string }) => c.id)).toContain(claimId);
      const shBureau = await t.http
        .get('/api/claims?limit=500')
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(shBureau.body.items.map((c: { id: string }) => c.id)).toContain(shClaimId);
      expect(shBureau.body.items.every((c: { issuingRegionCode: string }) => c.issuingRegionCode === SH)).toBe(true);
      const platform = await t.http
        .get('/api/claims?limit=500')
        .set(await t.as('platform'))
        .expect(200);
      expect(platform.body.total).toBe(ah.body.total + shBureau.body.total);
      const rejected = await t.http
        .get('/api/claims?status=rejected')
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(rejected.body.items.every((c: { status: string }) => c.status === 'rejected')).toBe(true);
      expect(rejected.body.total).toBeGreaterThan(0);
      const sh = await t.http
        .get(`/api/claims?issuingRegionCode=${SH}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(sh.body.items.map((c: { id: string }) => c.id)).toContain(shClaimId);
      expect(sh.body.items.every((c: { issuingRegionCode: string }) => c.issuingRegionCode === SH)).toBe(true);
      for (const q of ['status=paid', 'issuingRegionCode=999999', 'limit=0', 'offset=-1'])
        await t.http
          .get(`/api/claims?${q}`)
          .set(await t.as('platform'))
          .expect(400);
    });
  });
});
