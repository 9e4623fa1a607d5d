import { DataSource } from 'typeorm';
import { backfillPaidSummary } from '../../migrations/1765100000000-stats-summaries';
import { clock, DAY_MS } from '../../src/common/clock';
import { newId } from '../../src/common/ids';
import { Database } from '../../src/common/persistence/database';
import { join, sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { account } from '../../src/ledger/accounts';
import { LedgerCheckService } from '../../src/ledger/ledger-check.service';
import { AnnualGrantRepository } from '../../src/vouchers/annual-grant.repository';
import { ExpireVouchers } from '../../src/vouchers/use-cases/expire-vouchers';
import { VoucherRepository } from '../../src/vouchers/voucher.repository';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { bureauFor } from '../support/accounts';
import { auth, creditCodeIn, TestApp } from '../support/test-app';

/** The ledger check reads vouchers and their accounts a page at a time (issue 18): it still finds what does not add up. */
describe('ledger check', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const direct = (q: ReturnType<typeof sql>) => t.get(UnitOfWork).run(() => t.get(Database).execute(q));

  /**
   * A region's enterprise spends one voucher at a lab of `labProvince`: one approved claim per entry of `claims` (its
   * redemptions, each of `quantity` units captured at its own instant), settled in one batch and paid. Returns the voucher.
   */
  async function paidBatch(
    regionCode: string,
    opts: { labProvince: string; labName: string; facility: string; unitPriceFen: number; quantity: number; claims: number[] },
  ) {
    const bureau = await t.as(bureauFor(regionCode));
    await openRegion(t, regionCode);
    const lab = await t.registerProvider(opts.labProvince, { name: opts.labName });
    const facility = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: opts.facility, category: 'testing', unit: 'hour', unitPriceFen: opts.unitPriceFen })
      .expect(201);
    const e = await t.registerEnterprise(regionCode);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    for (const redemptions of opts.claims) {
      const ids: string[] = [];
      for (let i = 0; i < redemptions; i++) {
        const held = await t.http
          .post('/api/redemptions')
          .set(auth(e.token))
          .send({ voucherId: voucher.id, facilityId: facility.body.id, quantity: opts.quantity })
          .expect(201);
        await captureConfirmed(t, lab.token, e.token, held.body.id, opts.quantity);
        ids.push(held.body.id);
      }
      const claim = await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: ids, evidence: freshEvidence() })
        .expect(201);
      await t.http.post(`/api/claims/${claim.body.id}/approve`).set(bureau).send({}).expect(200);
    }
    const batch = await t.http.post('/api/settlements').set(bureau).send({ regionCode }).expect(201);
    await paySettlement(t, regionCode, batch.body.id);
    return voucher;
  }

  it('finds a voucher row moved without its transfer, a transfer without its row change, and a negative voucher account', async () => {
    await openRegion(t, '330000', { budgetFen: 3_000_000 });
    const e = await t.registerEnterprise('330100');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await issueVoucher(t, e.token, 500_000)).id);
    expect((await t.ledgerCheck()).violations).toEqual([]);
    const serial = (await t.get(VoucherRepository).get(ids[1]))!.serial;

    await direct(sql`UPDATE voucher SET available_fen = available_fen - 7, held_fen = held_fen + 7 WHERE id = ${ids[1]}`);
    expect((await t.ledgerCheck()).violations).toEqual([`voucher ${serial} available: 499993 ≠ 500000`, `voucher ${serial} held: 7 ≠ 0`]);
    await direct(sql`UPDATE voucher SET available_fen = available_fen + 7, held_fen = held_fen - 7 WHERE id = ${ids[1]}`);

    const stray = newId();
    await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
      VALUES (${stray}, ${account.voucherHeld(ids[2])}, ${account.voucherSpent(ids[2])}, 5, 'test', 'test', ${newId()}, '2026-01-01T00:00:00.000Z')`);
    const check = await t.ledgerCheck();
    const serial2 = (await t.get(VoucherRepository).get(ids[2]))!.serial;
    expect(check.violations).toEqual([
      `account ${account.voucherHeld(ids[2])} is negative: -5`,
      `voucher ${serial2} held: 0 ≠ -5`,
      `voucher ${serial2} spent: 0 ≠ 5`,
    ]);
    await direct(sql`DELETE FROM ledger_transfer WHERE id = ${stray}`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('reads every voucher account once: accounts of no voucher, before the first and after the last, are reported', async () => {
    const before = await t.ledgerCheck();
    expect(before.violations).toEqual([]);
    const strays = [
      ['00000000-0000-7000-8000-000000000000', 3],
      ['ffffffff-ffff-7fff-bfff-ffffffffffff', 4],
    ] as const;
    for (const [voucherId, fen] of strays) {
      await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
        VALUES (${newId()}, ${account.voucherAvailable(voucherId)}, ${account.voucherHeld(voucherId)}, ${fen}, 'test', 'test', ${newId()},
        '2026-01-01T00:00:00.000Z')`);
    }
    const check = await t.ledgerCheck();
    // The same whatever the page boundaries: one voucher a page, two, and all at once.
    const sorted = (c: typeof check) => ({ ...c, violations: [...c.violations].sort() });
    for (const pageSize of [1, 2]) expect(sorted(await t.get(LedgerCheckService).check(pageSize, pageSize))).toEqual(sorted(check));
    expect(check.transfers).toBe(before.transfers + 2);
    expect(check.accounts).toBe(before.accounts + 4);
    expect([...check.violations].sort()).toEqual(
      [
        `account ${account.voucherAvailable(strays[0][0])} is negative: -3`,
        `account ${account.voucherAvailable(strays[0][0])} belongs to no voucher: -3`,
        `account ${account.voucherHeld(strays[0][0])} belongs to no voucher: 3`,
        `account ${account.voucherAvailable(strays[1][0])} is negative: -4`,
        `account ${account.voucherAvailable(strays[1][0])} belongs to no voucher: -4`,
        `account ${account.voucherHeld(strays[1][0])} belongs to no voucher: 4`,
      ].sort(),
    );
    await direct(sql`DELETE FROM ledger_transfer WHERE kind = 'test'`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('reads every transfer, also those between accounts of no known kind on either side of the vouchers', async () => {
    const before = await t.ledgerCheck();
    await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
      VALUES (${newId()}, 'zzz:elsewhere', 'aaa:nowhere', 9, 'test', 'test', ${newId()}, '2026-01-01T00:00:00.000Z')`);
    const check = await t.ledgerCheck();
    expect(check.transfers).toBe(before.transfers + 1);
    expect(check.accounts).toBe(before.accounts + 2);
    expect(check.violations).toEqual(['account zzz:elsewhere is negative: -9']);
    await direct(sql`DELETE FROM ledger_transfer WHERE kind = 'test'`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('holds each annual grant to its vouchers’ face value less released, through issue, a cut approval, expiry and a final rejection', async () => {
    // Xuzhou's vouchers are valid for 30 days, so that they expire with a claim standing on one of them.
    const XUZHOU = '320300';
    const year = clock.year();
    await openRegion(t, XUZHOU, { budgetFen: 50_000_000, policy: { voucherValidityDays: 30 } });
    const bureau = await t.as(bureauFor(XUZHOU));
    const lab = await t.registerProvider('310000', { name: '上海微观表征公共服务平台' });
    const body = { name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
    const facilityId = (await t.http.post('/api/facilities').set(auth(lab.token)).send(body).expect(201)).body.id;
    const controller = creditCodeIn('320000');
    const e = await t.registerEnterprise(XUZHOU, { controllerCreditCode: controller });
    const subjects = [`ent:${e.organizationId}`, `ctl:${e.creditCode}`, `ctl:${controller}`].sort();
    const grants = () => Promise.all(subjects.map((s) => t.get(AnnualGrantRepository).granted(XUZHOU, year, s)));
    /** `hours` TEM hours (40,000 fen of subsidy each) used on the voucher and claimed by the lab: the claim's id. */
    const claimed = async (voucherId: string, hours: number) => {
      const held = await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId, quantity: hours }).expect(201);
      await captureConfirmed(t, lab.token, e.token, held.body.id, hours);
      const claim = await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
        .expect(201);
      return claim.body.id as string;
    };

    const cut = await issueVoucher(t, e.token, 5_000_000);
    const rejected = await issueVoucher(t, e.token, 3_000_000);
    expect(await grants()).toEqual([8_000_000, 8_000_000, 8_000_000]);
    expect((await t.ledgerCheck()).violations).toEqual([]);
    // Approved below the 80,000 captured: 15,000 go back to the budget and the grant.
    await t.http
      .post(`/api/claims/${await claimed(cut.id, 2)}/approve`)
      .set(bureau)
      .send({ approvedFen: 65_000 })
      .expect(200);
    const standing = await claimed(rejected.id, 1);
    expect(await grants()).toEqual([8_000_000 - 15_000, 8_000_000 - 15_000, 8_000_000 - 15_000]);
    expect((await t.ledgerCheck()).violations).toEqual([]);
    try {
      clock.travel(30 * DAY_MS);
      expect(await t.get(ExpireVouchers).execute()).toBeGreaterThanOrEqual(2);
      // Expired: what was spent still counts (65,000 approved, 40,000 claimed); the final rejection gives the 40,000 back.
      expect(await grants()).toEqual([105_000, 105_000, 105_000]);
      await t.http
        .post(`/api/claims/${standing}/reject`)
        .set(await t.as(bureauFor(XUZHOU)))
        .send({ reason: '发票经核查为伪造', final: true })
        .expect(200);
    } finally {
      clock.reset();
    }
    expect(await grants()).toEqual([65_000, 65_000, 65_000]);
    expect((await t.ledgerCheck()).violations).toEqual([]);

    // A counter above its vouchers (as approvals below the capture left them before), one of no voucher, one missing.
    const name = (subject: string) => `annual grant ${XUZHOU}/${year} ${subject} = its vouchers' face value − released`;
    const ghost = `ent:${newId()}`;
    await direct(sql`UPDATE annual_grant SET granted_fen = granted_fen + 15000 WHERE region_code = ${XUZHOU} AND subject = ${subjects[1]}`);
    await direct(sql`INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (${XUZHOU}, ${year}, ${ghost}, 7)`);
    await direct(sql`DELETE FROM annual_grant WHERE region_code = ${XUZHOU} AND subject = ${subjects[2]}`);
    const found = (await t.ledgerCheck()).violations;
    expect([...found].sort()).toEqual(
      [`${name(subjects[1])}: 80000 ≠ 65000`, `${name(ghost)}: 7 ≠ 0`, `${name(subjects[2])} (no row): 0 ≠ 65000`].sort(),
    );
    // The same whatever the vouchers per page.
    for (const pageSize of [1, 2])
      expect(
        await t
          .get(LedgerCheckService)
          .check(pageSize)
          .then((c) => c.violations),
      ).toEqual(found);
    await direct(sql`UPDATE annual_grant SET granted_fen = granted_fen - 15000 WHERE region_code = ${XUZHOU} AND subject = ${subjects[1]}`);
    await direct(sql`DELETE FROM annual_grant WHERE subject = ${ghost}`);
    await direct(
      sql`INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (${XUZHOU}, ${year}, ${subjects[2]}, 65000)`,
    );
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('finds a paid summary row that does not match the redemptions its batch paid', async () => {
    const HEFEI = '340100';
    const voucher = await paidBatch(HEFEI, {
      labProvince: '310000',
      labName: '上海测试平台',
      facility: '检测机时',
      unitPriceFen: 80_000,
      quantity: 2,
      claims: [1],
    });

    // The payment wrote its summary row in its own transaction: the check finds it equal to the paid redemption.
    const [row] = await t
      .get(Database)
      .rows<{ hours_tenths: unknown; span: unknown }>(sql`SELECT hours_tenths, span FROM paid_summary WHERE region_code = ${HEFEI}`);
    expect((await t.ledgerCheck()).violations).toEqual([]);
    const name = `paid summary ${HEFEI}/${voucher.budgetYear} at ${Number(row.hours_tenths) / 10} h (span ${Number(row.span)})`;

    await direct(sql`UPDATE paid_summary SET redemptions = redemptions + 1, approved_fen = approved_fen - 1 WHERE region_code = ${HEFEI}`);
    expect((await t.ledgerCheck()).violations).toEqual([`${name} redemptions: 2 ≠ 1`, `${name} approved: 79999 ≠ 80000`]);
    await direct(sql`UPDATE paid_summary SET redemptions = redemptions - 1, approved_fen = approved_fen + 1 WHERE region_code = ${HEFEI}`);
    expect((await t.ledgerCheck()).balanced).toBe(true);

    // An upgraded deployment starts with an empty summary beside paid batches: the migration's backfill fills it the same.
    const stats = (
      await t.http
        .get(`/api/stats/regions/${HEFEI}?year=${voucher.budgetYear}`)
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body;
    await direct(sql`DELETE FROM paid_summary`);
    expect((await t.ledgerCheck()).violations).toEqual([`${name} redemptions: 0 ≠ 1`, `${name} approved: 0 ≠ 80000`]);
    const db = t.get(Database);
    await backfillPaidSummary((q, p) => t.get(DataSource).query(q, p), db.dialect);
    expect((await t.ledgerCheck()).balanced).toBe(true);
    expect(
      (
        await t.http
          .get(`/api/stats/regions/${HEFEI}?year=${voucher.budgetYear}`)
          .set(await t.as('bureau-ah'))
          .expect(200)
      ).body,
    ).toEqual(stats);
  });

  it('sums a paid batch the same whatever its claims per page, in the payment and in the check', async () => {
    const NINGBO = '330200';
    // Three claims of 2, 1 and 3 redemptions, each captured at its own instant.
    await paidBatch(NINGBO, {
      labProvince: '320000',
      labName: '苏州分析测试平台',
      facility: '质谱机时',
      unitPriceFen: 30_000,
      quantity: 1,
      claims: [2, 1, 3],
    });

    const [paid] = await t
      .get(Database)
      .rows<{ n: unknown; fen: unknown }>(
        sql`SELECT SUM(redemptions) AS n, SUM(approved_fen) AS fen FROM paid_summary WHERE region_code = ${NINGBO}`,
      );
    expect([Number(paid.n), Number(paid.fen)]).toEqual([6, 6 * 15_000]);
    const checker = t.get(LedgerCheckService);
    for (const claimsPerPage of [1, 2, 3, undefined]) expect((await checker.check(undefined, claimsPerPage)).violations).toEqual([]);
    // One redemption too many in a summary row is found whatever the pages.
    const [row] = await t
      .get(Database)
      .rows<{ hours_tenths: unknown; span: unknown }>(sql`SELECT hours_tenths, span FROM paid_summary WHERE region_code = ${NINGBO}`);
    const inRow = sql`region_code = ${NINGBO} AND hours_tenths = ${Number(row.hours_tenths)} AND span = ${Number(row.span)}`;
    await direct(sql`UPDATE paid_summary SET redemptions = redemptions + 1 WHERE ${inRow}`);
    const found = (await t.ledgerCheck()).violations;
    expect(found).toHaveLength(1);
    for (const claimsPerPage of [1, 2, 3]) expect((await checker.check(undefined, claimsPerPage)).violations).toEqual(found);
    await direct(sql`UPDATE paid_summary SET redemptions = redemptions - 1 WHERE ${inRow}`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('finds a captured flow summary that does not match the captured redemptions', async () => {
    const check = await t.ledgerCheck();
    expect(check.violations).toEqual([]);
    // The earlier test captured a Hefei redemption at a Shanghai lab: its flow is one of the shards' sums.
    const [flow] = await t
      .get(Database)
      .rows<{ budget_year: unknown; shard: unknown }>(
        sql`SELECT budget_year, shard FROM captured_flow WHERE issuing_region_code = '340100' AND provider_province_code = '310000' LIMIT 1`,
      );
    const key = `340100/${Number(flow.budget_year)}→310000`;
    const tamper = (n: number, fen: number) =>
      direct(sql`UPDATE captured_flow SET redemptions = redemptions + ${n}, captured_fen = captured_fen + ${fen}
        WHERE issuing_region_code = '340100' AND provider_province_code = '310000' AND shard = ${Number(flow.shard)}`);

    await tamper(0, 5);
    expect((await t.ledgerCheck()).violations).toEqual([`captured flow ${key} captured: 80005 ≠ 80000`]);
    await tamper(1, -5);
    expect((await t.ledgerCheck()).violations).toEqual([`captured flow ${key} redemptions: 2 ≠ 1`]);
    await tamper(-1, 0);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });
  it('finds a facility usage row (the annual report’s ranking) that does not match the captured redemptions', async () => {
    expect((await t.ledgerCheck()).violations).toEqual([]);
    const [row] = await t
      .get(Database)
      .rows<{ budget_year: unknown; facility_id: string }>(
        sql`SELECT budget_year, facility_id FROM facility_usage WHERE issuing_region_code = '340100' AND redemptions > 0 LIMIT 1`,
      );
    const key = `340100/${Number(row.budget_year)}`;
    const tamper = (n: number, fen: number) =>
      direct(sql`UPDATE facility_usage SET redemptions = redemptions + ${n}, subsidy_fen = subsidy_fen + ${fen}
        WHERE issuing_region_code = '340100' AND facility_id = ${row.facility_id}`);

    await tamper(0, 5);
    expect((await t.ledgerCheck()).violations).toEqual([
      expect.stringMatching(new RegExp(`^facility usage ${key} kept subsidy: \\d+ ≠ \\d+$`)),
    ]);
    await tamper(1, -5);
    expect((await t.ledgerCheck()).violations).toEqual([
      expect.stringMatching(new RegExp(`^facility usage ${key} redemptions: \\d+ ≠ \\d+$`)),
    ]);
    await tamper(-1, 0);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });
  describe('settlement and clearing rows', () => {
    const SUZHOU = '320500';
    let batchId: string;
    let sh: string;
    let zj: string;
    let platform: string;
    const check = async () =>
      (await t.http.get('/api/ledger/check').set(auth(platform)).expect(200)).body as { balanced: boolean; violations: string[] };
    const clearing = async () =>
      (await t.http.get(`/api/clearing?from=${clock.today()}&to=${clock.today()}`).set(auth(platform)).expect(200)).body as {
        gross: { fromProvinceCode: string; toProvinceCode: string; amountFen: number }[];
      };

    /** A Suzhou voucher pays a Shanghai lab 40,000 and a Zhejiang lab 40,000 in one paid batch; one more Shanghai claim is approved, unpaid. */
    beforeAll(async () => {
      platform = await t.token('platform');
      const bureau = await t.as(bureauFor(SUZHOU));
      await openRegion(t, SUZHOU);
      const e = await t.registerEnterprise(SUZHOU);
      const voucher = await issueVoucher(t, e.token, 1_000_000);
      const claimAt = async (labToken: string, facilityId: string) => {
        const held = await t.http
          .post('/api/redemptions')
          .set(auth(e.token))
          .send({ voucherId: voucher.id, facilityId, quantity: 1 })
          .expect(201);
        await captureConfirmed(t, labToken, e.token, held.body.id, 1);
        const claim = await t.http
          .post('/api/claims')
          .set(auth(labToken))
          .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
          .expect(201);
        await t.http.post(`/api/claims/${claim.body.id}/approve`).set(bureau).send({}).expect(200);
      };
      const labs: { token: string; id: string; facility: string }[] = [];
      for (const [province, name] of [
        ['310000', '上海苏测平台'],
        ['330000', '浙江苏测平台'],
      ]) {
        const lab = await t.registerProvider(province, { name });
        const facility = await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: '检测机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
          .expect(201);
        labs.push({ token: lab.token, id: lab.organizationId, facility: facility.body.id });
        await claimAt(lab.token, facility.body.id);
      }
      [sh, zj] = labs.map((l) => l.id);
      batchId = (await t.http.post('/api/settlements').set(bureau).send({ regionCode: SUZHOU }).expect(201)).body.id;
      await paySettlement(t, SUZHOU, batchId);
      await claimAt(labs[0].token, labs[0].facility);
      expect((await check()).violations).toEqual([]);
    });

    it('finds a line amount moved from one payee to another of the same batch, which changes the clearing', async () => {
      const gross = (await clearing()).gross.filter((f) => f.fromProvinceCode === '320000');
      const move = (fen: number) =>
        direct(sql`UPDATE settlement_line SET amount_fen = amount_fen + (CASE WHEN payee_id = ${sh} THEN ${fen} ELSE ${-fen} END)
          WHERE settlement_id = ${batchId}`);
      await move(10_000);
      expect((await clearing()).gross.filter((f) => f.fromProvinceCode === '320000')).not.toEqual(gross);
      const found = await check();
      expect(found.balanced).toBe(false);
      const batch = `batch ${SUZHOU}-${clock.year()}-0001`;
      expect(found.violations).toEqual(
        expect.arrayContaining([
          `${batch} line of payee ${sh} = its approved claims: 50000 ≠ 40000`,
          `${batch} line of payee ${zj} = its approved claims: 30000 ≠ 40000`,
          `payee ${sh} of region ${SUZHOU} paid = its paid settlement lines: 40000 ≠ 50000`,
          `payee ${zj} of region ${SUZHOU} paid = its paid settlement lines: 40000 ≠ 30000`,
        ]),
      );
      await move(-10_000);
      expect((await check()).violations).toEqual([]);
    });

    it('finds a batch total that is not the sum of its lines', async () => {
      await direct(sql`UPDATE settlement SET total_fen = total_fen + 1 WHERE id = ${batchId}`);
      expect((await check()).violations).toEqual([`batch ${SUZHOU}-${clock.year()}-0001 total = its lines: 80001 ≠ 80000`]);
      await direct(sql`UPDATE settlement SET total_fen = total_fen - 1 WHERE id = ${batchId}`);
      expect((await check()).violations).toEqual([]);
    });

    it('finds a line carrying another province than its batch and payee', async () => {
      const line = `batch ${SUZHOU}-${clock.year()}-0001 line of payee ${zj}`;
      await direct(sql`UPDATE settlement_line SET payee_province_code = '340000' WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([`${line} payee province 340000 ≠ 330000`]);
      await direct(sql`UPDATE settlement_line SET payee_province_code = '330000' WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      await direct(sql`UPDATE settlement_line SET issuing_province_code = '310000' WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([`${line} issuing province 310000 ≠ 320000`]);
      await direct(sql`UPDATE settlement_line SET issuing_province_code = '320000' WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([]);
    });

    it('finds a payment or a payable credited to another payee of the region', async () => {
      const credited = async (code: string, kind: string) =>
        (
          await t.get(Database).rows<{ id: string }>(sql`SELECT id FROM ledger_transfer WHERE credit_account = ${code} AND kind = ${kind}`)
        ).map((r) => r.id);
      const creditTo = (ids: string[], code: string) =>
        direct(sql`UPDATE ledger_transfer SET credit_account = ${code} WHERE id IN (${join(ids)})`);
      const paidZj = await credited(account.paid(SUZHOU, zj), 'settlement.payment');
      expect(paidZj).toHaveLength(1);
      await creditTo(paidZj, account.paid(SUZHOU, sh));
      expect((await check()).violations).toEqual(
        [
          `payee ${sh} of region ${SUZHOU} paid = its paid settlement lines: 80000 ≠ 40000`,
          `payee ${zj} of region ${SUZHOU} paid = its paid settlement lines: 0 ≠ 40000`,
        ].sort(),
      );
      await creditTo(paidZj, account.paid(SUZHOU, zj));
      // The Shanghai lab's unpaid approval moved to the Zhejiang lab: nothing is negative until a batch pays it.
      const [unpaid] = await t
        .get(Database)
        .rows<{ id: string }>(
          sql`SELECT t.id FROM ledger_transfer t JOIN claim c ON c.id = t.ref_id WHERE t.kind = 'claim.approval' AND c.settlement_id IS NULL AND c.claimant_id = ${sh}`,
        );
      await creditTo([unpaid.id], account.payable(SUZHOU, zj));
      expect((await check()).violations).toEqual(
        [
          `payee ${sh} of region ${SUZHOU} payable = its approved claims − its paid settlement lines: 0 ≠ 40000`,
          `payee ${zj} of region ${SUZHOU} payable = its approved claims − its paid settlement lines: 40000 ≠ 0`,
        ].sort(),
      );
      await creditTo([unpaid.id], account.payable(SUZHOU, sh));
      expect((await check()).violations).toEqual([]);
    });

    it('finds a cleared line set free, which a later run would clear a second time', async () => {
      const run = await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: clock.today(), to: clock.today() }).expect(201);
      expect((await check()).violations).toEqual([]);
      await direct(sql`UPDATE settlement_line SET clearing_run_id = NULL WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([expect.stringContaining(run.body.runNo)]);
      await direct(sql`UPDATE settlement_line SET clearing_run_id = ${run.body.id} WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([]);
    });

    it('finds a line marked paid in an open batch, or unpaid in a paid one: clearing takes lines by it', async () => {
      const bureau = await t.as(bureauFor(SUZHOU));
      const open = (await t.http.post('/api/settlements').set(bureau).send({ regionCode: SUZHOU }).expect(201)).body.id;
      const [{ paid_at: paidAt }] = await t
        .get(Database)
        .rows<{ paid_at: string }>(sql`SELECT paid_at FROM settlement WHERE id = ${batchId}`);
      const gross = (await clearing()).gross;
      await direct(sql`UPDATE settlement_line SET paid_at = ${paidAt} WHERE settlement_id = ${open}`);
      expect((await clearing()).gross).not.toEqual(gross);
      expect((await check()).violations).toEqual([
        `batch ${SUZHOU}-${clock.year()}-0002 line of payee ${sh} carries a payment in an open batch`,
      ]);
      await direct(sql`UPDATE settlement_line SET paid_at = NULL WHERE settlement_id = ${open}`);
      await direct(sql`UPDATE settlement_line SET paid_at = NULL WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([
        `batch ${SUZHOU}-${clock.year()}-0001 line of payee ${zj} carries no payment in a paid batch`,
      ]);
      await direct(sql`UPDATE settlement_line SET paid_at = ${paidAt} WHERE settlement_id = ${batchId} AND payee_id = ${zj}`);
      expect((await check()).violations).toEqual([]);
    });
  });
});

/** The check reads the whole ledger; money moving while it reads must not look like money that does not add up. */
describe('ledger check while money moves', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  it('finds nothing wrong in any answer while holds are captured and claims approved', async () => {
    const WUXI = '320200';
    await openRegion(t, WUXI);
    const bureau = await t.as(bureauFor(WUXI));
    const lab = await t.registerProvider('310000');
    const facility = { name: '扫描电镜 机时', category: 'testing', unit: 'hour', unitPriceFen: 10_000 };
    const facilityId = (await t.http.post('/api/facilities').set(auth(lab.token)).send(facility).expect(201)).body.id;
    const holds: { id: string; enterprise: string }[] = [];
    for (let e = 0; e < 4; e++) {
      const enterprise = await t.registerEnterprise(WUXI);
      const voucher = await issueVoucher(t, enterprise.token, 1_000_000);
      for (let h = 0; h < 8; h++) {
        const held = await t.http
          .post('/api/redemptions')
          .set(auth(enterprise.token))
          .send({ voucherId: voucher.id, facilityId, quantity: 1 })
          .expect(201);
        holds.push({ id: held.body.id, enterprise: enterprise.token });
      }
    }
    const platform = await t.token('platform');
    let moving = true;
    const money = (async () => {
      for (let i = 0; i < holds.length; i += 4) {
        await Promise.all(
          holds.slice(i, i + 4).map(async (h) => {
            await captureConfirmed(t, lab.token, h.enterprise, h.id, 1);
            const claim = await t.http
              .post('/api/claims')
              .set(auth(lab.token))
              .send({ redemptionIds: [h.id], evidence: freshEvidence() })
              .expect(201);
            await t.http.post(`/api/claims/${claim.body.id}/approve`).set(bureau).send({ approvedFen: 4_000 }).expect(200);
          }),
        );
      }
      moving = false;
    })();
    const answers: string[][] = [];
    while (moving) answers.push((await t.http.get('/api/ledger/check').set(auth(platform)).expect(200)).body.violations);
    await money;
    expect(answers.length).toBeGreaterThan(2);
    expect(answers.filter((v) => v.length > 0)).toEqual([]);
  }, 120_000);
});
