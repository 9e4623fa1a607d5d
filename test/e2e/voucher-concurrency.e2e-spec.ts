import { clock } from '../../src/common/clock';
import { openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { describeRaces } from '../support/races';

/** Registers `n` enterprises a few at a time (password hashing is the slow part). */
async function enterprises(t: TestApp, region: string, n: number): Promise<OrgSession[]> {
  const out: OrgSession[] = [];
  while (out.length < n)
    out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - out.length) }, () => t.registerEnterprise(region)))));
  return out;
}

const count = (items: { status: string; reasonCode?: string }[], status: string, reasonCode?: string) =>
  items.filter((a) => a.status === status && a.reasonCode === reasonCode).length;

describeRaces('concurrent applications and approvals', () => {
  let t: TestApp;
  const year = clock.year();
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const budgetOf = async (regionCode: string) =>
    (
      await t.http
        .get(`/api/budgets/${regionCode}/${year}`)
        .set(auth(await t.token('platform')))
        .expect(200)
    ).body;
  const applyAll = (tokens: string[], amountFen: number) =>
    Promise.all(tokens.map((token) => t.http.post('/api/voucher-applications').set(auth(token)).send({ amountFen, purpose: '并发申请' })));
  const serials: string[] = [];

  it('50 enterprises applying at once for ¥10,000 each against a ¥100,000 budget: exactly 10 approved', async () => {
    await openRegion(t, '320000', { budgetFen: 10_000_000, policy: { autoApproveMaxFen: 1_000_000 } });
    const applicants = await enterprises(t, '329900', 50);

    const results = await applyAll(
      applicants.map((e) => e.token),
      1_000_000,
    );

    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const bodies = results.map((r) => r.body);
    expect(count(bodies, 'approved')).toBe(10);
    expect(count(bodies, 'rejected', 'BUDGET_EXHAUSTED')).toBe(40);
    expect(await budgetOf('320000')).toEqual({
      regionCode: '320000',
      year,
      totalFen: 10_000_000,
      availableFen: 0,
      committedFen: 10_000_000,
    });
    const issued = bodies.filter((b) => b.status === 'approved').map((b) => b.voucher);
    expect(issued.every((v) => v.faceValueFen === 1_000_000 && v.availableFen === 1_000_000)).toBe(true);
    serials.push(...issued.map((v) => v.serial));

    // Every application was recorded, once.
    const recorded = await t.http
      .get('/api/voucher-applications?limit=100')
      .set(auth(await t.token('bureau-js')))
      .expect(200);
    expect(recorded.body.total).toBe(50);
    expect(count(recorded.body.items, 'approved')).toBe(10);
    const vouchers = await t.http
      .get('/api/vouchers?limit=100')
      .set(auth(await t.token('bureau-js')))
      .expect(200);
    expect(vouchers.body.total).toBe(10);
  });

  it('one enterprise sending 20 applications at once against an annual cap with room for 5: exactly 5 approved', async () => {
    // Auto-approval counts the year's running total, so it reaches as far as the cap: the cap alone decides.
    await openRegion(t, '330000', {
      budgetFen: 100_000_000,
      policy: { enterpriseAnnualCapFen: 5_000_000, teamAnnualCapFen: 5_000_000, maxVoucherFen: 5_000_000, autoApproveMaxFen: 5_000_000 },
    });
    const [e] = await enterprises(t, '339900', 1);

    const results = await applyAll(Array(20).fill(e.token), 1_000_000);

    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const bodies = results.map((r) => r.body);
    expect(count(bodies, 'approved')).toBe(5);
    expect(count(bodies, 'rejected', 'ANNUAL_CAP_EXCEEDED')).toBe(15);
    expect(await budgetOf('330000')).toEqual({
      regionCode: '330000',
      year,
      totalFen: 100_000_000,
      availableFen: 95_000_000,
      committedFen: 5_000_000,
    });
    const own = await t.http.get('/api/vouchers?limit=100').set(auth(e.token)).expect(200);
    expect(own.body.total).toBe(5);
    serials.push(...own.body.items.map((v: { serial: string }) => v.serial));
  });

  it('reviewers approving 10 pending applications at once against room for 3: exactly 3 approved, the rest 422', async () => {
    await openRegion(t, '310000', { budgetFen: 10_000_000, policy: { autoApproveMaxFen: 0 } });
    const applicants = await enterprises(t, '310000', 10);
    const pending = (
      await applyAll(
        applicants.map((e) => e.token),
        3_000_000,
      )
    ).map((r) => r.body);
    expect(pending.map((a) => a.status)).toEqual(Array(10).fill('pending_review'));

    const bureau = auth(await t.token('bureau-sh'));
    const results = await Promise.all(pending.map((a) => t.http.post(`/api/voucher-applications/${a.id}/approve`).set(bureau).send({})));

    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 422).map((r) => r.body.code)).toEqual(Array(7).fill('BUDGET_EXHAUSTED'));
    expect(await budgetOf('310000')).toEqual({
      regionCode: '310000',
      year,
      totalFen: 10_000_000,
      availableFen: 1_000_000,
      committedFen: 9_000_000,
    });
    serials.push(...results.filter((r) => r.status === 200).map((r) => r.body.voucher.serial));
  });

  it('approving one application 8 times at once issues one voucher; the rest are 409', async () => {
    await openRegion(t, '340000', { budgetFen: 100_000_000, policy: { autoApproveMaxFen: 0 } });
    const [e] = await enterprises(t, '349900', 1);
    const app = (await applyAll([e.token], 5_000_000))[0].body;
    const bureau = auth(await t.token('bureau-ah'));

    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.http.post(`/api/voucher-applications/${app.id}/approve`).set(bureau).send({})),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await budgetOf('340000')).toMatchObject({ availableFen: 95_000_000, committedFen: 5_000_000 });
    expect((await t.http.get('/api/vouchers').set(auth(e.token)).expect(200)).body.total).toBe(1);
    serials.push(results.find((r) => r.status === 200)!.body.voucher.serial);
  });

  it('200 auto-approvable applications at once from 40 enterprises of one city: all approved, none 5xx, the budget exact', async () => {
    await openRegion(t, '340100', { budgetFen: 200 * 100_000, policy: { autoApproveMaxFen: 1_000_000 } });
    const applicants = await enterprises(t, '340100', 40);

    const results = await applyAll(
      Array.from({ length: 200 }, (_, i) => applicants[i % 40].token),
      100_000,
    );

    expect(results.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(201));
    const bodies = results.map((r) => r.body);
    expect(count(bodies, 'approved')).toBe(200);
    expect(await budgetOf('340100')).toEqual({
      regionCode: '340100',
      year,
      totalFen: 20_000_000,
      availableFen: 0,
      committedFen: 20_000_000,
    });
    serials.push(...bodies.map((b) => b.voucher.serial));
  });

  it('gave every voucher issued under contention its own well-formed serial', () => {
    expect(serials).toHaveLength(10 + 5 + 3 + 1 + 200);
    expect(new Set(serials).size).toBe(serials.length);
    for (const s of serials) expect(s).toMatch(new RegExp(`^(JS|ZJ|SH|AH)-${year}-\\d{6}$`));
  });
});
