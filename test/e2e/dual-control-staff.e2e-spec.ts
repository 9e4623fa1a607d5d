import { DecideClaim } from '../../src/claims/use-cases/decide-claim';
import { clock } from '../../src/common/clock';
import { CreateSettlement } from '../../src/settlement/use-cases/create-settlement';
import { PaySettlement } from '../../src/settlement/use-cases/pay-settlement';
import { DecideApplication } from '../../src/vouchers/use-cases/decide-application';
import { activatedBureauAccount, bureauFor, captureConfirmed, freshEvidence, policyBody, secondReviewerFor } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { totp } from '../support/totp';

const WUHU = '340200';
const ADMIN = bureauFor(WUHU); // bureau-ah: the province's admin, who manages its cities' staff too
const SECOND = secondReviewerFor(WUHU); // bureau-ah-2

/**
 * Maker-checker (双人复核) counts two people who still act for the bureau. A first approval waiting for the second is
 * withdrawn when its approver is disabled or has their sign-in reset: otherwise the one reviewer left completes alone
 * what needed two, on the word of someone the bureau no longer trusts (or of whoever held their account). The probe that
 * found it: a reviewer first-approved a 30,021-fen claim, was disabled, and bureau-ah-2's approval alone paid it (200).
 */
describe('dual control and the staff who approve', () => {
  let t: TestApp;
  let lab: OrgSession;
  let e: OrgSession;
  let hour: string;
  let voucherId: string;
  let reviewers = 0;

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
    await t.http
      .put(`/api/budgets/${WUHU}/${clock.year()}`)
      .set(await t.as(ADMIN))
      .send({ totalFen: 100_000_000 })
      .expect(200);
    await t.http
      .post('/api/policies')
      .set(await t.as(ADMIN))
      .send(policyBody(WUHU, { dualControlFen: 25_000, autoApproveMaxFen: 0 }))
      .expect(201);
    e = await t.registerEnterprise(WUHU, { name: '芜湖新能源汽车零部件有限公司' });
    const a = await apply(2_000_000); // some 60 hours of 30,021 fen
    await approveApplication(a.id, ADMIN, 202);
    voucherId = (await approveApplication(a.id, SECOND, 200)).body.voucher.id;
  });
  afterAll(() => t.close());

  const apply = async (amountFen: number) =>
    (await t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen, purpose: '新材料表征' }).expect(201)).body;
  const as = async (who: string | { token: string }) => (typeof who === 'string' ? t.as(who) : auth(who.token));
  const approveApplication = async (id: string, who: string | { token: string }, status: number) =>
    t.http
      .post(`/api/voucher-applications/${id}/approve`)
      .set(await as(who))
      .send({})
      .expect(status);
  const approveClaim = async (id: string, who: string | { token: string }) =>
    t.http
      .post(`/api/claims/${id}/approve`)
      .set(await as(who))
      .send({});
  /** One hour used on the voucher and confirmed; the lab claims its 30,021 fen. The claim's id. */
  const claimOfOneHour = async () => {
    const held = await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId: hour, quantity: 1 }).expect(201);
    await captureConfirmed(t, lab.token, e.token, held.body.id, 1);
    const claim = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
      .expect(201);
    return claim.body.id as string;
  };
  /**
   * A third Wuhu reviewer, made by the admin, activated by the platform, signed in with a password of their own; an
   * admin of the bureau (who may make API keys) when asked.
   */
  const newReviewer = async (admin = false) => {
    const username = `wuhu-reviewer-${++reviewers}`;
    const { id, setupCode } = await activatedBureauAccount(t, ADMIN, username, { admin });
    await t.http.post('/api/auth/setup').send({ username, setupCode, newPassword: 'Holder-Own-Pass-2026' }).expect(204);
    return { id, token: (await t.login(username, 'Holder-Own-Pass-2026')).accessToken };
  };
  const disable = async (id: string) =>
    t.http
      .post(`/api/users/${id}/disable`)
      .set(await t.as(ADMIN))
      .expect(200);
  const actions = async (entityType: string, entityId: string) =>
    (
      await t.http
        .get(`/api/audit?entityType=${entityType}&entityId=${entityId}&limit=100`)
        .set(await t.as('platform'))
        .expect(200)
    ).body.items.map((x: { action: string }) => x.action);

  it('the probe: a claim first-approved by a reviewer disabled since waits for two approvals again', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour();
    const first = await approveClaim(c, reviewer);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 30_021 });
    await disable(reviewer.id);

    const claim = await t.http
      .get(`/api/claims/${c}`)
      .set(await t.as(SECOND))
      .expect(200);
    expect(claim.body.status).toBe('submitted');
    expect(claim.body.firstApprovedFen).toBeUndefined();
    const again = await approveClaim(c, SECOND);
    expect(again.status).toBe(202); // a first approval again, not the second
    expect(again.body.status).toBe('awaiting_second_approval');
    expect(await approveClaim(c, ADMIN).then((r) => [r.status, r.body.status])).toEqual([200, 'approved']);
    expect(await actions('claim', c)).toEqual(
      expect.arrayContaining(['claim.first_approval', 'claim.first_approval_withdrawn', 'claim.approved']),
    );
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('an application first-approved by a reviewer disabled since waits for two approvals again, and no voucher comes of one', async () => {
    const reviewer = await newReviewer();
    const a = await apply(30_021);
    expect(a.status).toBe('pending_review');
    await approveApplication(a.id, reviewer, 202);
    await disable(reviewer.id);

    const again = await approveApplication(a.id, SECOND, 202);
    expect(again.body).toMatchObject({ status: 'awaiting_second_approval', firstApprovedFen: 30_021 });
    expect(again.body.voucher).toBeUndefined();
    const done = await approveApplication(a.id, ADMIN, 200);
    expect(done.body).toMatchObject({ status: 'approved', voucher: { faceValueFen: 30_021 } });
    expect(await actions('voucher_application', a.id)).toEqual(
      expect.arrayContaining(['application.first_approval', 'application.first_approval_withdrawn', 'application.approved']),
    );
  });

  it('a reviewer being disabled while first-approving many claims at once leaves none that one other person completes alone', async () => {
    const reviewer = await newReviewer();
    const claims: string[] = [];
    for (let i = 0; i < 16; i++) claims.push(await claimOfOneHour());
    const adminHeader = await t.as(ADMIN); // signed in before the race starts
    const half = claims.length / 2;
    const answers = await Promise.all([
      ...claims.slice(0, half).map((c) => approveClaim(c, reviewer)),
      t.http.post(`/api/users/${reviewer.id}/disable`).set(adminHeader),
      ...claims.slice(half).map((c) => approveClaim(c, reviewer)),
    ]);
    expect(answers[half].status).toBe(200);
    const firsts = answers.filter((_, i) => i !== half);
    // Each either came before the disabling (and was withdrawn with it) or after it (refused: the session ended).
    for (const r of firsts) expect([202, 401]).toContain(r.status);
    for (const c of claims) {
      const second = await approveClaim(c, SECOND);
      expect([c, second.status, second.body.status]).toEqual([c, 202, 'awaiting_second_approval']);
    }
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('a sign-in reset withdraws the first approvals of whoever held the account', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour();
    expect((await approveClaim(c, reviewer)).status).toBe(202);
    await t.http
      .post(`/api/users/${reviewer.id}/reset-sign-in`)
      .set(await t.as(ADMIN))
      .expect(200);
    const again = await approveClaim(c, SECOND);
    expect([again.status, again.body.status]).toEqual([202, 'awaiting_second_approval']);
    expect(await actions('claim', c)).toContain('claim.first_approval_withdrawn');
  });

  it('a first approval by someone still in post counts as before', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour();
    expect((await approveClaim(c, reviewer)).status).toBe(202);
    await disable((await newReviewer()).id); // another reviewer's disabling takes nothing back
    expect(await approveClaim(c, SECOND).then((r) => [r.status, r.body.status])).toEqual([200, 'approved']);
  });

  /**
   * Holds every call of `execute` on the use case until `released`: the request has passed the authentication guard and
   * waits, while its caller is disabled.
   */
  const heldAtTheDoor = (useCase: { execute: (...args: never[]) => Promise<unknown> }) => {
    const original = useCase.execute.bind(useCase) as (...args: unknown[]) => Promise<unknown>;
    let arrived!: () => void;
    let release!: () => void;
    const there = new Promise<void>((resolve) => (arrived = resolve));
    const open = new Promise<void>((resolve) => (release = resolve));
    const spy = jest
      .spyOn(useCase as { execute: (...args: unknown[]) => Promise<unknown> }, 'execute')
      .mockImplementation(async (...args: unknown[]) => {
        arrived();
        await open;
        return original(...args);
      });
    return { there, release: () => (release(), spy) };
  };

  it('a reviewer disabled while their approval is on its way approves nothing: 401, and the claim still waits', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour();
    const door = heldAtTheDoor(t.get(DecideClaim));
    const approving = approveClaim(c, reviewer).then((r) => r);
    await door.there;
    await disable(reviewer.id);
    door.release().mockRestore();
    expect((await approving).status).toBe(401);
    const claim = await t.http
      .get(`/api/claims/${c}`)
      .set(await t.as(SECOND))
      .expect(200);
    expect(claim.body.status).toBe('submitted');
  });

  it('a reviewer disabled while their approval of an application is on its way approves nothing: no voucher', async () => {
    const reviewer = await newReviewer();
    const a = await apply(30_021);
    const door = heldAtTheDoor(t.get(DecideApplication));
    const approving = t.http
      .post(`/api/voucher-applications/${a.id}/approve`)
      .set(auth(reviewer.token))
      .send({})
      .then((r) => r);
    await door.there;
    await disable(reviewer.id);
    door.release().mockRestore();
    expect((await approving).status).toBe(401);
    expect(await approveApplication(a.id, SECOND, 202).then((r) => r.body.status)).toBe('awaiting_second_approval');
  });

  it('a reviewer disabled while their payment of a batch is on its way pays nothing: 401, and the batch stays open', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour();
    expect((await approveClaim(c, SECOND)).status).toBe(202);
    expect((await approveClaim(c, ADMIN)).status).toBe(200);
    const batch = (
      await t.http
        .post('/api/settlements')
        .set(await t.as(ADMIN))
        .send({ regionCode: WUHU })
        .expect(201)
    ).body;
    const door = heldAtTheDoor(t.get(PaySettlement));
    const paying = t.http
      .post(`/api/settlements/${batch.id}/pay`)
      .set(auth(reviewer.token))
      .send({ paymentRef: 'WH-TREASURY-2026-0042' })
      .then((r) => r);
    await door.there;
    await disable(reviewer.id);
    door.release().mockRestore();
    expect((await paying).status).toBe(401);
    const after = await t.http
      .get(`/api/settlements/${batch.id}`)
      .set(await t.as(SECOND))
      .expect(200);
    expect(after.body.status).toBe('open');
    await t.http
      .post(`/api/settlements/${batch.id}/pay`)
      .set(await t.as(SECOND))
      .send({ paymentRef: 'WH-TREASURY-2026-0043' })
      .expect(200);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('a reviewer disabled while their batch is being made makes none: 401', async () => {
    const reviewer = await newReviewer();
    const c = await claimOfOneHour(); // an approved claim waiting for a batch
    expect((await approveClaim(c, SECOND)).status).toBe(202);
    expect((await approveClaim(c, ADMIN)).status).toBe(200);
    const batches = async () =>
      (
        await t.http
          .get('/api/settlements')
          .set(await t.as(SECOND))
          .expect(200)
      ).body.total as number;
    const before = await batches();
    const door = heldAtTheDoor(t.get(CreateSettlement));
    const making = t.http
      .post('/api/settlements')
      .set(auth(reviewer.token))
      .send({ regionCode: WUHU })
      .then((r) => r);
    await door.there;
    await disable(reviewer.id);
    door.release().mockRestore();
    expect((await making).status).toBe(401);
    expect(await batches()).toBe(before);
  });

  /** An API key of the bureau made by `maker` (an admin): its id and the key. */
  const keyOf = async (maker: { token: string }) => {
    const made = await t.http.post('/api/api-keys').set(auth(maker.token)).send({ name: '芜湖审核系统' }).expect(201);
    return { id: made.body.id as string, token: made.body.key as string };
  };
  const revoke = async (keyId: string, by: Record<string, string>) => t.http.delete(`/api/api-keys/${keyId}`).set(by);
  const entries = async (entityType: string, entityId: string, action: string) =>
    (
      await t.http
        .get(`/api/audit?entityType=${entityType}&entityId=${entityId}&action=${action}&limit=100`)
        .set(await t.as('platform'))
        .expect(200)
    ).body.items.map((x: { summary: Record<string, unknown> }) => x.summary);

  it('a first approval given through an API key no longer counts once the key is revoked (a leak); one of the same person’s in a session still does', async () => {
    const maker = await newReviewer(true);
    const key = await keyOf(maker);
    const c = await claimOfOneHour();
    const a = await apply(30_021);
    expect((await approveClaim(c, key)).status).toBe(202);
    await approveApplication(a.id, key, 202);
    const bySession = await claimOfOneHour();
    expect((await approveClaim(bySession, maker)).status).toBe(202);

    expect((await revoke(key.id, await t.as(ADMIN))).status).toBe(204); // another admin of the bureau revokes it
    const again = await approveClaim(c, SECOND);
    expect([again.status, again.body.status]).toEqual([202, 'awaiting_second_approval']); // a first approval again
    expect(await approveApplication(a.id, SECOND, 202).then((r) => r.body.status)).toBe('awaiting_second_approval');
    expect(await approveClaim(bySession, SECOND).then((r) => [r.status, r.body.status])).toEqual([200, 'approved']);
    expect(await entries('claim', c, 'claim.first_approval_withdrawn')).toEqual([
      { firstApprovedBy: maker.id, firstApprovedFen: 30_021, firstApprovedKey: key.id, cause: 'api_key.revoked' },
    ]);
    expect(await actions('voucher_application', a.id)).toContain('application.first_approval_withdrawn');
    expect(await entries('api_key', key.id, 'api_key.revoked')).toEqual([expect.objectContaining({ firstApprovalsWithdrawn: 2 })]);
  });

  it('a password change withdraws the first approvals given through the keys it revokes and in other sessions, not in its own', async () => {
    const maker = await newReviewer(true);
    const key = await keyOf(maker);
    // someone holds a session of the maker's too (a stolen token), and first-approves with it
    const stolen = { token: (await t.login(`wuhu-reviewer-${reviewers}`, 'Holder-Own-Pass-2026')).accessToken };
    const c = await claimOfOneHour();
    expect((await approveClaim(c, key)).status).toBe(202);
    const bySession = await claimOfOneHour();
    expect((await approveClaim(bySession, maker)).status).toBe(202);
    const byThief = await claimOfOneHour();
    expect((await approveClaim(byThief, stolen)).status).toBe(202);
    const a = await apply(30_021);
    await approveApplication(a.id, stolen, 202);

    // the maker notices and changes the password in their own session
    await t.http
      .post('/api/auth/password')
      .set(auth(maker.token))
      .send({ currentPassword: 'Holder-Own-Pass-2026', newPassword: 'Holder-New-Pass-2027' })
      .expect(204);
    expect(await approveClaim(c, SECOND).then((r) => [r.status, r.body.status])).toEqual([202, 'awaiting_second_approval']);
    expect(await approveClaim(bySession, SECOND).then((r) => [r.status, r.body.status])).toEqual([200, 'approved']);
    expect(await approveClaim(byThief, SECOND).then((r) => [r.status, r.body.status])).toEqual([202, 'awaiting_second_approval']);
    expect(await approveApplication(a.id, SECOND, 202).then((r) => r.body.status)).toBe('awaiting_second_approval');
    expect(await entries('claim', c, 'claim.first_approval_withdrawn')).toEqual([
      expect.objectContaining({ firstApprovedKey: key.id, cause: 'auth.password_changed' }),
    ]);
    expect(await entries('claim', byThief, 'claim.first_approval_withdrawn')).toEqual([
      { firstApprovedBy: maker.id, firstApprovedFen: 30_021, firstApprovedSession: expect.any(String), cause: 'auth.password_changed' },
    ]);
    expect(await actions('voucher_application', a.id)).toContain('application.first_approval_withdrawn');
    expect(await entries('user', maker.id, 'auth.password_changed')).toEqual([
      expect.objectContaining({ otherSessionsEnded: 1, apiKeysRevoked: 1, firstApprovalsWithdrawn: 3 }),
    ]);
    const told = await t.http.get('/api/notifications').set(auth(maker.token)).expect(200);
    const notice = told.body.items.find((n: { kind: string }) => n.kind === 'password_changed');
    expect(notice.body).toContain('经这些密钥作出、尚待复核的初审通过（1 项）已撤回');
    expect(notice.body).toContain('在其他会话中作出、尚待复核的初审通过（2 项）已撤回');
  });

  it('a sign-in reset tells its holder how many waiting first approvals it withdrew, through their keys and with the account', async () => {
    const maker = await newReviewer(true);
    const key = await keyOf(maker);
    const byKey = await claimOfOneHour();
    expect((await approveClaim(byKey, key)).status).toBe(202);
    const bySession = await claimOfOneHour();
    expect((await approveClaim(bySession, maker)).status).toBe(202);
    const a = await apply(30_021);
    await approveApplication(a.id, maker, 202);

    await t.http
      .post(`/api/users/${maker.id}/reset-sign-in`)
      .set(await t.as(ADMIN))
      .expect(200);
    expect(await entries('user', maker.id, 'user.sign_in_reset')).toEqual([
      expect.objectContaining({ apiKeysRevoked: 1, firstApprovalsWithdrawn: 3 }),
    ]);
    // the platform issues the code (a second person), the holder sets a password and reads the notice
    const username = `wuhu-reviewer-${reviewers}`;
    const { setupCode } = (
      await t.http
        .post(`/api/users/${maker.id}/activate`)
        .set(await t.as('platform'))
        .expect(200)
    ).body;
    await t.http.post('/api/auth/setup').send({ username, setupCode, newPassword: 'Holder-New-Pass-2027' }).expect(204);
    const token = (await t.login(username, 'Holder-New-Pass-2027')).accessToken;
    const told = await t.http.get('/api/notifications').set(auth(token)).expect(200);
    const notice = told.body.items.find((n: { kind: string }) => n.kind === 'sign_in_reset');
    expect(notice.body).toContain('经您的 API 密钥作出、尚待复核的初审通过（1 项）已撤回，需重新审核。');
    expect(notice.body).toContain('以您的账号作出、尚待复核的初审通过（2 项）已撤回，需重新审核。');
  });

  it('enabling two-factor withdraws the first approvals given in the sessions it ends, not in its own', async () => {
    const owner = await newReviewer();
    const stolen = { token: (await t.login(`wuhu-reviewer-${reviewers}`, 'Holder-Own-Pass-2026')).accessToken };
    const byOwner = await claimOfOneHour();
    expect((await approveClaim(byOwner, owner)).status).toBe(202);
    const byThief = await claimOfOneHour();
    expect((await approveClaim(byThief, stolen)).status).toBe(202);

    const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(owner.token)).send({}).expect(200)).body;
    await t.http
      .post('/api/auth/mfa/enable')
      .set(auth(owner.token))
      .send({ otp: totp(secret) })
      .expect(204);
    expect(await approveClaim(byOwner, SECOND).then((r) => [r.status, r.body.status])).toEqual([200, 'approved']);
    expect(await approveClaim(byThief, SECOND).then((r) => [r.status, r.body.status])).toEqual([202, 'awaiting_second_approval']);
    expect(await entries('claim', byThief, 'claim.first_approval_withdrawn')).toEqual([
      expect.objectContaining({ firstApprovedBy: owner.id, cause: 'auth.mfa_enabled' }),
    ]);
    expect(await entries('user', owner.id, 'auth.mfa_enabled')).toEqual([
      expect.objectContaining({ otherSessionsEnded: 1, firstApprovalsWithdrawn: 1 }),
    ]);
  });

  it('a password change while a stolen session first-approves: each approval is withdrawn after, or refused (401), never left', async () => {
    const owner = await newReviewer();
    const stolen = auth((await t.login(`wuhu-reviewer-${reviewers}`, 'Holder-Own-Pass-2026')).accessToken);
    const claims: string[] = [];
    for (let i = 0; i < 8; i++) claims.push(await claimOfOneHour());
    const change = t.http
      .post('/api/auth/password')
      .set(auth(owner.token))
      .send({ currentPassword: 'Holder-Own-Pass-2026', newPassword: 'Holder-New-Pass-2027' });
    const answers = await Promise.all([...claims.map((c) => t.http.post(`/api/claims/${c}/approve`).set(stolen).send({})), change]);
    expect(answers.pop()!.status).toBe(204);
    for (const [i, c] of claims.entries()) {
      const back = await entries('claim', c, 'claim.first_approval_withdrawn');
      // given before the change, which withdrew it; or after, when the session had ended
      expect([c, answers[i].status, back.length]).toEqual(answers[i].status === 202 ? [c, 202, 1] : [c, 401, 0]);
      expect(await approveClaim(c, SECOND).then((r) => [c, r.status, r.body.status])).toEqual([c, 202, 'awaiting_second_approval']);
    }
  });

  it('a key revoked while second approvals of its first approvals run: each is approved before, or waits again after, never both', async () => {
    const maker = await newReviewer(true);
    const key = await keyOf(maker);
    const claims: string[] = [];
    for (let i = 0; i < 14; i++) claims.push(await claimOfOneHour());
    for (const c of claims) expect((await approveClaim(c, key)).status).toBe(202);
    const [secondHeader, adminHeader] = [await t.as(SECOND), await t.as(ADMIN)]; // signed in before the race starts
    const raced = claims.slice(0, 12);
    const second = (c: string) => t.http.post(`/api/claims/${c}/approve`).set(secondHeader).send({});
    // The revocation sets off after the second approvals, while they are under way.
    const seconds = await Promise.all([...raced.map(second), revoke(key.id, adminHeader)]);
    expect(seconds.pop()!.status).toBe(204);
    let withdrawn = 0;
    for (const [i, c] of raced.entries()) {
      const r = seconds[i];
      const back = await entries('claim', c, 'claim.first_approval_withdrawn');
      if (r.status === 200) {
        // came before the revocation, which found it approved and withdrew nothing
        expect([c, r.body.status, back]).toEqual([c, 'approved', []]);
      } else {
        // came after it: the key's first approval was gone, so this one is a first approval again, and no money moved
        expect([c, r.status, r.body.status, back.length]).toEqual([c, 202, 'awaiting_second_approval', 1]);
        expect(await actions('claim', c)).not.toContain('claim.approved');
        withdrawn++;
      }
    }
    // The two not raced were waiting when the key was revoked: a second approval is a first one again.
    for (const c of claims.slice(12)) expect(await approveClaim(c, SECOND).then((r) => [c, r.status])).toEqual([c, 202]);
    expect(await entries('api_key', key.id, 'api_key.revoked')).toEqual([
      expect.objectContaining({ firstApprovalsWithdrawn: withdrawn + 2 }),
    ]);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('an API key’s first approval is its maker’s, and goes with the maker’s sign-in reset (the platform resets the admin)', async () => {
    const key = (
      await t.http
        .post('/api/api-keys')
        .set(await t.as(ADMIN))
        .send({ name: '芜湖审核系统' })
        .expect(201)
    ).body.key as string;
    const c = await claimOfOneHour();
    expect((await approveClaim(c, { token: key })).status).toBe(202);
    await t.http
      .post(`/api/users/${(await t.http.get('/api/auth/me').set(await t.as(ADMIN))).body.user.id}/reset-sign-in`)
      .set(await t.as('platform'))
      .expect(200);
    const again = await approveClaim(c, SECOND);
    expect([again.status, again.body.status]).toEqual([202, 'awaiting_second_approval']);
  });
});
