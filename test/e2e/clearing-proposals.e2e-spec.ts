import { FirstAdmins } from '../../src/auth/first-admins';
import { ClearingRunRepository } from '../../src/clearing/clearing-run.repository';
import { ClearingRunsService } from '../../src/clearing/clearing-runs.service';
import { clock, DAY_MS } from '../../src/common/clock';
import { bureauFor, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { describeOnServer } from '../support/races';
import { auth, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SHANGHAI = '310000';
const PASSWORD = 'Checker-Own-Pass-2026!';

/**
 * The checker's side of two-person recording (CLEARING_TWO_PERSON=true): reading the proposals that wait, one with its
 * figures, and a checker who stops acting while confirming confirms nothing.
 */
describe('clearing run proposals as the checker reads and confirms them', () => {
  let t: TestApp;
  let maker: string;

  beforeAll(async () => {
    t = await TestApp.start({ CLEARING_TWO_PERSON: 'true' });
    await openRegion(t, HEFEI);
    await openRegion(t, SHANGHAI);
    maker = await t.token('platform');
  });
  afterAll(() => t.close());

  let secondAdmin: string | undefined;
  /**
   * Another platform person: made by the platform's admin (`platform`) and activated by a second one (the first admins
   * are two at most, so the checkers, several and some disabled, are made as staff are).
   */
  async function platformPerson(username: string): Promise<{ id: string; token: string }> {
    if (!secondAdmin) {
      const first = await t.get(FirstAdmins).make('proposal-admin-2', 'platform');
      await t.http
        .post('/api/auth/setup')
        .send({ username: 'proposal-admin-2', setupCode: first.setupCode, newPassword: PASSWORD })
        .expect(204);
      secondAdmin = (await t.login('proposal-admin-2', PASSWORD)).accessToken;
    }
    const id = (await t.http.post('/api/users').set(auth(maker)).send({ username, password: PASSWORD }).expect(201)).body.id as string;
    const { setupCode } = (await t.http.post(`/api/users/${id}/activate`).set(auth(secondAdmin)).send({}).expect(200)).body;
    await t.http.post('/api/auth/setup').send({ username, setupCode, newPassword: PASSWORD }).expect(204);
    return { id, token: (await t.login(username, PASSWORD)).accessToken };
  }

  /** An Anhui voucher pays half of `unitPriceFen` to a Shanghai lab; the Anhui bureau settles and pays it. */
  async function paidUse(unitPriceFen: number) {
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115');
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '场发射扫描电镜机时', unitPriceFen, hours: 1 });
    const bureau = await t.token(bureauFor(HEFEI));
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    const batch = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: HEFEI }).expect(201);
    await paySettlement(t, HEFEI, batch.body.id);
  }

  const today = () => clock.today();
  const propose = (token = maker) => t.http.post('/api/clearing-runs').set(auth(token)).send({ from: today(), to: today(), catchUp: true });
  const confirm = (id: string, token: string) => t.http.post(`/api/clearing-runs/${id}/confirm`).set(auth(token)).send({});
  const discard = (id: string, token: string) => t.http.post(`/api/clearing-runs/${id}/void`).set(auth(token)).send({ reason: '期间填错' });
  const proposals = (query: string, token = maker) => t.http.get(`/api/clearing-runs/proposals?${query}`).set(auth(token));
  const proposal = (id: string, token = maker) => t.http.get(`/api/clearing-runs/proposals/${id}`).set(auth(token));
  const runCount = async () => (await t.http.get('/api/clearing-runs').set(auth(maker)).expect(200)).body.total as number;

  it('lists the proposals waiting, paged, and reads one with its figures until its lines change; others may not', async () => {
    const waitingBefore = (await proposals('status=proposed').expect(200)).body.total as number;
    await paidUse(80_000); // 40,000 fen from Anhui to Shanghai
    const proposed = (await propose().expect(202)).body;

    const waiting = (await proposals('status=proposed&limit=1&offset=0').expect(200)).body;
    expect(waiting.total).toBe(waitingBefore + 1);
    const { gross: _g, net: _n, transfers: _t, ...stored } = proposed;
    expect(waiting.items).toEqual([stored]); // newest first, without flows
    expect((await proposals('status=proposed&limit=1&offset=1').expect(200)).body.items).toHaveLength(waiting.total > 1 ? 1 : 0);

    // The checker reads what they would sign: the figures, lines, transfers, proposer and when, as POST answered them.
    const read = (await proposal(proposed.id).expect(200)).body;
    expect(read).toEqual({ ...proposed, stale: false });
    expect(read.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 40_000 }]);

    // A payment since makes it stale: the flows it showed are no longer the lines a confirmation would take in.
    await paidUse(20_000);
    expect((await proposal(proposed.id).expect(200)).body).toEqual({ ...stored, stale: true });

    // Discarded, it leaves the waiting list and reads as decided.
    await discard(proposed.id, maker).expect(200);
    expect((await proposals('status=proposed').expect(200)).body.total).toBe(waitingBefore);
    const all = (await proposals('status=discarded').expect(200)).body;
    expect(all.items.map((p: { id: string }) => p.id)).toContain(proposed.id);
    expect((await proposal(proposed.id).expect(200)).body).toEqual(
      expect.objectContaining({ id: proposed.id, status: 'discarded', discardReason: '期间填错', decidedBy: proposed.proposedBy }),
    );
    expect((await proposal(proposed.id).expect(200)).body.stale).toBeUndefined();

    // Bad input names the field, in the caller's language; an unknown id is 404.
    const bad = await proposals('status=waiting').set('Accept-Language', 'en').expect(400);
    expect(bad.body.message).toContain('status');
    expect((await proposals('limit=0').expect(400)).body.message).toContain('limit');
    const unknown = await proposal('00000000-0000-4000-8000-000000000000').set('Accept-Language', 'zh-CN').expect(404);
    expect(unknown.body.message).toContain('清算单提案');

    // Bureaus (of the province or not), enterprises and the anonymous read none.
    for (const who of ['bureau-ah', bureauFor(HEFEI)]) {
      const token = await t.token(who);
      await proposals('status=proposed', token).expect(403);
      await proposal(proposed.id, token).expect(403);
    }
    const enterprise = await t.registerEnterprise('340104');
    await proposals('', enterprise.token).expect(403);
    await proposal(proposed.id, enterprise.token).expect(403);
    await t.http.get('/api/clearing-runs/proposals').expect(401);
    await t.http.get(`/api/clearing-runs/proposals/${proposed.id}`).expect(401);
  });

  it('a checker disabled while their confirmation runs confirms nothing (401); the proposal still waits', async () => {
    const checker = await platformPerson('proposal-checker-disabled');
    await paidUse(10_000);
    const proposed = (await propose().expect(202)).body;
    const runs = t.get(ClearingRunsService);
    const confirmNow = runs.confirm.bind(runs);
    // Disabled after the guard let the request in, before its unit of work.
    const spy = jest.spyOn(runs, 'confirm').mockImplementationOnce(async (actor, id) => {
      await t.http.post(`/api/users/${checker.id}/disable`).set(auth(maker)).expect(200);
      return confirmNow(actor, id);
    });
    const runsBefore = await runCount();
    try {
      expect((await confirm(proposed.id, checker.token).expect(401)).body.code).toBe('UNAUTHENTICATED');
    } finally {
      spy.mockRestore();
    }
    expect(await runCount()).toBe(runsBefore);
    expect((await proposal(proposed.id).expect(200)).body).toEqual(expect.objectContaining({ status: 'proposed', stale: false }));
    await discard(proposed.id, maker).expect(200);
  });

  it('a proposal older than CLEARING_PROPOSAL_MAX_DAYS (7) is refused at confirmation, naming its age; it can still be discarded', async () => {
    const checker = await platformPerson('proposal-checker-late');
    await paidUse(6_000);
    const proposed = (await propose().expect(202)).body;
    const runsBefore = await runCount();
    clock.travel(8 * DAY_MS + 60_000);
    try {
      const late = await confirm(proposed.id, checker.token).set('Accept-Language', 'en').expect(409);
      expect(late.body.code).toBe('INVALID_STATE');
      expect(late.body.message).toContain('was proposed 8 days ago');
      expect(late.body.message).toContain('older than 7 days');
      const zh = await confirm(proposed.id, checker.token).set('Accept-Language', 'zh-CN').expect(409);
      expect(zh.body.message).toContain('已提出 8 天');
      expect(await runCount()).toBe(runsBefore);
      await discard(proposed.id, checker.token).expect(200);
    } finally {
      clock.travel(-(8 * DAY_MS + 60_000));
    }
    // Seven days old, it is still confirmed.
    await paidUse(4_000);
    const recent = (await propose().expect(202)).body;
    clock.travel(7 * DAY_MS);
    try {
      await confirm(recent.id, checker.token).expect(201);
    } finally {
      clock.travel(-7 * DAY_MS);
    }
  });

  it('the proposer is told in the app when another person confirms or discards the proposal, not when they withdraw it', async () => {
    const checker = await platformPerson('proposal-checker-notice');
    type Notice = { kind: string; title: string; body: string; entityId: string };
    const notices = async () =>
      ((await t.http.get('/api/notifications?limit=500').set(auth(maker)).expect(200)).body.items as Notice[]).filter(
        (n) => n.kind === 'clearing_proposal_decided',
      );
    const before = new Set((await notices()).map((n) => n.entityId));

    await paidUse(14_000);
    const confirmed = (await propose().expect(202)).body;
    const run = (await confirm(confirmed.id, checker.token).expect(201)).body;
    const declined = (await propose().expect(202)).body; // nothing left to clear: an empty proposal, declined
    await discard(declined.id, checker.token).expect(200);
    const withdrawn = (await propose().expect(202)).body;
    await discard(withdrawn.id, maker).expect(200);

    const told = (await notices()).filter((n) => !before.has(n.entityId));
    expect(told.map((n) => n.entityId).sort()).toEqual([confirmed.id, declined.id].sort());
    const ok = told.find((n) => n.entityId === confirmed.id)!;
    expect(ok.title).toContain('清算单提案已确认');
    expect(ok.body).toContain(`由 proposal-checker-notice 确认，记为清算单 ${run.runNo}`);
    expect(ok.body).toContain('结算明细 1 笔');
    const no = told.find((n) => n.entityId === declined.id)!;
    expect(no.title).toContain('清算单提案已撤销');
    expect(no.body).toContain('撤销原因：期间填错。');
  });

  describeOnServer(
    'a checker disabled inside the confirmation',
    'the disabling runs while the unit holds the queue, which SQLite’s one writer would wait on',
    () => {
      it('disabled once the confirmation holds the queue: the disabling commits, the confirmation records nothing', async () => {
        const checker = await platformPerson('proposal-checker-queued');
        await paidUse(12_000);
        const proposed = (await propose().expect(202)).body;
        const repo = t.get(ClearingRunRepository);
        const queue = repo.queue.bind(repo);
        const spy = jest.spyOn(repo, 'queue').mockImplementationOnce(async () => {
          await queue();
          await t.http.post(`/api/users/${checker.id}/disable`).set(auth(maker)).expect(200);
        });
        const runsBefore = await runCount();
        try {
          await confirm(proposed.id, checker.token).expect(401);
        } finally {
          spy.mockRestore();
        }
        expect(await runCount()).toBe(runsBefore);
        expect((await proposal(proposed.id).expect(200)).body.status).toBe('proposed');
      });
    },
  );
});
