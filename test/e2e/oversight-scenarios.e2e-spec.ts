import { clock } from '../../src/common/clock';
import { captureConfirmed, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

const HOUR = 3_600_000;
const evidence = { contractNo: 'HT-2026-0001', invoiceNo: '31002613702' };

describe('oversight across provinces', () => {
  let t: TestApp;
  let ah: string, zj: string, platform: string;
  let shLab: OrgSession, ahLab: OrgSession;
  let tem: string, xrd: string;
  const year = clock.year();

  beforeAll(async () => {
    t = await TestApp.start();
    [ah, zj, platform] = await Promise.all(['bureau-ah', 'bureau-zj', 'platform'].map((u) => t.token(u)));
    await openRegion(t, '340000', { budgetFen: 10_000_000, policy: { autoApproveMaxFen: 1_000_000 } });
    shLab = await t.registerProvider('310000');
    ahLab = await t.registerProvider('340100');
    const facility = async (lab: OrgSession, unitPriceFen: number, unit: string) =>
      (
        await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: `instrument ${unitPriceFen}`, category: 'testing', unit, unitPriceFen })
          .expect(201)
      ).body.id;
    tem = await facility(shLab, 80_000, 'hour');
    xrd = await facility(ahLab, 10_000, 'sample');
  });
  afterAll(() => t.close());

  const hold = (e: OrgSession, voucherId: string, facilityId: string, quantity: number, mode?: string) =>
    t.http
      .post('/api/redemptions')
      .set(auth(e.token))
      .send({ voucherId, facilityId, quantity, ...(mode ? { mode } : {}) });
  const capture = (lab: OrgSession, id: string, actualQuantity: number) =>
    t.http.post(`/api/redemptions/${id}/capture`).set(auth(lab.token)).send({ actualQuantity }).expect(200);

  describe('a sanction recorded by Zhejiang binds an Anhui enterprise', () => {
    it('blocks its application, hold and claim, and lifting it restores all three', async () => {
      const e = await t.registerEnterprise('340200');
      const voucher = await issueVoucher(t, e.token, 500_000);
      const used = (await hold(e, voucher.id, tem, 1, 'enterprise_reimbursed').expect(201)).body;
      await captureConfirmed(t, shLab.token, e.token, used.id, 1);

      const sanction = (
        await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: e.creditCode, reason: '伪造发票骗取创新券补贴' }).expect(201)
      ).body;

      const application = await t.http
        .post('/api/voucher-applications')
        .set(auth(e.token))
        .send({ amountFen: 100_000, purpose: 'XRD' })
        .expect(201);
      expect(application.body).toMatchObject({ status: 'rejected', reasonCode: 'SANCTIONED' });
      expect((await hold(e, voucher.id, tem, 1).expect(422)).body.code).toBe('SANCTIONED');
      const claim = await t.http
        .post('/api/claims')
        .set(auth(e.token))
        .send({ redemptionIds: [used.id], evidence })
        .expect(422);
      expect(claim.body.code).toBe('SANCTIONED');

      await t.http.post(`/api/sanctions/${sanction.id}/lift`).set(auth(zj)).send({}).expect(200);
      expect(
        (await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 100_000, purpose: 'XRD' }).expect(201)).body
          .status,
      ).toBe('approved');
      await hold(e, voucher.id, tem, 1).expect(201);
      await t.http
        .post('/api/claims')
        .set(auth(e.token))
        .send({ redemptionIds: [used.id], evidence })
        .expect(201);
    });

    it('a hold placed before the sanction is not captured while it is in force: 422, nothing spent; lifted, it is', async () => {
      const e = await t.registerEnterprise('340200');
      const voucher = await issueVoucher(t, e.token, 500_000);
      const held = (await hold(e, voucher.id, tem, 2).expect(201)).body;
      const sanction = (
        await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: e.creditCode, reason: '虚报机时' }).expect(201)
      ).body;
      const refused = await t.http
        .post(`/api/redemptions/${held.id}/capture`)
        .set(auth(shLab.token))
        .set('Accept-Language', 'zh-CN')
        .send({ actualQuantity: 2 })
        .expect(422);
      expect(refused.body.code).toBe('SANCTIONED');
      const after = (await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body;
      expect(after).toMatchObject({ heldFen: held.subsidyFen, spentFen: 0 });
      expect((await t.http.get(`/api/redemptions/${held.id}`).set(auth(shLab.token)).expect(200)).body.status).toBe('held');
      await t.http.post(`/api/sanctions/${sanction.id}/lift`).set(auth(zj)).send({}).expect(200);
      expect((await capture(shLab, held.id, 2)).body).toMatchObject({ status: 'captured', capturedSubsidyFen: held.subsidyFen });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('nor a hold at a lab sanctioned since, in either mode (the enterprise would be reimbursed for it)', async () => {
      const e = await t.registerEnterprise('340200');
      const voucher = await issueVoucher(t, e.token, 500_000);
      const lab = await t.registerProvider('310000');
      const facility = (
        await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: '质谱仪机时', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
          .expect(201)
      ).body.id;
      const held = [
        (await hold(e, voucher.id, facility, 1).expect(201)).body,
        (await hold(e, voucher.id, facility, 1, 'enterprise_reimbursed').expect(201)).body,
      ];
      await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: lab.creditCode, reason: '虚开发票' }).expect(201);
      for (const h of held) {
        const refused = await t.http.post(`/api/redemptions/${h.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(422);
        expect(refused.body).toMatchObject({ code: 'SANCTIONED', message: expect.stringContaining('provider') });
      }
    });

    it('blocks an organization that registers after its sanction, and a provider under sanction', async () => {
      const creditCode = creditCodeIn('340100');
      await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode, reason: '科研失信' }).expect(201);
      const late = await t.registerEnterprise('340100', { creditCode });
      const res = await t.http
        .post('/api/voucher-applications')
        .set(auth(late.token))
        .send({ amountFen: 100_000, purpose: 'x' })
        .expect(201);
      expect(res.body).toMatchObject({ status: 'rejected', reasonCode: 'SANCTIONED' });

      const e = await t.registerEnterprise('340200');
      const voucher = await issueVoucher(t, e.token, 100_000);
      const lift = (
        await t.http.post('/api/sanctions').set(auth(ah)).send({ creditCode: ahLab.creditCode, reason: '虚报机时' }).expect(201)
      ).body;
      expect((await hold(e, voucher.id, xrd, 1).expect(422)).body.code).toBe('SANCTIONED');
      await t.http.post(`/api/sanctions/${lift.id}/lift`).set(auth(ah)).send({}).expect(200);
    });

    it('binds quotes and holds through its `until` day, on either side, and lapses the day after', async () => {
      const e = await t.registerEnterprise('340200');
      const lab = await t.registerProvider('340100');
      const instrument = (
        await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: 'SEM', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
          .expect(201)
      ).body.id;
      const voucher = await issueVoucher(t, e.token, 100_000);
      const until = clock.today();
      await t.http.post('/api/sanctions').set(auth(zj)).send({ creditCode: e.creditCode, reason: '逾期未整改', until }).expect(201);
      await t.http.post('/api/sanctions').set(auth(ah)).send({ creditCode: lab.creditCode, reason: '虚报机时', until }).expect(201);
      const quote = (facilityId: string) =>
        t.http.get(`/api/facilities/${facilityId}/quote`).query({ voucherId: voucher.id, quantity: 1 }).set(auth(e.token)).expect(200);

      expect((await quote(instrument)).body.refusal.code).toBe('SANCTIONED');
      expect((await quote(tem)).body.refusal).toMatchObject({
        code: 'SANCTIONED',
        message: expect.stringContaining(`the enterprise ${e.creditCode}`),
      });
      expect((await hold(e, voucher.id, tem, 1).expect(422)).body.code).toBe('SANCTIONED');

      clock.travel(24 * HOUR);
      try {
        expect((await quote(instrument)).body.refusal).toBeUndefined();
        await hold(e, voucher.id, instrument, 1).expect(201);
      } finally {
        clock.travel(-24 * HOUR);
      }
    });
  });

  describe('statistics for a scripted year', () => {
    it('match hand-computed figures and reconcile with the ledger', async () => {
      // A fresh region so earlier tests do not mix in: Wuhu gets its own policy and a ¥100,000 budget.
      await openRegion(t, '340200', { budgetFen: 10_000_000, policy: { autoApproveMaxFen: 2_000_000 } });
      const e1 = await t.registerEnterprise('340202');
      const e2 = await t.registerEnterprise('340203');
      const v1 = await issueVoucher(t, e1.token, 1_000_000);
      const v2 = await issueVoucher(t, e2.token, 500_000);
      expect(v1.issuingRegionCode).toBe('340200');

      // e1: 2 TEM hours held (80,000), 1 used → 40,000 captured; 3 XRD samples held (15,000), left held;
      //     1 more TEM hour captured (40,000), never claimed.
      const r1 = (await hold(e1, v1.id, tem, 2).expect(201)).body;
      await captureConfirmed(t, shLab.token, e1.token, r1.id, 1);
      await hold(e1, v1.id, xrd, 3).expect(201);
      const r3 = (await hold(e1, v1.id, tem, 1).expect(201)).body;
      await capture(shLab, r3.id, 1);
      // e2: 1 TEM hour, 40,000 captured.
      const r2 = (await hold(e2, v2.id, tem, 1).expect(201)).body;
      await captureConfirmed(t, shLab.token, e2.token, r2.id, 1);

      // The lab claims r1 and r2 (80,000); Wuhu approves 70,000: r1 keeps 40,000, r2 30,000, 10,000 back to the budget.
      const claim = (
        await t.http
          .post('/api/claims')
          .set(auth(shLab.token))
          .send({ redemptionIds: [r1.id, r2.id], evidence: { ...evidence, invoiceNo: '31002613703' } }) // the lab's own invoice
          .expect(201)
      ).body;
      expect(claim.claimedFen).toBe(80_000);
      await t.http.post(`/api/claims/${claim.id}/approve`).set(auth(ah)).send({ approvedFen: 70_000 }).expect(200);
      const settlement = (await t.http.post('/api/settlements').set(auth(ah)).send({ regionCode: '340200' }).expect(201)).body;
      expect(settlement.totalFen).toBe(70_000);
      clock.travel(48 * HOUR); // paid two days after capture
      // Paid by the second reviewer: whoever ran the batch cannot pay it.
      await paySettlement(t, '340200', settlement.id, 'GK-2026-000123');

      // committed 1,500,000 − 10,000 returned = 1,490,000 = voucher available 1,365,000 (e1 905,000 + e2 460,000)
      //   + held 15,000 + captured unpaid 40,000 (r3) + paid 70,000.
      const stats = await t.http.get(`/api/stats/regions/340200?year=${year}`).set(auth(ah)).expect(200);
      expect(stats.body).toEqual({
        regionCode: '340200',
        year,
        budgetFen: 10_000_000,
        availableFen: 8_510_000,
        committedFen: 1_490_000,
        voucherAvailableFen: 1_365_000,
        heldFen: 15_000,
        capturedFen: 40_000,
        paidFen: 70_000,
        vouchers: 2,
        captureToPaymentHours: { count: 2, median: 48, p90: 48 },
      });
      const { voucherAvailableFen, heldFen, capturedFen, paidFen, committedFen, availableFen, budgetFen } = stats.body;
      expect(voucherAvailableFen + heldFen + capturedFen + paidFen).toBe(committedFen);
      expect(availableFen + committedFen).toBe(budgetFen);
      expect((await t.ledgerCheck()).violations).toEqual([]);

      const csv = await t.http.get(`/api/stats/regions/340200?year=${year}&format=csv`).set(auth(ah)).expect(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.text).toContain('regionCode,year,budgetFen');
      expect(csv.text).toContain('340200,' + year + ',10000000,8510000,1490000,1365000,15000,40000,70000,2,2,48,48');

      // Flows: Anhui issued; every captured subsidy was spent in Shanghai in this region's script.
      const flows = await t.http.get(`/api/stats/flows?year=${year}`).set(auth(platform)).expect(200);
      expect(flows.body.flows).toEqual(
        expect.arrayContaining([
          { fromProvinceCode: '340000', toProvinceCode: '310000', count: expect.any(Number), capturedFen: expect.any(Number) },
        ]),
      );
      // Shanghai's bureau sees what flows in to its labs, as the platform counts it; all its flows are in or out of Shanghai.
      const toShanghai = flows.body.flows.find(
        (f: { fromProvinceCode: string; toProvinceCode: string }) => f.fromProvinceCode === '340000' && f.toProvinceCode === '310000',
      );
      const shFlows = (
        await t.http
          .get(`/api/stats/flows?year=${year}`)
          .set(auth(await t.token('bureau-sh')))
          .expect(200)
      ).body.flows;
      expect(shFlows).toContainEqual(toShanghai);
      for (const f of shFlows) expect([f.fromProvinceCode, f.toProvinceCode]).toContain('310000');
      // An empty CSV still has its header.
      const none = await t.http.get('/api/stats/flows?year=2001&format=csv').set(auth(platform)).expect(200);
      expect(none.text.replace(/^\ufeff/, '')).toBe('fromProvinceCode,toProvinceCode,count,capturedFen\n');
      const wuhuOnly = await t.http.get(`/api/stats/regions/340200?year=${year}`).set(auth(platform)).expect(200);
      expect(wuhuOnly.body.paidFen).toBe(70_000);
    });

    it('scopes statistics like the audit log', async () => {
      await t.http
        .get(`/api/stats/regions/340200?year=${year}`)
        .set(auth(await t.token('bureau-sh')))
        .expect(403);
      await t.http.get(`/api/stats/regions/340000?year=${year}`).set(auth(ah)).expect(200);
      await t.http.get(`/api/stats/regions/340000`).set(auth(shLab.token)).expect(403);
      await t.http.get(`/api/stats/regions/999999`).set(auth(platform)).expect(404);
      await t.http.get(`/api/stats/flows?year=abc`).set(auth(platform)).expect(400);
      const shFlows = await t.http
        .get(`/api/stats/flows?year=${year}`)
        .set(auth(await t.token('bureau-sh')))
        .expect(200);
      // Its own vouchers' flows and, a province's bureau, those in to its labs (as its annual report): none between others.
      expect(
        shFlows.body.flows.every((f: { fromProvinceCode: string; toProvinceCode: string }) =>
          [f.fromProvinceCode, f.toProvinceCode].includes('310000'),
        ),
      ).toBe(true);
    });
  });
});
