import { clock } from '../../src/common/clock';
import { policyBody } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

/** Moves the business clock to an instant (sessions and tokens keep the real time). */
const travelTo = (iso: string) => clock.travel(Date.parse(iso) - clock.now().getTime());

/**
 * The business day is Beijing's: at 01:00 on New Year's Day in Hefei (17:00 UTC on New Year's Eve) the year has turned
 * for the bureau and the enterprise, though not yet in UTC.
 */
describe('the business calendar is Beijing’s (Asia/Shanghai), not UTC’s', () => {
  let t: TestApp;
  let enterprise: OrgSession;
  let v2026: { id: string };
  let v2027: { id: string };
  const apply = async (amountFen: number) =>
    (await t.http.post('/api/voucher-applications').set(auth(enterprise.token)).send({ amountFen, purpose: 'TEM 机时' }).expect(201)).body;
  const budget = async (year: number) =>
    (
      await t.http
        .get(`/api/budgets/340000/${year}`)
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body;

  beforeAll(async () => {
    t = await TestApp.start();
    travelTo('2026-12-31T15:00:00.000Z'); // 23:00 on New Year's Eve in Beijing
    const publish = async (overrides: Record<string, unknown>) => {
      const res = await t.http
        .post('/api/policies')
        .set(await t.as('bureau-ah'))
        .send(policyBody('340000', overrides));
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
      return res.body;
    };
    // Each year's terms allow ¥10,000 a year per enterprise: the second voucher fits only in a new year.
    v2026 = await publish({
      effectiveFrom: '2026-12-31',
      enterpriseAnnualCapFen: 1_000_000,
      teamAnnualCapFen: 1_000_000,
      maxVoucherFen: 1_000_000,
      autoApproveMaxFen: 1_000_000,
      voucherValidityDays: 365,
    });
    v2027 = await publish({
      effectiveFrom: '2027-01-01',
      enterpriseAnnualCapFen: 1_000_000,
      teamAnnualCapFen: 1_000_000,
      maxVoucherFen: 1_000_000,
      autoApproveMaxFen: 1_000_000,
      voucherValidityDays: 180,
    });
    for (const year of [2026, 2027]) {
      await t.http
        .put(`/api/budgets/340000/${year}`)
        .set(await t.as('bureau-ah'))
        .send({ totalFen: 100_000_000 })
        .expect(200);
    }
    enterprise = await t.registerEnterprise('340100');
  });
  afterAll(() => t.close());

  it('at 01:00 on New Year’s Day in Beijing (17:00 UTC on the 31st) an application is charged to 2027: serial, budget, annual cap, policy', async () => {
    // At 23:00 on New Year's Eve in Beijing a voucher is still 2026's, and uses up that year's cap.
    const eve = await apply(1_000_000);
    expect(eve.voucher).toMatchObject({
      serial: 'AH-2026-000001',
      budgetYear: 2026,
      policyId: v2026.id,
      validFrom: '2026-12-31',
      validUntil: '2027-12-30',
    });
    expect(await budget(2026)).toMatchObject({ availableFen: 99_000_000, committedFen: 1_000_000 });

    travelTo('2026-12-31T17:00:00.000Z');
    expect(clock.today()).toBe('2027-01-01');
    // The 2026 cap is used up: charged to 2026, this application would be refused ANNUAL_CAP_EXCEEDED.
    const application = await apply(1_000_000);
    expect({ status: application.status, reasonCode: application.reasonCode ?? null }).toEqual({ status: 'approved', reasonCode: null });
    expect(application.voucher).toMatchObject({
      serial: 'AH-2027-000001',
      budgetYear: 2027,
      policyId: v2027.id,
      validFrom: '2027-01-01',
      validUntil: '2027-06-29',
    });
    expect(await budget(2027)).toMatchObject({ availableFen: 99_000_000, committedFen: 1_000_000 });
    expect(await budget(2026)).toMatchObject({ availableFen: 99_000_000, committedFen: 1_000_000 });
    const current = await t.http.get('/api/policies/current').query({ regionCode: '340000' }).set(auth(enterprise.token)).expect(200);
    expect(current.body).toMatchObject({ id: v2027.id, effectiveFrom: '2027-01-01' });
  });

  it('then a policy effective yesterday in Beijing (still today in UTC) is POLICY_BACKDATED; one effective today in Beijing is published', async () => {
    travelTo('2026-12-31T17:00:00.000Z');
    const bureau = await t.as('bureau-ah');
    const backdated = await t.http
      .post('/api/policies')
      .set(bureau)
      .send(policyBody('340000', { effectiveFrom: '2026-12-31' }));
    expect({ status: backdated.status, code: backdated.body.code }).toEqual({ status: 422, code: 'POLICY_BACKDATED' });
    expect(backdated.body.message).toContain('today (2027-01-01)');
    const today = await t.http
      .post('/api/policies')
      .set(bureau)
      .send(policyBody('340000', { effectiveFrom: '2027-01-01' }));
    expect({ status: today.status, effectiveFrom: today.body.effectiveFrom }).toEqual({ status: 201, effectiveFrom: '2027-01-01' });
  });

  it('an application whose request straddles Beijing’s midnight is checked and issued in one year: one reading of the clock', async () => {
    const late = await t.registerEnterprise('340100');
    const before = { 2026: (await budget(2026)).committedFen, 2027: (await budget(2027)).committedFen };
    // Readings of the clock alternate between 23:59:59.999 on New Year's Eve in Beijing and midnight: a unit that read it
    // more than once would check one year's policy, cap and budget and issue in the other's.
    let reads = 0;
    const now = jest
      .spyOn(clock, 'now')
      .mockImplementation(() => new Date(reads++ % 2 === 0 ? '2026-12-31T15:59:59.999Z' : '2026-12-31T16:00:00.000Z'));
    let res;
    try {
      res = await t.http.post('/api/voucher-applications').set(auth(late.token)).send({ amountFen: 500_000, purpose: 'TEM 机时' });
    } finally {
      now.mockRestore();
    }
    expect({ status: res.status, applicationStatus: res.body.status }).toEqual({ status: 201, applicationStatus: 'approved' });
    const voucher = res.body.voucher;
    const year: number = voucher.budgetYear;
    expect(reads).toBeGreaterThan(1);
    expect(voucher).toMatchObject({ validFrom: year === 2026 ? '2026-12-31' : '2027-01-01' });
    expect(voucher.serial).toMatch(new RegExp(`^AH-${year}-`));
    if (year === 2026) expect(voucher.policyId).toBe(v2026.id);
    else expect(voucher.policyId).not.toBe(v2026.id);
    const other = year === 2026 ? 2027 : 2026;
    expect((await budget(year)).committedFen).toBe(before[year as 2026 | 2027] + 500_000);
    expect((await budget(other)).committedFen).toBe(before[other]);
  });
});
