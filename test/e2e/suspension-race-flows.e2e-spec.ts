import { AuditSealer } from '../../src/audit/audit-sealer';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, plainHourlyFacility } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, creditCodeIn, isMaria, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
const PUDONG = '310115';
/** Requests racing each act: fewer than suspension-race's, the setup of a claim or a capture is three requests each. */
const RACERS = 12;
/** Acts of each kind. */
const ROUNDS = 3;
/** Requests answered before the act goes out in a round (1, 2, 3): the rest are in flight around it. */
const fireAfter = (round: number) => 1 + round;
/** A claim's window (from its read of the sanction list to its insert, which waits for the claimant's row) is narrow: more of them. */
const CLAIMS_SUBMITTED = 16;
const RACE_TIMEOUT_MS = 120_000;
/** Auto-approved at once (autoApproveMaxFen 10,000,000 in the fixtures' policy). */
const SMALL_FEN = 100_000;
/** Above autoApproveMaxFen, below maxVoucherFen: waits for a bureau's review. */
const REVIEWED_FEN = 12_000_000;

type Answer = { status: number; body: Record<string, unknown> & { code?: string } };

/**
 * The flows beside holds and bookings that read a party and the sanction list and then commit on what they read: an
 * application (approved at once, or by a bureau), a claim's submission and approval, a capture. Each, in flight while a
 * bureau suspends the lab or records a sanction binding a party, must not commit after that act (the same proof as
 * suspension-race.e2e-spec.ts: commit order read from the audit chain). SQLite runs one unit at a time: skipped there.
 */
describeRaces('applications, claims and captures racing a suspension or a sanction (MariaDB)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI, { budgetFen: 10_000_000_000 });
  });
  afterAll(() => t.close());

  /** How many of the `action` entries on `entityIds` or by `organizationIds` the chain has after the act's entry. */
  const lateIn = async (act: { action: string; entityId: string }, action: string, ids: string[]) => {
    await t.get(AuditSealer).sealAll();
    const [actRow] = await t.dataSource.query('SELECT seq FROM audit_entry WHERE action = ? AND entity_id = ?', [act.action, act.entityId]);
    const marks = ids.map(() => '?').join(', ');
    const rows: { seq: number | string }[] = await t.dataSource.query(
      `SELECT seq FROM audit_entry WHERE action = ? AND (entity_id IN (${marks}) OR organization_id IN (${marks}))`,
      [action, ...ids, ...ids],
    );
    return { committed: rows.length, late: rows.filter((r) => Number(r.seq) > Number(actRow.seq)).length };
  };

  /**
   * Sends the requests and, once fireAfter(round) of them were answered, the act. `withAct`: only the first half goes out
   * at once, the second half with the act (just before it), for a unit whose window is its wait for the budget row (an
   * application's): there the first half is answered before the act goes out. The answers, the act's, the retries.
   */
  const race = async (round: number, requests: (() => PromiseLike<Answer>)[], act: () => PromiseLike<Answer>, withAct = false) => {
    const uow = t.get(UnitOfWork);
    const before = uow.stats;
    let answered = 0;
    let fire!: () => void;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const half = withAct ? Math.ceil(requests.length / 2) : requests.length;
    const first = requests.slice(0, half).map(async (request) => {
      const res = await request();
      if (++answered === fireAfter(round)) fire();
      return res;
    });
    await fired;
    const second = requests.slice(half).map((request) => request());
    const actAnswer = await act();
    const all = await Promise.all([...first, ...second]);
    expect(actAnswer.status).toBeLessThan(300);
    expect(all.filter((r) => r.status >= 500).map((r) => [r.status, r.body])).toEqual([]);
    return { answers: all, actAnswer, retries: uow.stats.retries - before.retries };
  };

  const report = (what: string, committed: number, of: number, late: number, retries: number) =>
    console.info(
      `${what} on ${isMaria() ? 'MariaDB' : 'SQLite'}: ${committed} of ${of} committed, ${late} of them after the act; ${retries} retries`,
    );

  const sanction = (bureau: { Authorization: string }, creditCode: string) => () =>
    t.http.post('/api/sanctions').set(bureau).send({ creditCode, reason: '虚构研发活动套取补贴' });
  const suspend = (bureau: { Authorization: string }, lab: OrgSession) => async () => {
    const res = await t.http.post(`/api/providers/${lab.organizationId}/suspend`).set(bureau).send({ reason: '检测资质被撤销' });
    return { status: res.status, body: { ...res.body, id: lab.organizationId } };
  };

  /** Enterprises of one controller (bound by a sanction against it), each sending two of the racing requests. */
  const group = async (controllerCreditCode: string) => {
    const list: OrgSession[] = [];
    for (let i = 0; i < RACERS / 2; i++) list.push(await t.registerEnterprise(HEFEI, { controllerCreditCode }));
    return list;
  };

  it(
    'applications approved at once: none commits approved after a sanction against the enterprises’ controller',
    async () => {
      const bureau = await t.as('bureau-ah');
      let late = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const controller = creditCodeIn('340000');
        const list = await group(controller);
        const apply = (e: OrgSession) => () =>
          t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: SMALL_FEN, purpose: '检测费' });
        const { answers, actAnswer, retries } = await race(round, [...list, ...list].map(apply), sanction(bureau, controller), true);
        for (const r of answers) {
          expect(r.status).toBe(201);
          if (r.body.status !== 'approved') expect(r.body.reasonCode).toBe('SANCTIONED');
        }
        const chain = await lateIn(
          { action: 'sanction.recorded', entityId: actAnswer.body.id as string },
          'application.approved',
          list.map((e) => e.organizationId),
        );
        expect(chain.committed).toBe(answers.filter((r) => r.body.status === 'approved').length);
        report('applications', chain.committed, answers.length, chain.late, retries);
        late += chain.late;
      }
      expect(late).toBe(0);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    'a bureau’s approvals of applications: none issues a voucher after a sanction against the enterprises’ controller',
    async () => {
      const bureau = await t.as('bureau-ah');
      let late = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const controller = creditCodeIn('340000');
        const list = await group(controller);
        const pending: string[] = [];
        for (const e of [...list, ...list]) {
          const res = await t.http
            .post('/api/voucher-applications')
            .set(auth(e.token))
            .send({ amountFen: REVIEWED_FEN, purpose: '研发' })
            .expect(201);
          expect(res.body.status).toBe('pending_review');
          pending.push(res.body.id);
        }
        const approve = (id: string) => () => t.http.post(`/api/voucher-applications/${id}/approve`).set(bureau).send({});
        const { answers, actAnswer, retries } = await race(round, pending.map(approve), sanction(bureau, controller), true);
        for (const r of answers) if (r.status !== 200 && r.status !== 201) expect([r.status, r.body.code]).toEqual([422, 'SANCTIONED']);
        const chain = await lateIn({ action: 'sanction.recorded', entityId: actAnswer.body.id as string }, 'application.approved', pending);
        report('application approvals', chain.committed, answers.length, chain.late, retries);
        late += chain.late;
      }
      expect(late).toBe(0);
    },
    RACE_TIMEOUT_MS,
  );

  /** A lab (of `controller` when given) with `racers` holds of one enterprise: their ids. */
  const usedAt = async (controller?: string, racers = RACERS) => {
    const lab = await t.registerProvider(PUDONG, controller ? { controllerCreditCode: controller } : {});
    const facilityId = await plainHourlyFacility(t, lab.token);
    const e = await t.registerEnterprise(HEFEI);
    const voucherId = (await issueVoucher(t, e.token, 2_000_000)).id;
    // Sent together: they queue on the voucher's row.
    const held = await Promise.all(
      Array.from({ length: racers }, async () =>
        String((await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId, quantity: 1 }).expect(201)).body.id),
      ),
    );
    return { lab, enterprise: e, held };
  };

  it(
    'claims submitted and claims approved: none commits after a sanction against the lab’s controller',
    async () => {
      const shBureau = await t.as('bureau-sh');
      const bureau = await t.as('bureau-ah');
      const late = { submitted: 0, approved: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const controller = creditCodeIn('310000');
        const { lab, enterprise, held } = await usedAt(controller, CLAIMS_SUBMITTED + RACERS);
        await Promise.all(held.map((id) => captureConfirmed(t, lab.token, enterprise.token, id, 1)));
        const submit = (id: string) => () =>
          t.http
            .post('/api/claims')
            .set(auth(lab.token))
            .send({ redemptionIds: [id], evidence: freshEvidence() });
        // RACERS of them claimed before the race, for the bureau to approve in it.
        const claims = await Promise.all(held.slice(CLAIMS_SUBMITTED).map(async (id) => String((await submit(id)().expect(201)).body.id)));
        const approve = (id: string) => () => t.http.post(`/api/claims/${id}/approve`).set(bureau).send({});
        const { answers, actAnswer, retries } = await race(
          round,
          [...held.slice(0, CLAIMS_SUBMITTED).map(submit), ...claims.map(approve)],
          sanction(shBureau, controller),
        );
        for (const r of answers) if (r.status >= 300) expect([r.status, r.body.code]).toEqual([422, 'SANCTIONED']);
        const act = { action: 'sanction.recorded', entityId: actAnswer.body.id as string };
        // The lab's submissions: those of the race, and the RACERS claimed before it (none of them late).
        const all = await lateIn(act, 'claim.submitted', [lab.organizationId]);
        const submitted = { committed: all.committed - claims.length, late: all.late };
        const approved = await lateIn(act, 'claim.approved', claims);
        expect(submitted.committed + approved.committed).toBe(answers.filter((r) => r.status < 300).length);
        report('claims submitted', submitted.committed, CLAIMS_SUBMITTED, submitted.late, retries);
        report('claims approved', approved.committed, RACERS, approved.late, retries);
        late.submitted += submitted.late;
        late.approved += approved.late;
      }
      expect(late).toEqual({ submitted: 0, approved: 0 });
    },
    RACE_TIMEOUT_MS,
  );

  it(
    'captures: none commits after its lab’s suspension',
    async () => {
      const shBureau = await t.as('bureau-sh');
      let late = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const { lab, held } = await usedAt();
        const capture = (id: string) => () =>
          t.http.post(`/api/redemptions/${id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 });
        const { answers, actAnswer, retries } = await race(round, held.map(capture), suspend(shBureau, lab));
        for (const r of answers) if (r.status !== 200) expect([r.status, r.body.code]).toEqual([422, 'PROVIDER_NOT_ACTIVE']);
        const chain = await lateIn({ action: 'provider.suspended', entityId: actAnswer.body.id as string }, 'redemption.captured', held);
        expect(chain.committed).toBe(answers.filter((r) => r.status === 200).length);
        report('captures', chain.committed, answers.length, chain.late, retries);
        late += chain.late;
      }
      expect(late).toBe(0);
    },
    RACE_TIMEOUT_MS,
  );
});
