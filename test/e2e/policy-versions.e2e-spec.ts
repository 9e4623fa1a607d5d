import { issueVoucher, openRegion, policyBody } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

/**
 * A bureau publishes a new version in the middle of the year: vouchers issued before keep the version they pinned, to
 * the fen, and what an enterprise is quoted says which version priced it, so a ratio the current policy no longer
 * offers is explained by the voucher's own version.
 */
describe('a policy version published mid-year', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const JIANGSU = '320000';
  let e: OrgSession, lab: OrgSession;
  let tem: { id: string };
  let v1: { id: string; version: number };
  let v2: { id: string; version: number };
  let oldVoucher: { id: string; policyId: string };
  let heldUnderV1: { id: string; subsidyFen: number };

  const quote = async (voucherId: string, quantity: number) =>
    (await t.http.get(`/api/facilities/${tem.id}/quote`).query({ voucherId, quantity }).set(auth(e.token)).expect(200)).body;

  beforeAll(async () => {
    // v1: testing at 60 % with a 10 % bonus for a Jiangsu lab, ¥10,000 a redemption at most.
    v1 = await openRegion(t, JIANGSU, {
      budgetFen: 100_000_000,
      policy: { categories: [{ category: 'testing', ratioBp: 5000 }], localBonusBp: 1000, perRedemptionCapFen: 1_000_000 },
    });
    e = await t.registerEnterprise(JIANGSU);
    lab = await t.registerProvider(JIANGSU);
    tem = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '透射电镜', category: 'testing', unit: 'hour', unitPriceFen: 33_333 })
        .expect(201)
    ).body;
    oldVoucher = await issueVoucher(t, e.token, 5_000_000);
    heldUnderV1 = (
      await t.http
        .post('/api/redemptions')
        .set(auth(e.token))
        .send({ voucherId: oldVoucher.id, facilityId: tem.id, quantity: 7 })
        .expect(201)
    ).body;
    // v2, in force at once: testing at 33.33 % without the bonus, ¥500 a redemption at most.
    v2 = (
      await t.http
        .post('/api/policies')
        .set(await t.as('bureau-js'))
        .send(policyBody(JIANGSU, { categories: [{ category: 'testing', ratioBp: 3333 }], localBonusBp: 0, perRedemptionCapFen: 50_000 }))
        .expect(201)
    ).body;
  });

  it('quotes a voucher of version 1 under version 1 after version 2, and says so', async () => {
    expect(oldVoucher.policyId).toBe(v1.id);
    // 3 × ¥333.33 = ¥999.99 at 60 %: ¥599.994, floored to ¥599.99
    expect(await quote(oldVoucher.id, 3)).toEqual({
      mode: 'provider_redeemed',
      feeFen: 99_999,
      ratioBp: 6000,
      subsidyFen: 59_999,
      selfPayFen: 40_000,
      crossProvince: false,
      policyId: v1.id,
      policyVersion: 1,
    });
  });

  it('captures a hold of version 1 after version 2 by version 1’s ratio and cap', async () => {
    // held: 7 × ¥333.33 = ¥2,333.31 at 60 % = ¥1,399.986 → ¥1,399.98 (under v1's ¥10,000 cap, not v2's ¥500)
    expect(heldUnderV1.subsidyFen).toBe(139_998);
    const captured = await t.http
      .post(`/api/redemptions/${heldUnderV1.id}/capture`)
      .set(auth(lab.token))
      .send({ actualQuantity: 5 })
      .expect(200);
    // 5 × ¥333.33 = ¥1,666.65 at 60 % = ¥999.99 exactly; ¥399.99 of the hold goes back to the voucher
    expect(captured.body).toMatchObject({ policyId: v1.id, capturedFeeFen: 166_665, capturedSubsidyFen: 99_999, ratioBp: 6000 });
    const voucher = (await t.http.get(`/api/vouchers/${oldVoucher.id}`).set(auth(e.token)).expect(200)).body;
    expect(voucher).toMatchObject({ availableFen: 4_900_001, heldFen: 0, spentFen: 99_999 });
  });

  it('prices a voucher issued since under version 2, and says so, in the quote and in the comparison', async () => {
    const fresh = await issueVoucher(t, e.token, 600_000);
    expect(fresh.policyId).toBe(v2.id);
    // ¥999.99 at 33.33 % = ¥333.296667 → ¥333.29, under v2's ¥500 cap
    expect(await quote(fresh.id, 3)).toMatchObject({
      ratioBp: 3333,
      subsidyFen: 33_329,
      selfPayFen: 66_670,
      policyId: v2.id,
      policyVersion: 2,
    });
    // 7 hours: ¥2,333.31 at 33.33 % = ¥777.69, lowered to the cap of ¥500
    expect(await quote(fresh.id, 7)).toMatchObject({ subsidyFen: 50_000, selfPayFen: 183_331, policyVersion: 2 });
    for (const [voucherId, policyId, policyVersion] of [
      [fresh.id, v2.id, 2],
      [oldVoucher.id, v1.id, 1],
    ] as const) {
      const compared = await t.http
        .get('/api/quotes')
        .query({ voucherId, category: 'testing', quantity: 3 })
        .set(auth(e.token))
        .expect(200);
      const item = compared.body.items.find((i: { facility: { id: string } }) => i.facility.id === tem.id);
      expect(item.quote).toMatchObject({ policyId, policyVersion });
    }
  });

  it('names the version each voucher was issued under beside its policyId, in every view of it', async () => {
    const fresh = await issueVoucher(t, e.token, 400_000);
    expect(fresh).toMatchObject({ policyId: v2.id, policyVersion: 2 });
    for (const [voucherId, policyId, policyVersion] of [
      [fresh.id, v2.id, 2],
      [oldVoucher.id, v1.id, 1],
    ] as const) {
      for (const as of [auth(e.token), await t.as('bureau-js'), await t.as('platform')]) {
        const one = (await t.http.get(`/api/vouchers/${voucherId}`).set(as).expect(200)).body;
        expect(one).toMatchObject({ policyId, policyVersion });
        const list = (await t.http.get('/api/vouchers').query({ limit: 100 }).set(as).expect(200)).body;
        expect(list.items.find((v: { id: string }) => v.id === voucherId)).toMatchObject({ policyId, policyVersion });
      }
    }
    // the enterprise's application shows its voucher with the version too
    const applications = (await t.http.get('/api/voucher-applications').query({ limit: 100 }).set(auth(e.token)).expect(200)).body;
    const applied = applications.items.find((a: { status: string; amountFen: number }) => a.amountFen === 400_000);
    const application = (await t.http.get(`/api/voucher-applications/${applied.id}`).set(auth(e.token)).expect(200)).body;
    expect(application.voucher).toMatchObject({ id: fresh.id, policyId: v2.id, policyVersion: 2 });
    // revoked, its view still names the version it was issued under
    const revoked = (
      await t.http
        .post(`/api/vouchers/${fresh.id}/revoke`)
        .set(await t.as('bureau-js'))
        .send({ reason: '测试作废' })
        .expect(200)
    ).body;
    expect(revoked).toMatchObject({ status: 'revoked', policyId: v2.id, policyVersion: 2 });
  });
});
