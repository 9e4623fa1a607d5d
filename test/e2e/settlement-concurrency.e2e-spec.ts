import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { describeRaces } from '../support/races';

const HEFEI = '340100';
const EVIDENCE = { contractNo: 'HT-C', invoiceNo: 'FP-C' };

interface Batch {
  id: string;
  totalFen: number;
  lines: { payeeId: string; amountFen: number; claimIds: string[] }[];
}

/** Racing requests on the real database: claim-once and settle-once must hold under concurrency. */
describeRaces('claims and settlement under concurrency', () => {
  let t: TestApp;
  let labs: (OrgSession & { facilityId: string })[];
  let enterprise: OrgSession & { voucherId: string };
  let bureau: Record<string, string>;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    labs = [];
    for (const [region, price] of [
      ['310000', 80_000],
      ['320500', 30_000],
      ['330100', 50_000],
      ['340100', 20_000],
    ] as const) {
      const lab = await t.registerProvider(region);
      const f = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '检测机时', category: 'testing', unit: 'hour', unitPriceFen: price })
        .expect(201);
      labs.push({ ...lab, facilityId: f.body.id });
    }
    const e = await t.registerEnterprise(HEFEI);
    enterprise = { ...e, voucherId: (await issueVoucher(t, e.token, 10_000_000)).id };
    bureau = { ah: await t.token('bureau-ah'), platform: await t.token('platform') };
  });
  afterAll(() => t.close());

  async function captured(lab: (typeof labs)[number], hours = 1): Promise<string> {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: enterprise.voucherId, facilityId: lab.facilityId, quantity: hours })
      .expect(201);
    await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(lab.token)).send({ actualQuantity: hours }).expect(200);
    return held.body.id;
  }
  const claim = (lab: OrgSession, redemptionIds: string[]) =>
    t.http.post('/api/claims').set(auth(lab.token)).send({ redemptionIds, evidence: EVIDENCE });
  const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();

  it('lets exactly one of eight simultaneous claims for a redemption through; the rest are 409 DUPLICATE', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await captured(labs[0]);
      const responses = await Promise.all(Array.from({ length: 8 }, () => claim(labs[0], [id])));
      expect(statuses(responses)).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(responses.filter((r) => r.status === 409).every((r) => r.body.code === 'DUPLICATE')).toBe(true);
      const winner = responses.find((r) => r.status === 201)!.body;
      const mine = await t.http.get('/api/claims?status=submitted&limit=500').set(auth(labs[0].token)).expect(200);
      expect(
        mine.body.items.filter((c: { redemptionIds: string[] }) => c.redemptionIds.includes(id)).map((c: { id: string }) => c.id),
      ).toEqual([winner.id]);
    }
  });

  it('lets one of three pairwise-overlapping claims through and leaves no redemption half-claimed', async () => {
    const [a, b, c] = [await captured(labs[1]), await captured(labs[1]), await captured(labs[1])];
    const responses = await Promise.all([claim(labs[1], [a, b]), claim(labs[1], [b, c]), claim(labs[1], [c, a])]);
    expect(statuses(responses)).toEqual([201, 409, 409]);
    const winner = responses.find((r) => r.status === 201)!.body as { redemptionIds: string[] };
    const loser = [a, b, c].find((id) => !winner.redemptionIds.includes(id))!;
    // The redemption only the losers asked for was not kept by their rolled-back claims.
    await claim(labs[1], [loser]).expect(201);
  });

  it('decides a claim once when the bureau clicks approve and reject at the same time', async () => {
    const submitted = (await claim(labs[2], [await captured(labs[2], 2)]).expect(201)).body;
    const responses = await Promise.all([
      ...Array.from({ length: 3 }, () => t.http.post(`/api/claims/${submitted.id}/approve`).set(auth(bureau.ah)).send({})),
      ...Array.from({ length: 3 }, () => t.http.post(`/api/claims/${submitted.id}/reject`).set(auth(bureau.ah)).send({ reason: '重复' })),
    ]);
    expect(statuses(responses)).toEqual([200, 409, 409, 409, 409, 409]);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('never puts a claim in two batches when runs race each other and new approvals', async () => {
    // 24 approved claims across four payees, and 8 submitted ones approved while the runs race.
    // The claim approved by the previous test is unsettled too.
    const approved: { id: string; approvedFen: number }[] = (
      await t.http.get('/api/claims?status=approved').set(auth(bureau.platform)).expect(200)
    ).body.items;
    const submitted: string[] = [];
    await Promise.all(
      labs.map(async (lab, i) => {
        for (let n = 0; n < 8; n++) {
          const c = (await claim(lab, [await captured(lab, 1 + ((n + i) % 3))]).expect(201)).body;
          if (n < 6) approved.push((await t.http.post(`/api/claims/${c.id}/approve`).set(auth(bureau.ah)).send({}).expect(200)).body);
          else submitted.push(c.id);
        }
      }),
    );
    const settle = () => t.http.post('/api/settlements').set(auth(bureau.ah)).send({ regionCode: HEFEI });
    const raced = await Promise.all([
      ...Array.from({ length: 6 }, settle),
      ...submitted.map(async (id) => {
        const res = await t.http.post(`/api/claims/${id}/approve`).set(auth(bureau.ah)).send({}).expect(200);
        approved.push(res.body);
        return res;
      }),
    ]);
    const runs = raced.slice(0, 6);
    expect(runs.every((r) => r.status === 201 || (r.status === 409 && r.body.code === 'INVALID_STATE'))).toBe(true);
    const last = await settle();
    expect([201, 409]).toContain(last.status);
    const batches = [...runs, last].filter((r) => r.status === 201).map((r) => r.body as Batch);
    expect(batches.length).toBeGreaterThan(0);

    const settledIds = batches.flatMap((b) => b.lines.flatMap((l) => l.claimIds));
    expect(new Set(settledIds).size).toBe(settledIds.length);
    expect([...settledIds].sort()).toEqual(approved.map((c) => c.id).sort());
    const approvedFen = new Map(approved.map((c) => [c.id, c.approvedFen]));
    for (const b of batches) {
      expect(b.totalFen).toBe(b.lines.reduce((s, l) => s + l.amountFen, 0));
      for (const l of b.lines) expect(l.amountFen).toBe(l.claimIds.reduce((s, id) => s + approvedFen.get(id)!, 0));
      expect(new Set(b.lines.map((l) => l.payeeId)).size).toBe(b.lines.length);
    }
    expect(batches.reduce((s, b) => s + b.totalFen, 0)).toBe(approved.reduce((s, c) => s + c.approvedFen, 0));
    const claims = (await t.http.get('/api/claims?status=approved&limit=500').set(auth(bureau.platform)).expect(200)).body.items as {
      id: string;
      settlementId: string;
    }[];
    const batchOf = new Map(batches.flatMap((b) => b.lines.flatMap((l) => l.claimIds.map((id) => [id, b.id] as const))));
    expect(claims.every((c) => c.settlementId === batchOf.get(c.id))).toBe(true);

    // Paying a batch five times at once pays it once.
    const paid = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.http
          .post(`/api/settlements/${batches[0].id}/pay`)
          .set(auth(bureau.ah))
          .send({ paymentRef: `GK-${i}` }),
      ),
    );
    expect(statuses(paid)).toEqual([200, 409, 409, 409, 409]);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });
});
