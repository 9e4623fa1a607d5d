import { clock } from '../../src/common/clock';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { describeRaces } from '../support/races';

const HEFEI = '340100';
/** One TEM hour at ¥800 and 50%: a full subsidy is 40,000 fen. */
const FULL_SUBSIDY = 40_000;

describeRaces('redemptions under concurrency', () => {
  let t: TestApp;
  let lab: OrgSession;
  let temId: string;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI, { budgetFen: 1_000_000_000 });
    lab = await t.registerProvider('310115');
    temId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
        .expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  const hold = (e: OrgSession, voucherId: string) =>
    t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId: temId, quantity: 1 });
  const voucherOf = async (e: OrgSession, id: string) => (await t.http.get(`/api/vouchers/${id}`).set(auth(e.token)).expect(200)).body;

  it('100 concurrent holds on a voucher covering 37 full subsidies and a remainder hold exactly its balance', async () => {
    const remainder = 12_345;
    const faceValueFen = 37 * FULL_SUBSIDY + remainder;
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, faceValueFen);

    const results = await Promise.all(Array.from({ length: 100 }, () => hold(e, v.id)));

    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const held = results.filter((r) => r.status === 201).map((r) => r.body.subsidyFen as number);
    const refused = results.filter((r) => r.status !== 201);
    expect(held.sort((a, b) => b - a)).toEqual([...Array(37).fill(FULL_SUBSIDY), remainder]);
    expect(refused).toHaveLength(62);
    for (const r of refused) expect({ status: r.status, code: r.body.code }).toEqual({ status: 422, code: 'VOUCHER_INSUFFICIENT_BALANCE' });

    expect(await voucherOf(e, v.id)).toMatchObject({ faceValueFen, availableFen: 0, heldFen: faceValueFen, spentFen: 0 });
    const list = await t.http.get('/api/redemptions').query({ status: 'held', limit: 500 }).set(auth(e.token)).expect(200);
    expect(list.body.total).toBe(38);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('a cancel racing a revocation never leaves money on the revoked voucher: it goes back to the budget', async () => {
    const ah = await t.token('bureau-ah');
    for (let round = 0; round < 8; round++) {
      const e = await t.registerEnterprise(HEFEI);
      const v = await issueVoucher(t, e.token, FULL_SUBSIDY); // all of it will be held
      const h = (await hold(e, v.id).expect(201)).body;
      const [revoke, cancel] = await Promise.all([
        t.http.post(`/api/vouchers/${v.id}/revoke`).set(auth(ah)).send({ reason: '核查不实' }),
        t.http.post(`/api/redemptions/${h.id}/cancel`).set(auth(e.token)).send({}),
      ]);
      // Revocation cancels the voucher's open holds itself: the enterprise's cancel either came first or finds it done.
      expect(revoke.status).toBe(200);
      expect([200, 409]).toContain(cancel.status);
      if (cancel.status === 409) expect(cancel.body.code).toBe('INVALID_STATE');
      expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status).toBe('cancelled');
      expect(await voucherOf(e, v.id)).toMatchObject({
        status: 'revoked',
        availableFen: 0,
        heldFen: 0,
        spentFen: 0,
        releasedFen: FULL_SUBSIDY,
      });
    }
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('a hold cancelled by its voucher’s revocation gives the annual cap back', async () => {
    // Wuhu caps an enterprise at 500,000 fen a year; a fully held 500,000 voucher is revoked, which cancels its hold.
    await openRegion(t, '340200', {
      budgetFen: 10_000_000,
      policy: { enterpriseAnnualCapFen: 500_000, teamAnnualCapFen: 500_000, maxVoucherFen: 500_000, autoApproveMaxFen: 500_000 },
    });
    const e = await t.registerEnterprise('340200');
    const unit = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '整套表征服务', category: 'testing', unit: 'item', unitPriceFen: 1_000_000 })
        .expect(201)
    ).body.id;
    const v = await issueVoucher(t, e.token, 500_000);
    const h = (
      await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: unit, quantity: 1 }).expect(201)
    ).body;
    const refused = await t.http
      .post('/api/voucher-applications')
      .set(auth(e.token))
      .send({ amountFen: 100_000, purpose: 'more' })
      .expect(201);
    expect(refused.body.reasonCode).toBe('ANNUAL_CAP_EXCEEDED');
    const revoked = await t.http
      .post(`/api/vouchers/${v.id}/revoke`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '核查不实' })
      .expect(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', heldFen: 0, releasedFen: 500_000 });
    expect((await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status).toBe('cancelled');
    expect((await t.http.post(`/api/redemptions/${h.id}/cancel`).set(auth(e.token)).send({}).expect(409)).body.code).toBe('INVALID_STATE');
    const again = await t.http
      .post('/api/voucher-applications')
      .set(auth(e.token))
      .send({ amountFen: 100_000, purpose: 'more' })
      .expect(201);
    expect(again.body.reasonCode).toBeUndefined();
  });

  it('a capture racing a cancel on one hold: exactly one wins, ten times over', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, 10 * FULL_SUBSIDY);
    let captured = 0;
    for (let round = 0; round < 10; round++) {
      const h = (await hold(e, v.id).expect(201)).body;
      const [capture, cancel] = await Promise.all([
        t.http.post(`/api/redemptions/${h.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }),
        t.http.post(`/api/redemptions/${h.id}/cancel`).set(auth(e.token)).send({}),
      ]);
      expect([capture.status, cancel.status].sort()).toEqual([200, 409]);
      const loser = capture.status === 409 ? capture : cancel;
      expect(loser.body.code).toBe('INVALID_STATE');
      const final = (await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.status;
      expect(final).toBe(capture.status === 200 ? 'captured' : 'cancelled');
      if (final === 'captured') captured++;
    }
    const spentFen = captured * FULL_SUBSIDY;
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 10 * FULL_SUBSIDY - spentFen, heldFen: 0, spentFen });
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('a confirmation racing a dispute of one captured usage: exactly one decides it, ten times over', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, 10 * FULL_SUBSIDY);
    for (let round = 0; round < 10; round++) {
      const h = (await hold(e, v.id).expect(201)).body;
      await t.http.post(`/api/redemptions/${h.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(200);
      const [confirm, dispute] = await Promise.all([
        t.http.post(`/api/redemptions/${h.id}/confirm`).set(auth(e.token)).send({}),
        t.http.post(`/api/redemptions/${h.id}/dispute`).set(auth(e.token)).send({ reason: '机时有误' }),
      ]);
      expect([confirm.status, dispute.status].sort()).toEqual([200, 409]);
      expect((confirm.status === 409 ? confirm : dispute).body.code).toBe('INVALID_STATE');
      const usage = (await t.http.get(`/api/redemptions/${h.id}`).set(auth(e.token)).expect(200)).body.usage;
      expect(usage).toBe(confirm.status === 200 ? 'confirmed' : 'disputed');
    }
  });

  it('eight ratings of one confirmed service at once count once', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, FULL_SUBSIDY);
    const h = (await hold(e, v.id).expect(201)).body;
    await t.http.post(`/api/redemptions/${h.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(200);
    await t.http.post(`/api/redemptions/${h.id}/confirm`).set(auth(e.token)).expect(200);
    const before = (await t.http.get(`/api/facilities/${temId}`).expect(200)).body.ratingCount as number;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.http
          .post(`/api/redemptions/${h.id}/rating`)
          .set(auth(e.token))
          .send({ score: 1 + (i % 5) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'DUPLICATE')).toBe(true);
    expect((await t.http.get(`/api/facilities/${temId}`).expect(200)).body.ratingCount).toBe(before + 1);
    expect((await t.http.get(`/api/facilities/${temId}/ratings`).expect(200)).body.total).toBe(before + 1);
  });

  it('10 concurrent replays of one hold under the same Idempotency-Key hold once', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, 1_000_000);
    const key = `hold-${clock.iso()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post('/api/redemptions')
          .set(auth(e.token))
          .set('Idempotency-Key', key)
          .send({ voucherId: v.id, facilityId: temId, quantity: 1 }),
      ),
    );

    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of created) expect(r.body).toEqual(created[0].body);
    // A duplicate arriving while the first is still being answered may be told so; nothing else is allowed.
    for (const r of results.filter((x) => x.status !== 201))
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });

    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 1_000_000 - FULL_SUBSIDY, heldFen: FULL_SUBSIDY });
    expect((await t.http.get('/api/redemptions').set(auth(e.token)).expect(200)).body.total).toBe(1);
  });
});
