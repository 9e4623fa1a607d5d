import { FirstAdmins } from '../../src/auth/first-admins';
import { clock } from '../../src/common/clock';
import { bureauFor, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, DEMO_PASSWORD, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SHANGHAI = '310000';
const CHECKER_PASSWORD = 'Checker-Own-Pass-2026!';

/**
 * Two-person recording of clearing runs (双人复核, CLEARING_TWO_PERSON=true): one platform person proposes a run, another
 * confirms it into the run POST records in one step with the setting off; the proposer, or a key of theirs, cannot.
 */
describe('clearing runs recorded by two people', () => {
  let t: TestApp;
  let maker: string;
  let checker: string;

  beforeAll(async () => {
    t = await TestApp.start({ CLEARING_TWO_PERSON: 'true' });
    await openRegion(t, HEFEI);
    await openRegion(t, SHANGHAI);
    maker = await t.token('platform');
    checker = await platformPerson('clearing-checker');
  });
  afterAll(() => t.close());

  async function platformPerson(username: string): Promise<string> {
    const made = await t.get(FirstAdmins).make(username, 'platform');
    const newPassword = CHECKER_PASSWORD;
    await t.http.post('/api/auth/setup').send({ username, setupCode: made.setupCode, newPassword }).expect(204);
    return (await t.login(username, newPassword)).accessToken;
  }

  /** An operator's restart with the setting on or off; the sessions are signed in again. */
  async function restart(twoPerson: 'true' | 'false') {
    await t.restart({ CLEARING_TWO_PERSON: twoPerson });
    maker = (await t.login('platform', DEMO_PASSWORD)).accessToken;
    checker = (await t.login('clearing-checker', CHECKER_PASSWORD)).accessToken;
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
  const discard = (id: string, token: string, reason = '期间填错') =>
    t.http.post(`/api/clearing-runs/${id}/void`).set(auth(token)).send({ reason });
  const runCount = async () => (await t.http.get('/api/clearing-runs').set(auth(maker)).expect(200)).body.total as number;
  const actions = async (id: string) =>
    (await t.http.get(`/api/audit?entityType=clearing_run&entityId=${id}`).set(auth(maker)).expect(200)).body.items
      .map((e: { action: string }) => e.action)
      .sort();

  it('a proposal records nothing; the proposer and their API key cannot confirm it; another platform person records it as one step would', async () => {
    await paidUse(80_000); // 40,000 fen from Anhui to Shanghai
    const runsBefore = await runCount();
    const proposed = await propose().expect(202);
    expect(proposed.body).toEqual({
      id: expect.any(String),
      status: 'proposed',
      from: today(),
      to: today(),
      catchUp: true,
      grossTotalFen: 40_000,
      transferTotalFen: 40_000,
      lineCount: 1,
      proposedBy: expect.any(String),
      proposedAt: expect.any(String),
      gross: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 40_000 }],
      net: [
        { provinceCode: '310000', netFen: 40_000 },
        { provinceCode: '340000', netFen: -40_000 },
      ],
      transfers: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 40_000 }],
    });
    const id = proposed.body.id as string;
    // No run, no number, no line taken in: the preview still sees the line.
    expect(await runCount()).toBe(runsBefore);
    await t.http.get(`/api/clearing-runs/${id}`).set(auth(maker)).expect(404);
    const preview = await t.http.get(`/api/clearing-runs/preview?from=${today()}&to=${today()}&catchUp=true`).set(auth(maker)).expect(200);
    expect(preview.body.lineCount).toBe(1);

    // The proposer cannot confirm, in the caller's language, nor through an API key of theirs; a bureau not at all.
    const own = await confirm(id, maker).set('Accept-Language', 'zh-CN').expect(403);
    expect(own.body.code).toBe('DUAL_CONTROL_REQUIRED');
    expect(own.body.message).toContain('双人复核');
    expect((await confirm(id, maker).set('Accept-Language', 'en').expect(403)).body.message).toContain('another platform user must');
    const key = (await t.http.post('/api/api-keys').set(auth(maker)).send({ name: '清算对账机' }).expect(201)).body.key as string;
    expect((await confirm(id, key).expect(403)).body.code).toBe('DUAL_CONTROL_REQUIRED');
    await confirm(id, await t.token('bureau-ah')).expect(403);

    const run = await confirm(id, checker).expect(201);
    expect(run.body).toEqual({
      id,
      runNo: expect.stringMatching(/^QS-\d{4}-\d{4}$/),
      from: today(),
      to: today(),
      gross: proposed.body.gross,
      net: proposed.body.net,
      transfers: proposed.body.transfers,
      grossTotalFen: 40_000,
      transferTotalFen: 40_000,
      csvSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdBy: proposed.body.proposedBy,
      createdAt: expect.any(String),
    });
    expect((await t.http.get(`/api/clearing-runs/${id}`).set(auth(maker)).expect(200)).body).toEqual(run.body);
    expect(await runCount()).toBe(runsBefore + 1);
    const lines = await t.http.get(`/api/clearing-runs/${id}/lines.csv`).set(auth(maker)).expect(200);
    expect(lines.text.trim().split('\r\n')).toHaveLength(2);

    // Confirmed once: again, or discarded, is 409 naming the run; the proposer still cannot void the run they made.
    const again = await confirm(id, checker).expect(409);
    expect(again.body.message).toContain(run.body.runNo);
    await discard(id, maker).expect(403);
    expect(await actions(id)).toEqual(['clearing_run.confirmed', 'clearing_run.proposed', 'clearing_run.recorded']);
  });

  it('a proposal whose lines changed before confirmation is refused (409) and records nothing; void discards it', async () => {
    await paidUse(10_000);
    const proposed = (await propose().expect(202)).body;
    await paidUse(20_000); // paid after the proposal: the run would take in a line nobody reviewed
    const runsBefore = await runCount();
    const stale = await confirm(proposed.id, checker).expect(409);
    expect(stale.body.code).toBe('INVALID_STATE');
    expect(stale.body.message).toContain('stale');
    expect(stale.body.message).toContain('1 lines, 5000 fen gross; now 2 lines, 15000 fen');
    expect((await confirm(proposed.id, checker).set('Accept-Language', 'zh-CN').expect(409)).body.message).toContain('已过期');
    expect(await runCount()).toBe(runsBefore);

    // The proposer withdraws it; then it can be neither confirmed nor discarded again.
    const discarded = await discard(proposed.id, maker, '有新付款，重新提出').expect(200);
    expect(discarded.body).toEqual(
      expect.objectContaining({
        id: proposed.id,
        status: 'discarded',
        discardReason: '有新付款，重新提出',
        decidedBy: proposed.proposedBy,
      }),
    );
    expect((await confirm(proposed.id, checker).expect(409)).body.message).toContain('discarded');
    await discard(proposed.id, checker).expect(409);
    expect(await actions(proposed.id)).toEqual(['clearing_run.discarded', 'clearing_run.proposed']);

    // Proposed again, it takes both lines in.
    const fresh = (await propose().expect(202)).body;
    expect(fresh.lineCount).toBe(2);
    expect((await confirm(fresh.id, checker).expect(201)).body.grossTotalFen).toBe(15_000);
  });

  it('of two proposals of one period, the first confirmed records the run and the other is stale', async () => {
    await paidUse(6_000);
    const [a, b] = [(await propose().expect(202)).body, (await propose(checker).expect(202)).body];
    await confirm(b.id, maker).expect(201);
    const lost = await confirm(a.id, checker).expect(409);
    expect(lost.body.message).toContain('now 0 lines');
  });

  it('a run recorded in one step while a proposal of its period waits (the setting switched off) makes the proposal stale', async () => {
    await paidUse(8_000);
    const proposed = (await propose().expect(202)).body;
    await restart('false');
    const direct = await propose().expect(201);
    expect(direct.body.grossTotalFen).toBe(4_000);
    // Confirming still works with the setting off, and refuses: the lines went into the run recorded at once.
    expect((await confirm(proposed.id, checker).expect(409)).body.message).toContain('now 0 lines');
    await restart('true');
  });

  it('the feed tells of a proposal confirmed or discarded without naming the person who proposed it (the audit log does)', async () => {
    await paidUse(10_000);
    const withdrawn = (await propose().expect(202)).body;
    await discard(withdrawn.id, maker).expect(200);
    const confirmed = (await propose().expect(202)).body; // takes the line in: the next tests start with none left
    await confirm(confirmed.id, checker).expect(201);
    const proposer = confirmed.proposedBy as string;
    const events: { type: string; data: Record<string, unknown> }[] = [];
    for (let after = ''; ;) {
      const page = (await t.http.get('/api/events').query({ limit: 500, after }).set(auth(maker)).expect(200)).body;
      events.push(...page.items);
      if (page.items.length < 500) break;
      after = page.nextCursor;
    }
    const ours = events.filter((e) => [confirmed.id, withdrawn.id].includes(e.data.clearingRunId as string));
    expect(ours.map((e) => e.type).sort()).toEqual(
      expect.arrayContaining(['clearing_run.confirmed', 'clearing_run.discarded', 'clearing_run.proposed', 'clearing_run.proposed']),
    );
    for (const e of ours)
      expect({ type: e.type, data: e.data }).toEqual({
        type: e.type,
        data: expect.not.objectContaining({ proposedBy: expect.anything() }),
      });
    expect(JSON.stringify(ours)).not.toContain(proposer);
    // the audit log keeps who proposed it
    const audit = await t.http.get(`/api/audit?entityType=clearing_run&entityId=${withdrawn.id}`).set(auth(maker)).expect(200);
    expect(JSON.stringify(audit.body.items)).toContain(proposer);
  });

  it('a proposal of an unknown id is 404; other roles are 403', async () => {
    await confirm('00000000-0000-4000-8000-000000000000', checker).expect(404);
    await propose(await t.token('bureau-ah')).expect(403);
  });

  describeRaces('confirmations at once', () => {
    it('of many confirmations of one proposal at once, one records the run; the others are 409 and no line is taken twice', async () => {
      await paidUse(4_000);
      const proposed = (await propose().expect(202)).body;
      const runsBefore = await runCount();
      const answers = await Promise.all(Array.from({ length: 12 }, () => confirm(proposed.id, checker)));
      expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(11).fill(409)]);
      const runNo = answers.find((a) => a.status === 201)!.body.runNo as string;
      // The losers are told it was confirmed, naming the run: not a clash of keys.
      for (const a of answers.filter((x) => x.status === 409)) expect(a.body.message).toContain(`confirmed already (run ${runNo})`);
      expect(await runCount()).toBe(runsBefore + 1);
      const lines = await t.http.get(`/api/clearing-runs/${proposed.id}/lines.csv`).set(auth(maker)).expect(200);
      expect(lines.text.trim().split('\r\n')).toHaveLength(2);
      await t.ledgerCheck();
    });

    it('of confirmations and the proposer’s discards of one proposal at once, exactly one wins, and the proposal ends as the winner left it', async () => {
      await paidUse(2_000);
      const proposed = (await propose().expect(202)).body;
      const runsBefore = await runCount();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? confirm(proposed.id, checker) : discard(proposed.id, maker))),
      );
      const won = answers.filter((a) => a.status < 300);
      expect(won).toHaveLength(1);
      // The losers are refused: 409 (confirmed or discarded already), or 403 for the proposer voiding the run once it is one.
      expect(answers.filter((a) => a.status === 409 || a.status === 403)).toHaveLength(11);
      const confirmed = won[0].status === 201;
      expect(await runCount()).toBe(runsBefore + (confirmed ? 1 : 0));
      expect(await actions(proposed.id)).toEqual(
        confirmed
          ? ['clearing_run.confirmed', 'clearing_run.proposed', 'clearing_run.recorded']
          : ['clearing_run.discarded', 'clearing_run.proposed'],
      );
    });
  });
});
