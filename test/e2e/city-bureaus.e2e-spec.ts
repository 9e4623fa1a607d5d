import { clock } from '../../src/common/clock';
import { auth, TestApp } from '../support/test-app';
import { issueVoucher, openRegion, policyBody, submittedClaim } from '../support/fixtures';
import { until } from '../support/service-process';

/**
 * A city's bureau (合肥市科学技术局) under its province's (安徽省科学技术厅): in Anhui the cities issue, so a city needs
 * staff of its own who act on the city and nowhere else. The province's admin makes the city's first accounts, a second
 * person activates them, and from then on the city's admin manages its own staff, with the same two pairs of eyes.
 */
describe('city bureaus', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const zh = { 'Accept-Language': 'zh-CN' };

  /** An account `maker` makes, `activator` activates (access tokens), and its holder sets up: its id and a session token. */
  async function cityAccount(maker: string, activator: string, body: Record<string, unknown>) {
    const made = await t.http
      .post('/api/users')
      .set(auth(maker))
      .send({ password: 'Maker-Chose-This-2026', ...body });
    expect(made.status).toBe(201);
    const { setupCode } = (await t.http.post(`/api/users/${made.body.id}/activate`).set(auth(activator)).expect(200)).body;
    const newPassword = 'Holder-Chose-This-2026!';
    await t.http.post('/api/auth/setup').send({ username: body.username, setupCode, newPassword }).expect(204);
    const login = await t.http.post('/api/auth/login').send({ username: body.username, password: newPassword }).expect(200);
    return { id: made.body.id as string, view: made.body, token: login.body.accessToken as string, username: String(body.username) };
  }

  it('the province makes a city bureau’s admin, the city makes its reviewers, and each acts on the city only', async () => {
    await openRegion(t, '340000');
    // 安徽省科学技术厅 makes 合肥市科学技术局's first admin; the platform is the second person.
    const hefeiAdmin = await cityAccount(await t.token('bureau-ah'), await t.token('platform'), {
      username: 'hefei-kjj-admin',
      regionCode: '340100',
      admin: true,
    });
    expect(hefeiAdmin.view).toMatchObject({ role: 'bureau', regionCode: '340100', admin: true, awaitsActivation: true });
    // The city's admin makes its reviewer; the province's admin (who covers the city) activates it.
    const hefeiReviewer = await cityAccount(hefeiAdmin.token, await t.token('bureau-ah'), { username: 'hefei-kjj-reviewer' });
    expect(hefeiReviewer.view).toMatchObject({ regionCode: '340100', admin: false });

    // A city's admin makes no account for its province or another city: refused in Chinese, naming who may.
    for (const regionCode of ['340000', '340200', '310000']) {
      const refused = await t.http
        .post('/api/users')
        .set(auth(hefeiAdmin.token))
        .set(zh)
        .send({ username: `hefei-makes-${regionCode}`, password: 'Maker-Chose-This-2026', regionCode });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
      expect(refused.body.message).toMatch(/的此项事务由.+负责$/);
    }
    // Nor does a province's admin make one for another province, nor an organization's admin a bureau's.
    await t.http
      .post('/api/users')
      .set(await t.as('bureau-sh'))
      .send({ username: 'sh-makes-hefei', password: 'Maker-Chose-This-2026', regionCode: '340100' })
      .expect(403);
    const lab = await t.registerProvider('340100');
    await t.http
      .post('/api/users')
      .set(auth(lab.token))
      .send({ username: 'lab-makes-hefei', password: 'Maker-Chose-This-2026', regionCode: '340100' })
      .expect(400);

    // The city's admin is no second person for an account of its province; the province's admin finds the city's waiting.
    const provinceMade = (
      await t.http
        .post('/api/users')
        .set(await t.as('bureau-ah'))
        .send({ username: 'ah-province-reviewer', password: 'Maker-Chose-This-2026' })
        .expect(201)
    ).body;
    await t.http.post(`/api/users/${provinceMade.id}/activate`).set(auth(hefeiAdmin.token)).expect(404);
    const cityMade = (
      await t.http
        .post('/api/users')
        .set(auth(hefeiAdmin.token))
        .send({ username: 'hefei-kjj-waiting', password: 'Maker-Chose-This-2026' })
        .expect(201)
    ).body;
    const waiting = async (token: string) =>
      (await t.http.get('/api/users/awaiting-activation').set(auth(token)).expect(200)).body.items.map((u: { id: string }) => u.id);
    expect(await waiting(await t.token('bureau-ah'))).toContain(cityMade.id);
    expect(await waiting(hefeiAdmin.token)).not.toContain(provinceMade.id);
    await t.http
      .post(`/api/users/${cityMade.id}/disable`)
      .set(await t.as('bureau-ah'))
      .expect(200);

    // Lists: the city's admin sees the city's staff; the province's admin its own and its cities'.
    const usernames = async (token: string) =>
      (await t.http.get('/api/users').set(auth(token)).expect(200)).body.items.map((u: { username: string }) => u.username);
    expect(await usernames(hefeiAdmin.token)).toEqual(['hefei-kjj-admin', 'hefei-kjj-reviewer', 'hefei-kjj-waiting']);
    expect(await usernames(await t.token('bureau-ah'))).toEqual(
      expect.arrayContaining(['bureau-ah', 'bureau-ah-2', 'hefei-kjj-admin', 'hefei-kjj-reviewer']),
    );
    expect(await usernames(await t.token('bureau-sh'))).not.toContain('hefei-kjj-admin');

    // The city's staff run the city: its policy with dual control, its budget, its review in pairs.
    await t.http
      .post('/api/policies')
      .set(auth(hefeiAdmin.token))
      .send(policyBody('340100', { autoApproveMaxFen: 1_000_000, dualControlFen: 5_000_000 }))
      .expect(201);
    await t.http.put(`/api/budgets/340100/${clock.year()}`).set(auth(hefeiAdmin.token)).send({ totalFen: 100_000_000 }).expect(200);
    await t.http.put(`/api/budgets/340000/${clock.year()}`).set(auth(hefeiAdmin.token)).send({ totalFen: 1 }).expect(403);
    await t.http.post('/api/policies').set(auth(hefeiReviewer.token)).send(policyBody('340200')).expect(403);

    const enterprise = await t.registerEnterprise('340100', {}, false);
    await t.http
      .post(`/api/organizations/${enterprise.organizationId}/verify`)
      .set(auth(hefeiReviewer.token))
      .send({ certificateNo: 'GR202634010001' })
      .expect(200);
    const application = (
      await t.http.post('/api/voucher-applications').set(auth(enterprise.token)).send({ amountFen: 6_000_000, purpose: '检测' }).expect(201)
    ).body;
    expect(application).toMatchObject({ status: 'pending_review', issuingRegionCode: '340100' });
    await t.http.post(`/api/voucher-applications/${application.id}/approve`).set(auth(hefeiAdmin.token)).send({}).expect(202);
    await t.http.post(`/api/voucher-applications/${application.id}/approve`).set(auth(hefeiAdmin.token)).send({}).expect(403);
    const approved = await t.http.post(`/api/voucher-applications/${application.id}/approve`).set(auth(hefeiReviewer.token)).send({});
    expect(approved.status).toBe(200);
    expect(approved.body.voucher.faceValueFen).toBe(6_000_000);

    // The city's budget set below 10% unspent: its own staff and the province's hear of it, another province's do not.
    await t.http.put(`/api/budgets/340100/${clock.year()}`).set(auth(hefeiAdmin.token)).send({ totalFen: 6_500_000 }).expect(200);
    const lowBudget = async (token: string) =>
      (await t.http.get('/api/notifications').set(auth(token)).expect(200)).body.items.filter(
        (n: { kind: string; title: string }) => n.kind === 'budget_low' && n.title.includes('合肥市'),
      ) as { body: string }[];
    const [told] = await until('the city budget notice', async () =>
      (await lowBudget(hefeiReviewer.token)).length ? lowBudget(hefeiReviewer.token) : undefined,
    );
    expect(told.body).toContain('总额 ¥65,000.00，当前可用 ¥5,000.00');
    expect(await lowBudget(hefeiAdmin.token)).toHaveLength(1);
    expect(await lowBudget(await t.token('bureau-ah'))).toHaveLength(1);
    expect(await lowBudget(await t.token('bureau-sh'))).toEqual([]);
    expect(await lowBudget(enterprise.token)).toEqual([]);
    await t.http.put(`/api/budgets/340100/${clock.year()}`).set(auth(hefeiAdmin.token)).send({ totalFen: 100_000_000 }).expect(200);

    // Disabling: the province's admin may disable a city's reviewer; the city's admin cannot touch the province's staff.
    const ahTwo = (
      await t.http
        .get('/api/users')
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body.items.find((u: { username: string }) => u.username === 'bureau-ah-2');
    await t.http.post(`/api/users/${ahTwo.id}/disable`).set(auth(hefeiAdmin.token)).expect(404);
    await t.http
      .post(`/api/users/${hefeiReviewer.id}/disable`)
      .set(await t.as('bureau-ah'))
      .expect(200);
    await t.http.get('/api/voucher-applications').set(auth(hefeiReviewer.token)).expect(401);
  });

  it('a province’s review queue: one city at a time, whose second approval each awaits, what the enterprise already has', async () => {
    const ah = await t.as('bureau-ah');
    await t.http
      .post('/api/policies')
      .set(ah)
      .send(policyBody('340200', { autoApproveMaxFen: 1_000_000, dualControlFen: 5_000_000 }))
      .expect(201);
    await t.http.put(`/api/budgets/340200/${clock.year()}`).set(ah).send({ totalFen: 100_000_000 }).expect(200);
    const [hefei, wuhu] = await Promise.all([t.registerEnterprise('340100'), t.registerEnterprise('340200')]);
    await issueVoucher(t, hefei.token, 800_000);
    const apply = async (token: string, amountFen: number) =>
      (await t.http.post('/api/voucher-applications').set(auth(token)).send({ amountFen, purpose: '检测' }).expect(201)).body;
    const big = await apply(hefei.token, 6_000_000);
    const other = await apply(wuhu.token, 2_000_000);
    expect([big.status, other.status]).toEqual(['pending_review', 'pending_review']);

    // 安徽省科学技术厅 takes Hefei's queue alone; each item says what the enterprise was granted this year already.
    const queue = async (who: { Authorization: string }, query: string) =>
      (await t.http.get(`/api/voucher-applications?${query}`).set(who).expect(200)).body.items as Record<string, unknown>[];
    const hefeiQueue = await queue(ah, 'status=pending_review&issuingRegionCode=340100');
    expect(hefeiQueue.map((a) => a.issuingRegionCode)).toEqual(hefeiQueue.map(() => '340100'));
    expect(hefeiQueue.find((a) => a.id === big.id)).toMatchObject({ amountFen: 6_000_000, enterpriseGrantedFen: 800_000 });
    expect(hefeiQueue.some((a) => a.id === other.id)).toBe(false);
    const wrong = await t.http.get('/api/voucher-applications?issuingRegionCode=999999').set(ah).set(zh).expect(400);
    expect(wrong.body.message).toMatch(/^issuingRegionCode：/);

    // The first approval made with the admin's API key is the admin's: the queue tells each reviewer whose second it awaits.
    const key = (await t.http.post('/api/api-keys').set(ah).send({ name: '安徽省科技厅门户' }).expect(201)).body.key;
    await t.http.post(`/api/voucher-applications/${big.id}/approve`).set(auth(key)).send({}).expect(202);
    const awaiting = async (who: { Authorization: string }) =>
      (await queue(who, 'status=awaiting_second_approval&issuingRegionCode=340100')).find((a) => a.id === big.id);
    expect(await awaiting(ah)).toMatchObject({ firstApprovedFen: 6_000_000, firstApprovedByYou: true });
    expect(await awaiting(await t.as('bureau-ah-2'))).toMatchObject({ firstApprovedFen: 6_000_000, firstApprovedByYou: false });
    const approved = await t.http
      .post(`/api/voucher-applications/${big.id}/approve`)
      .set(await t.as('bureau-ah-2'))
      .send({})
      .expect(200);

    // Claims the same: the lab's 5,500,000 claim awaits bureau-ah's second approval after bureau-ah-2's first.
    const lab = await t.registerProvider('340100');
    const claimId = await submittedClaim(t, lab.token, hefei.token, approved.body.voucher.id, {
      name: '球差校正透射电镜',
      unitPriceFen: 1_100_000,
      hours: 10,
    });
    await t.http
      .post(`/api/claims/${claimId}/approve`)
      .set(await t.as('bureau-ah-2'))
      .send({})
      .expect(202);
    const claimQueue = async (who: { Authorization: string }) =>
      (await t.http.get('/api/claims?status=awaiting_second_approval&issuingRegionCode=340100').set(who).expect(200)).body.items.find(
        (c: { id: string }) => c.id === claimId,
      );
    expect(await claimQueue(await t.as('bureau-ah-2'))).toMatchObject({ claimedFen: 5_500_000, firstApprovedByYou: true });
    expect(await claimQueue(ah)).toMatchObject({ claimedFen: 5_500_000, firstApprovedByYou: false });
    await t.http.post(`/api/claims/${claimId}/approve`).set(ah).send({}).expect(200);
  });
});
