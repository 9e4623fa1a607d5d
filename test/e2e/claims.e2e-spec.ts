import { In } from 'typeorm';
import { newId } from '../../src/common/ids';
import { Redemption } from '../../src/redemptions/redemption.entity';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SH = '310000';
const EVIDENCE = {
  contractNo: 'HT-2026-0137',
  invoiceNo: '31002613702',
  paymentProofRef: 'BANK-20260412-8841',
  reportRef: 'RPT-TEM-2026-0412',
};

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

  /** A TEM hour held by an enterprise at the Shanghai lab (80,000 × 50% = 40,000 subsidy per hour), captured unless told. */
  async function redemption(enterprise = hefeiEnterprise, hours = 1, mode = 'provider_redeemed', capture = true) {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: enterprise.voucherId, facilityId: shLab.facilityId, quantity: hours, mode })
      .expect(201);
    if (!capture) return held.body as { id: string };
    return (
      await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(shLab.token)).send({ actualQuantity: hours }).expect(200)
    ).body as { id: string };
  }
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

    it('refuses a held redemption (409 INVALID_STATE) and accepts it once captured', async () => {
      const held = await redemption(hefeiEnterprise, 1, 'provider_redeemed', false);
      const res = await submit(shLab, { redemptionIds: [held.id], evidence: EVIDENCE }).expect(409);
      expect(res.body.code).toBe('INVALID_STATE');
      expect(res.body.message).toContain('held');
      await t.http.post(`/api/redemptions/${held.id}/capture`).set(auth(shLab.token)).send({ actualQuantity: 1 }).expect(200);
      await submit(shLab, { redemptionIds: [held.id], evidence: EVIDENCE }).expect(201);
    });

    it('refuses a cancelled redemption: 409 INVALID_STATE', async () => {
      const held = await redemption(hefeiEnterprise, 1, 'provider_redeemed', false);
      await t.http.post(`/api/redemptions/${held.id}/cancel`).set(auth(hefeiEnterprise.token)).expect(200);
      expect((await submit(shLab, { redemptionIds: [held.id], evidence: EVIDENCE }).expect(409)).body.code).toBe('INVALID_STATE');
    });

    it('hides another organization’s redemption (404) and tells a party that is not the payee it may not claim (403)', async () => {
      const r = await redemption();
      expect((await submit(otherLab, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(404)).body.code).toBe('NOT_FOUND');
      expect((await submit(shLab, { redemptionIds: [newId()], evidence: EVIDENCE }).expect(404)).body.code).toBe('NOT_FOUND');
      // 通兑: the provider is the payee, so the enterprise cannot claim the subsidy itself.
      expect((await submit(hefeiEnterprise, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(403)).body.code).toBe('FORBIDDEN');
      // 通用: the enterprise paid the full fee and is the payee; the lab is not.
      const reimbursed = await redemption(hefeiEnterprise, 1, 'enterprise_reimbursed');
      expect((await submit(shLab, { redemptionIds: [reimbursed.id], evidence: EVIDENCE }).expect(403)).body.code).toBe('FORBIDDEN');
      const own = await submit(hefeiEnterprise, { redemptionIds: [reimbursed.id], evidence: EVIDENCE }).expect(201);
      expect(own.body).toMatchObject({ claimantId: hefeiEnterprise.organizationId, claimedFen: 40_000 });
    });

    it('claims a redemption once: the second claim is 409 DUPLICATE and changes nothing', async () => {
      const [a, b] = [await redemption(), await redemption()];
      const first = await submit(shLab, { redemptionIds: [a.id], evidence: EVIDENCE }).expect(201);
      const again = await submit(shLab, { redemptionIds: [b.id, a.id], evidence: EVIDENCE }).expect(409);
      expect(again.body).toMatchObject({ code: 'DUPLICATE', message: expect.stringContaining(first.body.id) });
      // b was not taken by the refused claim: it is still claimable.
      await submit(shLab, { redemptionIds: [b.id], evidence: EVIDENCE }).expect(201);
    });

    it('keeps a claim to one issuing region: 400 VALIDATION_FAILED', async () => {
      const [hefei, shanghai] = [await redemption(hefeiEnterprise), await redemption(shEnterprise)];
      const res = await submit(shLab, { redemptionIds: [hefei.id, shanghai.id], evidence: EVIDENCE }).expect(400);
      expect(res.body.message).toMatch(/redemptionIds: .*one issuing region/);
    });

    it('blocks a sanctioned claimant: 422 SANCTIONED', async () => {
      const lab = await t.registerProvider('310000', { name: '上海某检测公司' });
      const facility = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '元素分析', category: 'testing', unit: 'sample', unitPriceFen: 10_000 })
        .expect(201);
      const held = await t.http
        .post('/api/redemptions')
        .set(auth(hefeiEnterprise.token))
        .send({ voucherId: hefeiEnterprise.voucherId, facilityId: facility.body.id, quantity: 2 })
        .expect(201);
      await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 2 }).expect(200);
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-ah'))
        .send({ creditCode: lab.creditCode, reason: '伪造检测报告' })
        .expect(201);
      const res = await submit(lab, { redemptionIds: [held.body.id], evidence: EVIDENCE }).expect(422);
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
      const body = { redemptionIds: [r.id], evidence: EVIDENCE };
      const first = await t.http.post('/api/claims').set(auth(shLab.token)).set('Idempotency-Key', `claim-${r.id}`).send(body).expect(201);
      const replay = await t.http.post('/api/claims').set(auth(shLab.token)).set('Idempotency-Key', `claim-${r.id}`).send(body).expect(201);
      expect(replay.body).toEqual(first.body);
      await t.http
        .post('/api/claims')
        .set(auth(shLab.token))
        .set('Idempotency-Key', `claim-${r.id}`)
        .send({ ...body, evidence: { ...EVIDENCE, invoiceNo: 'other' } })
        .expect(409);
    });
  });

  describe('deciding', () => {
    const newClaim = async (hours = 1, enterprise = hefeiEnterprise) => {
      const r = await redemption(enterprise, hours);
      return (await submit(shLab, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(201)).body as {
        id: string;
        claimedFen: number;
        redemptionIds: string[];
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
            .get(`/api/budgets/${HEFEI}/${new Date().getUTCFullYear()}`)
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

    it('spreads a reduced approval over the redemptions in claim order', async () => {
      const [two, one, three] = [
        await redemption(hefeiEnterprise, 2),
        await redemption(hefeiEnterprise, 1),
        await redemption(hefeiEnterprise, 3),
      ];
      const c = (await submit(shLab, { redemptionIds: [two.id, one.id, three.id], evidence: EVIDENCE }).expect(201)).body;
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
    });

    it('rejects with a reason; the redemptions can be claimed again and the claim cannot be approved', async () => {
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
      const again = await submit(shLab, { redemptionIds: c.redemptionIds, evidence: { ...EVIDENCE, invoiceNo: '31002613999' } }).expect(
        201,
      );
      expect(again.body).toMatchObject({ status: 'submitted', claimedFen: 40_000 });
    });
  });

  describe('reading', () => {
    let claimId: string;
    let shClaimId: string;
    beforeAll(async () => {
      // A Shanghai-issued claim first, so the region filters have something to find and claimId stays the newest.
      const shRedemption = await redemption(shEnterprise);
      shClaimId = (await submit(shLab, { redemptionIds: [shRedemption.id], evidence: EVIDENCE }).expect(201)).body.id;
      const r = await redemption();
      claimId = (await submit(shLab, { redemptionIds: [r.id], evidence: EVIDENCE }).expect(201)).body.id;
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
      expect(own.body.items[0].id).toBe(claimId);
      expect(own.body.items.every((c: { claimantId: string }) => c.claimantId === shLab.organizationId)).toBe(true);
      expect(own.body.total).toBe(own.body.items.length);
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
