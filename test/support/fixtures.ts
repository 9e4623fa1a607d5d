import { clock } from '../../src/common/clock';
import { bureauFor, secondReviewerFor } from './accounts';
import { auth, nextBankAccount, TestApp } from './test-app';

export { bureauFor, secondReviewerFor };

/** A policy in the spirit of DOMAIN.md's reference figures; override any field. */
export function policyBody(regionCode: string, overrides: Record<string, unknown> = {}) {
  return {
    regionCode,
    effectiveFrom: clock.today(),
    categories: [
      { category: 'testing', ratioBp: 5000 },
      { category: 'r_and_d', ratioBp: 5000 },
      { category: 'design', ratioBp: 4000 },
    ],
    acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
    localBonusBp: 0,
    enterpriseAnnualCapFen: 50_000_000,
    teamAnnualCapFen: 10_000_000,
    maxVoucherFen: 30_000_000,
    voucherValidityDays: 365,
    holdExpiryDays: 30,
    autoApproveMaxFen: 10_000_000,
    redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
    settlementCycle: 'quarterly',
    relatedPartyBan: true,
    ...overrides,
  };
}

/** Publishes a policy and sets this year's budget for a region, as its bureau. */
export async function openRegion(t: TestApp, regionCode: string, opts: { budgetFen?: number; policy?: Record<string, unknown> } = {}) {
  const token = await t.token(bureauFor(regionCode));
  const policy = await t.http.post('/api/policies').set(auth(token)).send(policyBody(regionCode, opts.policy)).expect(201);
  await t.http
    .put(`/api/budgets/${regionCode}/${clock.year()}`)
    .set(auth(token))
    .send({ totalFen: opts.budgetFen ?? 1_000_000_000 })
    .expect(200);
  return policy.body;
}

/** An enterprise's auto-approved voucher of `amountFen`. */
export async function issueVoucher(t: TestApp, enterpriseToken: string, amountFen: number) {
  const res = await t.http.post('/api/voucher-applications').set(auth(enterpriseToken)).send({ amountFen, purpose: 'test' }).expect(201);
  if (res.body.status !== 'approved') throw new Error(`application not approved: ${JSON.stringify(res.body)}`);
  return res.body.voucher;
}

/**
 * The provider records `actualQuantity` units used and the enterprise confirms the usage (确认服务), so the
 * redemption can be claimed. Returns the captured redemption.
 */
export async function captureConfirmed(
  t: TestApp,
  providerToken: string,
  enterpriseToken: string,
  redemptionId: string,
  actualQuantity: number,
) {
  await t.http.post(`/api/redemptions/${redemptionId}/capture`).set(auth(providerToken)).send({ actualQuantity }).expect(200);
  return (await t.http.post(`/api/redemptions/${redemptionId}/confirm`).set(auth(enterpriseToken)).expect(200)).body;
}

/** The lab lists an hourly facility, the enterprise holds `hours` of it on the voucher, uses and confirms them, and the lab claims them; the claim's id. */
export async function submittedClaim(
  t: TestApp,
  labToken: string,
  enterpriseToken: string,
  voucherId: string,
  facility: { name: string; unitPriceFen: number; hours: number },
): Promise<string> {
  const facilityId = (
    await t.http
      .post('/api/facilities')
      .set(auth(labToken))
      .send({ name: facility.name, category: 'testing', unit: 'hour', unitPriceFen: facility.unitPriceFen })
      .expect(201)
  ).body.id;
  const held = await t.http
    .post('/api/redemptions')
    .set(auth(enterpriseToken))
    .send({ voucherId, facilityId, quantity: facility.hours })
    .expect(201);
  await captureConfirmed(t, labToken, enterpriseToken, held.body.id, facility.hours);
  const claim = await t.http
    .post('/api/claims')
    .set(auth(labToken))
    .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
    .expect(201);
  return claim.body.id as string;
}

/**
 * The payee's admin puts a bank account on file (PATCH /api/organizations/:id), audited and told to its users: a payee
 * without one is left out of a settlement batch. Returns the account. Registered test organizations have one already
 * (TestApp.register); this is for those registered with `bankAccount: null`, or to change it: a change waits for the
 * bureau, which its province's bureau then confirms.
 */
export async function withBankAccount(t: TestApp, payee: { token: string; organizationId: string }, bankName = '中国工商银行合肥科技支行') {
  const bankAccount = nextBankAccount();
  const res = await t.http
    .patch(`/api/organizations/${payee.organizationId}`)
    .set(auth(payee.token))
    .send({ bankName, bankAccount })
    .expect(200);
  if (res.body.pendingBankAccount)
    await t.http
      .post(`/api/organizations/${payee.organizationId}/bank-account/confirm`)
      .set(await t.as(bureauFor(res.body.regionCode)))
      .expect(200);
  return bankAccount;
}

let invoices = 0;
/** Claim evidence with an invoice number no other claim of this run used (an invoice is claimed once). */
export const freshEvidence = (contractNo = 'HT-2026-0137') => ({ contractNo, invoiceNo: `FP-${process.pid}-${++invoices}` });

let payments = 0;
/** A treasury payment reference no other payment of this run used: one reference pays one batch of a region. */
export const freshPaymentRef = () => `TREASURY-${process.pid}-${++payments}`;

/** Pays an open settlement as the region's second reviewer: who created a batch cannot pay it. */
export async function paySettlement(t: TestApp, regionCode: string, settlementId: string, paymentRef = freshPaymentRef()) {
  return t.http
    .post(`/api/settlements/${settlementId}/pay`)
    .set(auth(await t.token(secondReviewerFor(regionCode))))
    .send({ paymentRef })
    .expect(200);
}

/** An hourly TEM of the lab without a calendar: its hours are ordered with POST /api/redemptions; its id. */
export async function plainHourlyFacility(t: TestApp, labToken: string): Promise<string> {
  return (
    await t.http
      .post('/api/facilities')
      .set(auth(labToken))
      .send({ name: 'TEM 代测机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
      .expect(201)
  ).body.id as string;
}

/** An hourly TEM of the lab, bookable every day 08:00–22:00 with a day's notice; its id. */
export async function bookableFacility(t: TestApp, labToken: string, lateCancellationFeeBp = 0): Promise<string> {
  const facilityId = (
    await t.http
      .post('/api/facilities')
      .set(auth(labToken))
      .send({ name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
      .expect(201)
  ).body.id as string;
  await t.http
    .put(`/api/facilities/${facilityId}/calendar`)
    .set(auth(labToken))
    .send({
      openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '08:00', to: '22:00' })),
      closures: [],
      minNoticeHours: 24,
      maxAdvanceDays: 60,
      freeCancellationHours: 24,
      lateCancellationFeeBp,
      requiresQualification: false,
    })
    .expect(200);
  return facilityId;
}

/**
 * A bureau account that the bureau's admin `maker` made and the platform activated (the second person): its id, and the
 * one-time setup code the platform was handed for its holder. An admin of the bureau with `extra.admin`; of a city below
 * the maker's province with `extra.regionCode`.
 */
export async function activatedBureauAccount(
  t: TestApp,
  maker: string,
  username: string,
  extra: { admin?: boolean; regionCode?: string } = {},
): Promise<{ id: string; setupCode: string }> {
  const made = (
    await t.http
      .post('/api/users')
      .set(await t.as(maker))
      .send({ username, password: 'Maker-Chose-This-2026', ...extra })
      .expect(201)
  ).body;
  const { setupCode } = (
    await t.http
      .post(`/api/users/${made.id}/activate`)
      .set(await t.as('platform'))
      .expect(200)
  ).body;
  return { id: made.id, setupCode };
}
