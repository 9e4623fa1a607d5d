import { clock } from '../../src/common/clock';
import { bureauFor, captureConfirmed, freshEvidence, policyBody, secondReviewerFor } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

const WUHU = '340200';
const HUAINAN = '340400';

/**
 * Maker-checker cannot be switched off by one person: an application or a claim already in flight answers to the
 * strictest dual-control threshold (the lowest one that is on) of the version in force today and the versions it was
 * made under (a claim: the versions pinned on its vouchers; an application: the version in force when it was
 * submitted). The probe that found it: one bureau user published the same terms with dualControlFen 0 and then approved
 * alone a 30,021-fen claim that needed two.
 */
describe('dual control of approvals in flight', () => {
  let t: TestApp;
  let lab: OrgSession;
  /** A Shanghai lab's hour at 60,042 fen: an Anhui voucher pays 50 %, 30,021 fen. */
  let hour: string;

  beforeAll(async () => {
    t = await TestApp.start();
    lab = await t.registerProvider('310000', { name: '上海微观表征公共服务平台' });
    hour = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '场发射透射电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 60_042 })
        .expect(201)
    ).body.id;
    for (const region of [WUHU, HUAINAN]) {
      await t.http
        .put(`/api/budgets/${region}/${clock.year()}`)
        .set(await t.as(bureauFor(region)))
        .send({ totalFen: 100_000_000 })
        .expect(200);
    }
  });
  afterAll(() => t.close());

  /** A new version of the region's terms, in force today: two reviewers from `dualControlFen` (0: off), nothing approved at once. */
  const publish = async (regionCode: string, dualControlFen: number) =>
    (
      await t.http
        .post('/api/policies')
        .set(await t.as(bureauFor(regionCode)))
        .send(policyBody(regionCode, { dualControlFen, autoApproveMaxFen: 0 }))
        .expect(201)
    ).body as { id: string; version: number };
  const apply = async (e: OrgSession, amountFen: number) =>
    (await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen, purpose: '新材料表征' }).expect(201)).body;
  /** `user` approves; the answer, which must have `status`. */
  const approveApplication = async (id: string, user: string, status: number) =>
    t.http
      .post(`/api/voucher-applications/${id}/approve`)
      .set(await t.as(user))
      .send({})
      .expect(status);
  const approveClaim = async (id: string, user: string, status: number) =>
    t.http
      .post(`/api/claims/${id}/approve`)
      .set(await t.as(user))
      .send({})
      .expect(status);
  /** The enterprise uses one hour on its voucher and confirms it; the lab claims its 30,021 fen. The claim's id. */
  const claimOfOneHour = async (e: OrgSession, voucherId: string) => {
    const held = await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId: hour, quantity: 1 }).expect(201);
    await captureConfirmed(t, lab.token, e.token, held.body.id, 1);
    const claim = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
      .expect(201);
    expect(claim.body.claimedFen).toBe(30_021);
    return claim.body.id as string;
  };

  describe('claims', () => {
    let e: OrgSession;
    let voucher: { id: string; policyId: string };
    let pinned: { id: string };

    beforeAll(async () => {
      pinned = await publish(WUHU, 25_000);
      e = await t.registerEnterprise(WUHU, { name: '芜湖新能源汽车零部件有限公司' });
      const a = await apply(e, 1_000_000);
      expect(a.status).toBe('pending_review');
      await approveApplication(a.id, bureauFor(WUHU), 202);
      voucher = (await approveApplication(a.id, secondReviewerFor(WUHU), 200)).body.voucher;
      expect(voucher.policyId).toBe(pinned.id);
    });

    it('the probe: publishing the same terms with dual control off does not let one user approve a claim on vouchers pinned at 25,000', async () => {
      const before = await claimOfOneHour(e, voucher.id);
      expect((await approveClaim(before, bureauFor(WUHU), 202)).body.status).toBe('awaiting_second_approval');

      const off = await publish(WUHU, 0);
      const current = await t.http
        .get(`/api/policies/current?regionCode=${WUHU}`)
        .set(await t.as(bureauFor(WUHU)))
        .expect(200);
      expect(current.body).toMatchObject({ id: off.id, dualControlFen: 0 });

      const after = await claimOfOneHour(e, voucher.id);
      const first = await approveClaim(after, bureauFor(WUHU), 202);
      expect(first.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 30_021 });
      expect((await approveClaim(after, bureauFor(WUHU), 403)).body.code).toBe('DUAL_CONTROL_REQUIRED');
      expect((await approveClaim(after, secondReviewerFor(WUHU), 200)).body).toMatchObject({
        status: 'approved',
        approvedFen: 30_021,
      });
      await approveClaim(before, secondReviewerFor(WUHU), 200);
    });

    it('a version published with dual control reaches claims on vouchers issued before it', async () => {
      await publish(WUHU, 0);
      const e2 = await t.registerEnterprise(WUHU);
      const a = await apply(e2, 1_000_000);
      const v = (await approveApplication(a.id, bureauFor(WUHU), 200)).body.voucher; // no dual control yet: one reviewer
      await publish(WUHU, 30_000);
      const c = await claimOfOneHour(e2, v.id);
      expect((await approveClaim(c, bureauFor(WUHU), 202)).body.status).toBe('awaiting_second_approval');
    });

    it('with dual control off in every version concerned one user approves, as before', async () => {
      await publish(WUHU, 0);
      const e3 = await t.registerEnterprise(WUHU);
      const a = await apply(e3, 1_000_000);
      const v = (await approveApplication(a.id, bureauFor(WUHU), 200)).body.voucher;
      const c = await claimOfOneHour(e3, v.id);
      expect((await approveClaim(c, bureauFor(WUHU), 200)).body).toMatchObject({ status: 'approved', approvedFen: 30_021 });
    });
  });

  describe('applications', () => {
    it('an application submitted under a threshold of 25,000 still takes two users after a version turns dual control off', async () => {
      await publish(HUAINAN, 25_000);
      const e = await t.registerEnterprise(HUAINAN);
      const a = await apply(e, 30_021);
      expect(a.status).toBe('pending_review');
      const off = await publish(HUAINAN, 0);

      const first = await approveApplication(a.id, bureauFor(HUAINAN), 202);
      expect(first.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 30_021 });
      expect(first.body.voucher).toBeUndefined();
      const done = await approveApplication(a.id, secondReviewerFor(HUAINAN), 200);
      // the voucher pins the version in force when it is issued
      expect(done.body).toMatchObject({ status: 'approved', voucher: { faceValueFen: 30_021, policyId: off.id } });
    });

    it('a version published with dual control reaches applications already waiting', async () => {
      await publish(HUAINAN, 0);
      const e = await t.registerEnterprise(HUAINAN);
      const a = await apply(e, 30_021);
      await publish(HUAINAN, 25_000);
      expect((await approveApplication(a.id, bureauFor(HUAINAN), 202)).body.status).toBe('awaiting_second_approval');
    });

    it('the lower of two thresholds that are on applies', async () => {
      await publish(HUAINAN, 30_000);
      const e = await t.registerEnterprise(HUAINAN);
      const a = await apply(e, 30_021);
      await publish(HUAINAN, 90_000);
      expect((await approveApplication(a.id, bureauFor(HUAINAN), 202)).body.status).toBe('awaiting_second_approval');
      const below = await apply(e, 29_999);
      expect((await approveApplication(below.id, bureauFor(HUAINAN), 200)).body.status).toBe('approved');
    });
  });
});
