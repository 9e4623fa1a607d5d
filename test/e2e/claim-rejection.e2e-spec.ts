import { DataSource } from 'typeorm';
import { recountAnnualGrants } from '../../migrations/1765890000000-grants-recounted';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { clock, DAY_MS } from '../../src/common/clock';
import { zhDateTime } from '../../src/common/i18n/messages';
import { formatYuan } from '../../src/documents/chinese-amount';
import { LedgerTransfer } from '../../src/ledger/ledger-transfer.entity';
import { AnnualGrantRepository } from '../../src/vouchers/annual-grant.repository';
import { ExpireVouchers } from '../../src/vouchers/use-cases/expire-vouchers';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion } from '../support/fixtures';
import { until } from '../support/service-process';
import { auth, isMaria, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
/** Xuzhou's vouchers are valid for 30 days here, so that one can expire with a claim standing on it. */
const XUZHOU = '320300';
/** 80,000 fen an hour at 50%: an hour's subsidy is 40,000 fen. */
const HOUR_SUBSIDY = 40_000;

/**
 * The bureau rejects a claim for good (终局驳回, a fake invoice): the redemptions can never be claimed again and their
 * captured subsidy comes back, in the transaction of the decision, the way a dispute resolved at zero returns it.
 */
describe('claims rejected for good', () => {
  let t: TestApp;
  let lab: OrgSession;
  let facilityId: string;
  const year = clock.year();

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, XUZHOU, { budgetFen: 50_000_000, policy: { voucherValidityDays: 30 } });
    lab = await t.registerProvider('310000', { name: '上海微观表征公共服务平台' });
    const body = { name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
    facilityId = (await t.http.post('/api/facilities').set(auth(lab.token)).send(body).expect(201)).body.id;
  });
  afterEach(() => clock.reset());
  afterAll(() => t.close());

  type Holder = OrgSession & { voucherId: string };
  const holder = async (region = HEFEI, amountFen = 5_000_000): Promise<Holder> => {
    const e = await t.registerEnterprise(region);
    return { ...e, voucherId: (await issueVoucher(t, e.token, amountFen)).id };
  };
  /** `hours` TEM hours held, captured and confirmed on the holder's voucher: the redemption's id. */
  const used = async (e: Holder, hours = 1): Promise<string> => {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(e.token))
      .send({ voucherId: e.voucherId, facilityId, quantity: hours })
      .expect(201);
    await captureConfirmed(t, lab.token, e.token, held.body.id, hours);
    return held.body.id;
  };
  const claim = (redemptionIds: string[]) =>
    t.http.post('/api/claims').set(auth(lab.token)).send({ redemptionIds, evidence: freshEvidence() });
  const claimed = async (e: Holder, hours = 1) => {
    const redemptionId = await used(e, hours);
    return { redemptionId, claimId: (await claim([redemptionId]).expect(201)).body.id as string };
  };
  /** The bureau user's request, sent, with its answer: `status` is the expected one, unless a race makes either possible. */
  const reject = async (claimId: string, body: Record<string, unknown>, user = 'bureau-ah', headers: Record<string, string> = {}) =>
    t.http
      .post(`/api/claims/${claimId}/reject`)
      .set(await t.as(user))
      .set(headers)
      .send(body);
  const approve = async (claimId: string, body: Record<string, unknown> = {}) =>
    t.http
      .post(`/api/claims/${claimId}/approve`)
      .set(await t.as('bureau-ah'))
      .send(body);
  const ok = (res: { status: number; body: unknown }, status = 200) => {
    expect([res.status, res.body]).toEqual([status, expect.anything()]);
    return res as { status: number; body: Record<string, unknown> };
  };
  const voucher = async (e: Holder) => (await t.http.get(`/api/vouchers/${e.voucherId}`).set(auth(e.token)).expect(200)).body;
  const redemption = async (id: string) => (await t.http.get(`/api/redemptions/${id}`).set(auth(lab.token)).expect(200)).body;
  const budget = async (region: string, user: string) =>
    (
      await t.http
        .get(`/api/budgets/${region}/${year}`)
        .set(await t.as(user))
        .expect(200)
    ).body;
  const granted = (region: string, e: OrgSession) => t.get(AnnualGrantRepository).granted(region, year, `ent:${e.organizationId}`);
  const transfersOf = (refId: string) => t.dataSource.getRepository(LedgerTransfer).findBy({ refId });
  const clean = async () => {
    expect((await t.ledgerCheck()).violations).toEqual([]);
    await t.get(AuditSealer).sealAll();
    expect(
      (
        await t.http
          .get('/api/audit/verify')
          .set(await t.as('platform'))
          .expect(200)
      ).body.valid,
    ).toBe(true);
  };

  it('on an exhausted voucher: the subsidy goes back to the voucher, active and spendable again, with its audit entry and event', async () => {
    const e = await holder(HEFEI, HOUR_SUBSIDY);
    const { redemptionId, claimId } = await claimed(e);
    expect(await voucher(e)).toMatchObject({ status: 'exhausted', availableFen: 0, spentFen: HOUR_SUBSIDY });

    const key = `final-${claimId}`;
    const res = ok(await reject(claimId, { reason: '发票经核查为伪造', final: true }, 'bureau-ah', { 'Idempotency-Key': key }));
    expect(res.body).toMatchObject({ status: 'rejected', final: true, reason: '发票经核查为伪造' });
    expect(await voucher(e)).toMatchObject({ status: 'active', availableFen: HOUR_SUBSIDY, heldFen: 0, spentFen: 0, releasedFen: 0 });
    expect(await redemption(redemptionId)).toMatchObject({ status: 'cancelled', capturedSubsidyFen: 0, claimId });
    const moved = (await transfersOf(redemptionId)).filter((x) => x.kind === 'claim.final_rejection');
    expect(moved.map((x) => [x.debitAccount, x.creditAccount, Number(x.amountFen)])).toEqual([
      [`voucher:${e.voucherId}:spent`, `voucher:${e.voucherId}:available`, HOUR_SUBSIDY],
    ]);
    // The same key and body replay the answer and move nothing more.
    const replay = ok(await reject(claimId, { reason: '发票经核查为伪造', final: true }, 'bureau-ah', { 'Idempotency-Key': key }));
    expect(replay.body).toEqual(res.body);
    expect((await transfersOf(redemptionId)).filter((x) => x.kind === 'claim.final_rejection')).toHaveLength(1);

    const audit = await t.http
      .get(`/api/audit?entityType=claim&entityId=${claimId}`)
      .set(await t.as('bureau-ah'))
      .expect(200);
    expect(
      audit.body.items.filter((a: { action: string }) => a.action === 'claim.rejected').map((a: { summary: unknown }) => a.summary),
    ).toEqual([
      {
        claimedFen: HOUR_SUBSIDY,
        reason: '发票经核查为伪造',
        final: true,
        returnedFen: HOUR_SUBSIDY,
        returned: { [redemptionId]: HOUR_SUBSIDY },
      },
    ]);
    const events = await t.http.get('/api/events?limit=500').set(auth(lab.token)).expect(200);
    expect(
      events.body.items.filter(
        (ev: { type: string; data: { claimId?: string } }) => ev.type === 'claim.decided' && ev.data.claimId === claimId,
      ),
    ).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ decision: 'rejected', final: true, returnedFen: HOUR_SUBSIDY }) }),
    ]);

    // The enterprise spends the returned subsidy again.
    await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: e.voucherId, facilityId, quantity: 1 }).expect(201);
    await clean();
  });

  it('refuses any later claim of a redemption rejected for good, naming the rule in the caller’s language (409)', async () => {
    const e = await holder();
    const { redemptionId, claimId } = await claimed(e, 2);
    ok(await reject(claimId, { reason: '发票经核查为伪造', final: true }), 200);
    const fresh = await used(e);

    const en = await claim([fresh, redemptionId]).expect(409);
    expect(en.body).toEqual({
      statusCode: 409,
      code: 'INVALID_STATE',
      message: `redemption ${redemptionId} was in claim ${claimId}, which its issuing bureau rejected for good (final rejection): it can never be claimed again, and its subsidy went back`,
    });
    const zh = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .set('Accept-Language', 'zh-CN')
      .send({ redemptionIds: [redemptionId], evidence: freshEvidence() })
      .expect(409);
    expect(zh.body).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('已被发券地科技局终局驳回，该核销记录不能再次申报'),
    });
    // Nothing was taken: the fresh redemption is claimable on its own, and the annulled one stays with its claim.
    expect(await redemption(fresh)).not.toHaveProperty('claimId');
    await claim([fresh]).expect(201);
    expect(await redemption(redemptionId)).toMatchObject({ status: 'cancelled', claimId });
    // The lab is told it is final; a rejection that is not says it may claim again once corrected.
    const notice = await until('the notice of the final rejection', async () => {
      const { items } = (await t.http.get('/api/notifications').set(auth(lab.token)).expect(200)).body;
      return (items as { entityId: string; body: string }[]).find((n) => n.entityId === claimId);
    });
    expect(notice.body).toContain('驳回理由：发票经核查为伪造。该申报已终局驳回，所涉核销记录不能再次申报，补贴已退回。');
    // A rejection for good is final: nothing else can happen to the claim.
    ok(await reject(claimId, { reason: 'again', final: true }), 409);
    ok(await approve(claimId), 409);
    await clean();
  });

  it('an invoice rejected for good is not claimed again, with other services either (422 DUPLICATE_INVOICE); one rejected to be corrected is', async () => {
    const e = await holder();
    const evidence = freshEvidence();
    const first = await used(e);
    const finalClaim = (
      await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: [first], evidence })
        .expect(201)
    ).body;
    ok(await reject(finalClaim.id, { reason: '发票经核查为伪造', final: true }), 200);
    const other = await used(e);
    // The same invoice written otherwise (case, spaces) is the same invoice.
    const again = { ...evidence, invoiceNo: ` ${evidence.invoiceNo.toLowerCase()} ` };
    const en = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [other], evidence: again })
      .expect(422);
    expect(en.body).toEqual({
      statusCode: 422,
      code: 'DUPLICATE_INVOICE',
      message: `invoice ${again.invoiceNo} was on a claim of this claimant rejected for good (${finalClaim.id}, submitted ${finalClaim.createdAt} for ${finalClaim.claimedFen} fen); it cannot be claimed again`,
    });
    const zh = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .set('Accept-Language', 'zh-CN')
      .send({ redemptionIds: [other], evidence })
      .expect(422);
    expect(zh.body.message).toBe(
      `发票号 ${evidence.invoiceNo} 所在的本单位申报（${zhDateTime(finalClaim.createdAt)} 提交，申报金额 ${formatYuan(finalClaim.claimedFen)}，编号 ${finalClaim.id}）已被终局驳回，不能再用于申报`,
    );
    expect(await redemption(other)).not.toHaveProperty('claimId');

    // Rejected to be corrected, the invoice is free again.
    const corrected = freshEvidence();
    const toCorrect = (
      await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: [other], evidence: corrected })
        .expect(201)
    ).body;
    ok(await reject(toCorrect.id, { reason: '合同编号有误' }), 200);
    await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [other], evidence: { ...corrected, contractNo: 'HT-2026-0138' } })
      .expect(201);
    await clean();
  });

  it('a rejection that is not final (final: false, as by default) moves nothing and lets the payee claim again', async () => {
    const e = await holder();
    const { redemptionId, claimId } = await claimed(e);
    const before = await voucher(e);
    const res = ok(await reject(claimId, { reason: '发票抬头与合同不一致', final: false }), 200);
    expect(res.body).toMatchObject({ status: 'rejected', final: false });
    expect(await voucher(e)).toEqual(before);
    expect(await redemption(redemptionId)).toMatchObject({ status: 'captured', capturedSubsidyFen: HOUR_SUBSIDY });
    expect(
      (await transfersOf(claimId)).length + (await transfersOf(redemptionId)).filter((x) => x.kind === 'claim.final_rejection').length,
    ).toBe(0);
    const again = (await claim([redemptionId]).expect(201)).body;
    expect(ok(await reject(again.id, { reason: '仍不一致' }), 200)).toMatchObject({ body: { final: false } });
    await claim([redemptionId]).expect(201);
    await clean();
  });

  it('on an expired voucher: the subsidy goes to the budget, the annual grant is given back, and the statistics no longer count it', async () => {
    const e = await holder(XUZHOU, 6_000_000);
    const { redemptionId, claimId } = await claimed(e);
    clock.travel(30 * DAY_MS);
    expect(await t.get(ExpireVouchers).execute()).toBeGreaterThanOrEqual(1);
    const stats = async () =>
      (
        await t.http
          .get(`/api/stats/regions/${XUZHOU}?year=${year}`)
          .set(await t.as('bureau-js'))
          .expect(200)
      ).body;
    expect(await voucher(e)).toMatchObject({ status: 'expired', spentFen: HOUR_SUBSIDY, releasedFen: 6_000_000 - HOUR_SUBSIDY });
    expect(await granted(XUZHOU, e)).toBe(HOUR_SUBSIDY);
    expect(await stats()).toMatchObject({ availableFen: 50_000_000 - HOUR_SUBSIDY, committedFen: HOUR_SUBSIDY, capturedFen: HOUR_SUBSIDY });

    ok(await reject(claimId, { reason: '发票经核查为伪造', final: true }, 'bureau-js'), 200);
    expect(await voucher(e)).toMatchObject({ status: 'expired', availableFen: 0, spentFen: 0, releasedFen: 6_000_000 });
    expect(await budget(XUZHOU, 'bureau-js')).toMatchObject({ totalFen: 50_000_000, availableFen: 50_000_000, committedFen: 0 });
    expect(await granted(XUZHOU, e)).toBe(0);
    expect(await stats()).toMatchObject({ availableFen: 50_000_000, committedFen: 0, capturedFen: 0, heldFen: 0, paidFen: 0 });
    const flows = (
      await t.http
        .get(`/api/stats/flows?year=${year}`)
        .set(await t.as('bureau-js'))
        .expect(200)
    ).body.flows;
    expect(flows.filter((f: { fromProvinceCode: string }) => f.fromProvinceCode === '320000')).toEqual([]);
    const moved = (await transfersOf(redemptionId)).filter((x) => x.kind === 'claim.final_rejection');
    expect(moved.map((x) => [x.debitAccount, x.creditAccount, Number(x.amountFen)])).toEqual([
      [`voucher:${e.voucherId}:spent`, `budget:${XUZHOU}:${year}`, HOUR_SUBSIDY],
    ]);
    await clean();
  });

  it('on a revoked voucher: the subsidy goes to the budget and the annual grant is given back', async () => {
    const e = await holder(XUZHOU, 3_000_000);
    const { claimId } = await claimed(e, 2);
    await t.http
      .post(`/api/vouchers/${e.voucherId}/revoke`)
      .set(await t.as('bureau-js'))
      .send({ reason: '涉嫌虚假交易' })
      .expect(200);
    const b0 = await budget(XUZHOU, 'bureau-js');
    expect(await granted(XUZHOU, e)).toBe(2 * HOUR_SUBSIDY);
    ok(await reject(claimId, { reason: '发票经核查为伪造', final: true }, 'bureau-js'), 200);
    const b1 = await budget(XUZHOU, 'bureau-js');
    expect([b1.availableFen - b0.availableFen, b0.committedFen - b1.committedFen]).toEqual([2 * HOUR_SUBSIDY, 2 * HOUR_SUBSIDY]);
    expect(await voucher(e)).toMatchObject({ status: 'revoked', availableFen: 0, spentFen: 0, releasedFen: 3_000_000 });
    expect(await granted(XUZHOU, e)).toBe(0);
    await clean();
  });

  it('an approval below what was captured gives the difference back to the annual grant too, as a dispute’s resolution does', async () => {
    const e = await holder(HEFEI, 5_000_000);
    const { claimId } = await claimed(e, 2); // 80,000 captured
    expect(await granted(HEFEI, e)).toBe(5_000_000);
    ok(await approve(claimId, { approvedFen: 65_000 }), 200);
    expect(await voucher(e)).toMatchObject({ spentFen: 65_000, releasedFen: 15_000 });
    expect(await granted(HEFEI, e)).toBe(5_000_000 - 15_000);
    // In full: nothing goes back, to the budget or the grant.
    const full = await claimed(e, 1);
    ok(await approve(full.claimId), 200);
    expect(await granted(HEFEI, e)).toBe(5_000_000 - 15_000);
    await clean();
  });

  it('a migration recounts the annual grants that approvals below the capture kept before, and leaves every other as it is', async () => {
    const [e, other] = [await holder(HEFEI, 5_000_000), await holder(HEFEI, 2_000_000)];
    ok(await approve((await claimed(e, 2)).claimId, { approvedFen: 65_000 }), 200); // 15,000 cut
    ok(await approve((await claimed(other, 1)).claimId, { approvedFen: 30_000 }), 200); // 10,000 cut
    const rows = async () =>
      (
        await t.dataSource.query<{ region_code: string; year: unknown; subject: string; granted_fen: unknown }[]>(
          'SELECT region_code, year, subject, granted_fen FROM annual_grant',
        )
      ).map((g) => `${g.region_code}/${Number(g.year)} ${g.subject}: ${Number(g.granted_fen)}`);
    const now = (await rows()).sort(byKey);
    expect(now).toEqual(expect.arrayContaining([`${HEFEI}/${year} ent:${e.organizationId}: ${5_000_000 - 15_000}`]));

    // As the code before 860383d left them: each cut went to the budget but stayed granted, toward every subject. And a
    // subject no voucher counts toward, above 0; and the other enterprise's own row gone.
    const run = (q: string, p: unknown[]) => t.dataSource.query(q, p);
    for (const [who, fen] of [
      [e, 15_000],
      [other, 10_000],
    ] as const) {
      await run('UPDATE annual_grant SET granted_fen = granted_fen + ? WHERE region_code = ? AND year = ? AND subject IN (?, ?)', [
        fen,
        HEFEI,
        year,
        `ent:${who.organizationId}`,
        `ctl:${who.creditCode}`,
      ]);
    }
    await run('INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (?, ?, ?, ?)', [
      HEFEI,
      year,
      'ctl:NO-VOUCHER',
      12_345,
    ]);
    await run('DELETE FROM annual_grant WHERE region_code = ? AND year = ? AND subject = ?', [HEFEI, year, `ent:${other.organizationId}`]);
    expect(await granted(HEFEI, e)).toBe(5_000_000);
    expect((await t.ledgerCheck()).violations).toHaveLength(5);

    const recount = async () => {
      const runner = t.get(DataSource).createQueryRunner();
      return recountAnnualGrants(runner).finally(() => runner.release());
    };
    expect(await recount()).toBe(5);
    // Set back to what the vouchers count; the subject of no voucher is 0; every other row as it was.
    expect((await rows()).sort(byKey)).toEqual([...now, `${HEFEI}/${year} ctl:NO-VOUCHER: 0`].sort(byKey));
    expect(await granted(HEFEI, e)).toBe(5_000_000 - 15_000);
    expect(await granted(HEFEI, other)).toBe(2_000_000 - 10_000);
    // Run again (a deployment cut off after it): nothing left to set.
    expect(await recount()).toBe(0);
    await run('DELETE FROM annual_grant WHERE subject = ?', ['ctl:NO-VOUCHER']);
    await clean();
  });

  it('is the issuing bureau’s alone: another province’s bureau, the payee, the enterprise and the platform are refused, and nothing moves', async () => {
    const e = await holder();
    const { redemptionId, claimId } = await claimed(e);
    const before = await voucher(e);
    for (const user of ['bureau-sh', 'bureau-js', 'platform']) {
      expect(ok(await reject(claimId, { reason: '伪造', final: true }, user), 403).body.code).toBe('FORBIDDEN');
    }
    for (const session of [lab, e]) {
      const res = await t.http
        .post(`/api/claims/${claimId}/reject`)
        .set(auth(session.token))
        .send({ reason: '伪造', final: true })
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    ok(await reject(claimId, { reason: '伪造', final: 'yes' }), 400);
    expect(await voucher(e)).toEqual(before);
    expect(await redemption(redemptionId)).toMatchObject({ status: 'captured', claimId });
    expect((await t.http.get(`/api/claims/${claimId}`).set(auth(lab.token)).expect(200)).body.status).toBe('submitted');
    await clean();
  });

  // On SQLite the database runs one transaction at a time, so these pairs are serialized and can never both win; on
  // MariaDB (DB_TYPE=mariadb) they are a real race on the claim's row, decided by its lock and the guarded update.
  describe(`races (${isMaria() ? 'a real race on MariaDB' : 'serialized on SQLite'})`, () => {
    const PAIRS = 12;

    it('a final rejection racing an approval of the same claim: exactly one wins, and the money follows the winner', async () => {
      const e = await holder(HEFEI, 2_000_000);
      const claims = [];
      for (let i = 0; i < PAIRS; i++) claims.push(await claimed(e));
      const results = await Promise.all(
        claims.map(async ({ claimId }, i) => {
          const calls = [() => reject(claimId, { reason: '发票经核查为伪造', final: true }), () => approve(claimId)];
          if (i % 2 === 1) calls.reverse();
          const [a, b] = await Promise.all(calls.map((call) => call()));
          return i % 2 === 1 ? [b.status, a.status] : [a.status, b.status];
        }),
      );
      let approved = 0;
      for (const [i, [rejected, approvedStatus]] of results.entries()) {
        expect([rejected, approvedStatus].sort()).toEqual([200, 409]);
        const c = (await t.http.get(`/api/claims/${claims[i].claimId}`).set(auth(lab.token)).expect(200)).body;
        const r = await redemption(claims[i].redemptionId);
        if (approvedStatus === 200) {
          approved++;
          expect([c.status, r.status, r.capturedSubsidyFen]).toEqual(['approved', 'captured', HOUR_SUBSIDY]);
        } else {
          expect([c.status, c.final, r.status, r.capturedSubsidyFen]).toEqual(['rejected', true, 'cancelled', 0]);
        }
      }
      expect(await voucher(e)).toMatchObject({
        availableFen: 2_000_000 - approved * HOUR_SUBSIDY,
        heldFen: 0,
        spentFen: approved * HOUR_SUBSIDY,
        releasedFen: 0,
      });
      await clean();
    });

    it('two final rejections of one claim: exactly one wins, and the subsidy comes back once', async () => {
      const e = await holder(HEFEI, 2_000_000);
      const claims = [];
      for (let i = 0; i < PAIRS / 2; i++) claims.push(await claimed(e));
      for (const { claimId } of claims) {
        const statuses = (
          await Promise.all([reject(claimId, { reason: '伪造发票', final: true }), reject(claimId, { reason: '虚开发票', final: true })])
        ).map((r) => r.status);
        expect(statuses.sort()).toEqual([200, 409]);
      }
      expect(await voucher(e)).toMatchObject({ availableFen: 2_000_000, heldFen: 0, spentFen: 0, releasedFen: 0 });
      await clean();
    });
  });
});

/** The recount test's rows in one order, whatever the database's collation. */
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
