import { captureConfirmed, freshEvidence, issueVoucher, openRegion, policyBody, secondReviewerFor } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { describeRaces } from '../support/races';

const HEFEI = '340100';
const WUHU = '340200';

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
    bureau = { ah: await t.token('bureau-ah'), ah2: await t.token(secondReviewerFor(HEFEI)), platform: await t.token('platform') };
  });
  afterAll(() => t.close());

  /** A hold of `hours` at the lab. */
  const hold = (lab: (typeof labs)[number], hours: number, who = enterprise) =>
    t.http
      .post('/api/redemptions')
      .set(auth(who.token))
      .send({ voucherId: who.voucherId, facilityId: lab.facilityId, quantity: hours })
      .expect(201);
  /** A redemption of `hours` at the lab, captured and its usage confirmed: ready to be claimed. */
  async function captured(lab: (typeof labs)[number], hours = 1, who = enterprise): Promise<string> {
    const held = await hold(lab, hours, who);
    await captureConfirmed(t, lab.token, who.token, held.body.id, hours);
    return held.body.id;
  }
  const claim = (lab: OrgSession, redemptionIds: string[], evidence: { contractNo: string; invoiceNo: string } = freshEvidence()) =>
    t.http.post('/api/claims').set(auth(lab.token)).send({ redemptionIds, evidence });
  const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();

  it('lets exactly one of eight simultaneous claims for a redemption through; the rest are 409 DUPLICATE', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await captured(labs[0]);
      const evidence = freshEvidence(); // one clerk pressing submit eight times: the same invoice each time
      const responses = await Promise.all(Array.from({ length: 8 }, () => claim(labs[0], [id], evidence)));
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

  it('lets one of eight claims on one invoice through, each on its own redemption; the rest are 422 DUPLICATE_INVOICE', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => captured(labs[3])));
    const evidence = freshEvidence();
    const responses = await Promise.all(ids.map((id) => claim(labs[3], [id], evidence)));
    expect(statuses(responses)).toEqual([201, 422, 422, 422, 422, 422, 422, 422]);
    expect(responses.filter((r) => r.status === 422).every((r) => r.body.code === 'DUPLICATE_INVOICE')).toBe(true);
    const winner = responses.find((r) => r.status === 201)!.body as { id: string; redemptionIds: string[] };
    // The losers' redemptions were not kept by their refused claims: each can be claimed on its own invoice.
    for (const id of ids.filter((r) => !winner.redemptionIds.includes(r))) await claim(labs[3], [id]).expect(201);
    const onInvoice = (await t.http.get('/api/claims?limit=500').set(auth(labs[3].token)).expect(200)).body.items.filter(
      (c: { evidence: { invoiceNo: string } }) => c.evidence.invoiceNo === evidence.invoiceNo,
    );
    expect(onInvoice.map((c: { id: string }) => c.id)).toEqual([winner.id]);
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

  it('claims a disputed capture only once resolved, and then for the resolved subsidy, when claims race the resolution', async () => {
    for (let round = 0; round < 6; round++) {
      const held = await hold(labs[2], 3);
      const id = held.body.id as string;
      await t.http.post(`/api/redemptions/${id}/capture`).set(auth(labs[2].token)).send({ actualQuantity: 3 }).expect(200);
      await t.http.post(`/api/redemptions/${id}/dispute`).set(auth(enterprise.token)).send({ reason: '只用了 2 小时' }).expect(200);
      // The lab presses submit while the bureau lowers the capture to 2 of 3 hours; one invoice, as one clerk would.
      const evidence = freshEvidence();
      const [resolved, ...claims] = await Promise.all([
        t.http.post(`/api/redemptions/${id}/resolve`).set(auth(bureau.ah)).send({ actualQuantity: 2 }),
        ...Array.from({ length: 4 }, () => claim(labs[2], [id], evidence)),
      ]);
      expect(resolved.status).toBe(200);
      const refused = claims.filter((c) => c.status !== 201).map((c) => `${c.status} ${c.body.code}`);
      expect(refused.every((r) => ['422 USAGE_DISPUTED', '409 DUPLICATE'].includes(r))).toBe(true);
      const won = claims.filter((c) => c.status === 201);
      expect(won.length).toBeLessThanOrEqual(1);
      const standing = won[0] ?? (await claim(labs[2], [id], evidence).expect(201));
      expect(standing.body.claimedFen).toBe(resolved.body.capturedSubsidyFen);
      expect(resolved.body.capturedSubsidyFen).toBe((held.body.subsidyFen * 2) / 3);
    }
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

    // Paying a batch five times at once pays it once; its creator's own attempts among them are refused outright.
    const paid = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        t.http
          .post(`/api/settlements/${batches[0].id}/pay`)
          .set(auth(i < 5 ? bureau.ah2 : bureau.ah))
          .send({ paymentRef: `GK-${i}` }),
      ),
    );
    expect(statuses(paid)).toEqual([200, 403, 403, 409, 409, 409, 409]);
    expect(paid.filter((r) => r.status === 403).every((r) => r.body.code === 'DUAL_CONTROL_REQUIRED')).toBe(true);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  describe('maker-checker', () => {
    let wuhu: OrgSession & { voucherId: string };
    beforeAll(async () => {
      await openRegion(t, WUHU);
      const e = await t.registerEnterprise(WUHU);
      wuhu = { ...e, voucherId: (await issueVoucher(t, e.token, 5_000_000)).id };
      // Then two approvers from 100,000, on the voucher issued before too (nothing is approved at once from then on).
      await t.http
        .post('/api/policies')
        .set(auth(bureau.ah))
        .send(policyBody(WUHU, { dualControlFen: 100_000, autoApproveMaxFen: 0 }))
        .expect(201);
    });
    /** A claim of the Shanghai lab for `hours` TEM hours on the Wuhu voucher (40,000 each); Wuhu needs two approvers from 100,000. */
    const wuhuClaim = async (hours: number) => (await claim(labs[0], [await captured(labs[0], hours, wuhu)]).expect(201)).body;
    const approve = (id: string, token: string) => t.http.post(`/api/claims/${id}/approve`).set(auth(token)).send({});

    it('never lets one user’s double-click complete a claim that needs two: one 202, the rest 403', async () => {
      for (let round = 0; round < 4; round++) {
        const c = await wuhuClaim(3); // 120,000
        const responses = await Promise.all(Array.from({ length: 6 }, () => approve(c.id, bureau.ah)));
        expect(statuses(responses)).toEqual([202, 403, 403, 403, 403, 403]);
        expect(responses.filter((r) => r.status === 403).every((r) => r.body.code === 'DUAL_CONTROL_REQUIRED')).toBe(true);
        expect((await t.http.get(`/api/claims/${c.id}`).set(auth(bureau.ah)).expect(200)).body.status).toBe('awaiting_second_approval');
      }
    });

    it('completes a claim once when second approvals and rejections race; money moves only for the approval', async () => {
      const c = await wuhuClaim(3);
      expect((await approve(c.id, bureau.ah)).status).toBe(202);
      const responses = await Promise.all([
        ...Array.from({ length: 3 }, () => approve(c.id, bureau.ah2)),
        ...Array.from({ length: 3 }, () => t.http.post(`/api/claims/${c.id}/reject`).set(auth(bureau.ah2)).send({ reason: '复核不通过' })),
      ]);
      expect(statuses(responses)).toEqual([200, 409, 409, 409, 409, 409]);
      const final = (await t.http.get(`/api/claims/${c.id}`).set(auth(bureau.ah)).expect(200)).body;
      const winner = responses.find((r) => r.status === 200)!.body;
      expect(final.status).toBe(winner.status);
      if (final.status === 'approved') expect(final.approvedFen).toBe(120_000);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });
});
