import { parse } from 'csv-parse/sync';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clock, DAY_MS } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { bureauFor, captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, creditCodeIn, isMaria, OrgSession, TestApp } from '../support/test-app';

const [SH, JS, AH] = ['310000', '320000', '340000'];
const HEFEI = '340100';
const OUT = join(projectRoot, 'test-output', 'annual-report');

/** The CSV as rows keyed `section.key`. */
type CsvRow = { section: string; key: string; label: string; count: string; amountFen: string; amountYuan: string; value: string };
const byKey = (csv: string) =>
  Object.fromEntries(parse<CsvRow>(csv, { columns: true, bom: true }).map((r) => [`${r.section}.${r.key}`, r]));

/** The PDF's text as poppler's pdftotext reads it (layout kept, so a table row stays on one line). */
function pdfText(pdf: Buffer, name: string): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/**
 * facility_usage against the redemptions it summarises: per budget year, issuing region and facility, the captured
 * redemptions, quantity, fee and the subsidy the lab keeps (a row all zeros is a facility no longer used).
 */
async function facilityUsageDrift(t: TestApp): Promise<{ kept: string[]; actual: string[] }> {
  const line = (r: Record<string, unknown>) =>
    [r.y, r.reg, r.fac, r.n, r.q, r.fee, r.fen].map((v) => (typeof v === 'string' ? v : String(Number(v)))).join(' ');
  const kept = await t.dataSource.query<Record<string, unknown>[]>(
    `SELECT budget_year AS y, issuing_region_code AS reg, facility_id AS fac, redemptions AS n, quantity AS q, fee_fen AS fee,
     subsidy_fen AS fen FROM facility_usage WHERE redemptions <> 0 OR quantity <> 0 OR fee_fen <> 0 OR subsidy_fen <> 0`,
  );
  const actual = await t.dataSource.query<Record<string, unknown>[]>(
    `SELECT budget_year AS y, issuing_region_code AS reg, facility_id AS fac, COUNT(*) AS n, SUM(captured_quantity) AS q,
     SUM(captured_fee_fen) AS fee, SUM(COALESCE(approved_fen, captured_subsidy_fen)) AS fen FROM redemption
     WHERE status = 'captured' GROUP BY budget_year, issuing_region_code, facility_id`,
  );
  return { kept: kept.map(line).sort(), actual: actual.map(line).sort() };
}

/**
 * A scripted year of Anhui's vouchers, issued by Hefei, worked out by hand below; the report's CSV must show exactly
 * these figures, agree with the statistics routes and the ledger, and its PDF must read them out in Chinese.
 *
 * Hefei's policy: 50% for testing, 40% for design, +10% at Anhui's own labs; budget ¥10,000,000 (1,000,000,000 fen).
 * Three Hefei enterprises get vouchers of ¥50,000, ¥20,000 and ¥10,000 (the last revoked); a Shanghai enterprise's
 * Shanghai voucher is used at the Hefei lab (Anhui's inflow).
 */
describe('annual report per region', () => {
  let t: TestApp;
  const year = clock.year();
  let labSh: OrgSession & { facilityId: string };
  let labJs: OrgSession & { facilityId: string };
  let labAh: OrgSession & { facilityId: string };
  let ent1: OrgSession & { voucherId: string };
  let ent2: OrgSession & { voucherId: string };
  let ent3: OrgSession & { voucherId: string };
  let entSh: OrgSession & { voucherId: string };
  let sanctioned: string;

  const report = (token: string, query: string) => t.http.get(`/api/reports/annual?${query}`).set(auth(token));
  const csvOf = async (token: string, regionCode: string) => {
    const res = await report(token, `regionCode=${regionCode}&year=${year}&format=csv`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    return byKey(res.text);
  };
  const pdfOf = async (token: string, regionCode: string) => {
    const res = await report(token, `regionCode=${regionCode}&year=${year}`)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    return res.body as Buffer;
  };

  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true });
    t = await TestApp.start();
    await openRegion(t, HEFEI, { policy: { localBonusBp: 1000 } });
    // Shanghai's vouchers are valid 10 days: past them by the year's report, its one voucher counts as expired.
    await openRegion(t, SH, { policy: { voucherValidityDays: 10 } });
    const lab = async (region: string, name: string, facility: object) => {
      const session = await t.registerProvider(region, { name });
      return { ...session, facilityId: (await t.http.post('/api/facilities').set(auth(session.token)).send(facility).expect(201)).body.id };
    };
    labSh = await lab(SH, '上海微系统所分析测试中心', {
      name: '场发射透射电镜机时',
      category: 'testing',
      unit: 'hour',
      unitPriceFen: 100_000,
    });
    labJs = await lab('320500', '苏州纳米所测试分析平台', {
      name: 'X射线光电子能谱检测',
      category: 'testing',
      unit: 'sample',
      unitPriceFen: 30_000,
    });
    labAh = await lab(HEFEI, '合肥大科学装置设计服务中心', {
      name: '精密结构设计',
      category: 'design',
      unit: 'item',
      unitPriceFen: 250_000,
    });
    const enterprise = async (region: string, name: string, amountFen: number) => {
      const session = await t.registerEnterprise(region, { name });
      return { ...session, voucherId: (await issueVoucher(t, session.token, amountFen)).id };
    };
    ent1 = await enterprise(HEFEI, '合肥量子芯科技有限公司', 5_000_000);
    ent2 = await enterprise(HEFEI, '合肥微尺度材料有限公司', 2_000_000);
    ent3 = await enterprise(HEFEI, '合肥晨曦生物科技有限公司', 1_000_000);
    entSh = await enterprise(SH, '上海启明新材料科技有限公司', 3_000_000);
  });
  afterAll(() => t.close());

  const hold = async (e: OrgSession & { voucherId: string }, l: { facilityId: string }, quantity: number) =>
    (
      await t.http
        .post('/api/redemptions')
        .set(auth(e.token))
        .send({ voucherId: e.voucherId, facilityId: l.facilityId, quantity, mode: 'provider_redeemed' })
        .expect(201)
    ).body.id as string;
  const claim = async (payee: OrgSession, redemptionIds: string[]) =>
    (await t.http.post('/api/claims').set(auth(payee.token)).send({ redemptionIds, evidence: freshEvidence() }).expect(201)).body
      .id as string;
  const approve = async (claimId: string, body: object = {}) =>
    t.http
      .post(`/api/claims/${claimId}/approve`)
      .set(await t.as('bureau-ah'))
      .send(body)
      .expect(200);
  const settle = async () =>
    (
      await t.http
        .post('/api/settlements')
        .set(await t.as('bureau-ah'))
        .send({ regionCode: HEFEI })
        .expect(201)
    ).body as { id: string; totalFen: number };

  it('scripts the year: holds, captures, confirmations, a dispute, claims, two batches paid by the second reviewer, a revocation, sanctions', async () => {
    // R1 ent1 @ Shanghai TEM: 10 h held, 8 h used: 800,000 × 50% = 400,000
    const r1 = await hold(ent1, labSh, 10);
    await captureConfirmed(t, labSh.token, ent1.token, r1, 8);
    // R2 ent1 @ Hefei design, 2 items at home: 500,000 × (40% + 10%) = 250,000
    const r2 = await hold(ent1, labAh, 2);
    await captureConfirmed(t, labAh.token, ent1.token, r2, 2);
    // R3 ent2 @ Shanghai TEM, 3 h: 300,000 × 50% = 150,000 (its claim is rejected: it stays captured, unpaid)
    const r3 = await hold(ent2, labSh, 3);
    await captureConfirmed(t, labSh.token, ent2.token, r3, 3);
    // R4 ent2 @ Suzhou XPS, 10 samples captured (150,000), disputed, resolved at 6: 180,000 × 50% = 90,000
    const r4 = await hold(ent2, labJs, 10);
    await t.http.post(`/api/redemptions/${r4}/capture`).set(auth(labJs.token)).send({ actualQuantity: 10 }).expect(200);
    await t.http.post(`/api/redemptions/${r4}/dispute`).set(auth(ent2.token)).send({ reason: '实际检测 6 个样品' }).expect(200);
    await t.http
      .post(`/api/redemptions/${r4}/resolve`)
      .set(await t.as('bureau-ah'))
      .send({ actualQuantity: 6 })
      .expect(200);
    // R5 ent1 @ Shanghai TEM, 1 h, still held at year's report: 50,000 held
    await hold(ent1, labSh, 1);
    // RS ent-SH @ Hefei design, 1 item under Shanghai's policy: 250,000 × 40% = 100,000 (Anhui's inflow from Shanghai)
    const rs = await hold(entSh, labAh, 1);
    await captureConfirmed(t, labAh.token, entSh.token, rs, 1);
    // ent3's voucher is revoked: its 1,000,000 goes back to the budget
    await t.http
      .post(`/api/vouchers/${ent3.voucherId}/revoke`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '虚假申报材料' })
      .expect(200);

    // Claims: C1 400,000 approved; C2 250,000 approved at 200,000 (50,000 back to the budget); C3 150,000 rejected;
    // C4 90,000 approved later.
    const c1 = await claim(labSh, [r1]);
    const c2 = await claim(labAh, [r2]);
    const c3 = await claim(labSh, [r3]);
    const c4 = await claim(labJs, [r4]);
    await approve(c1);
    await approve(c2, { approvedFen: 200_000 });
    await t.http
      .post(`/api/claims/${c3}/reject`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '缺少服务报告' })
      .expect(200);

    // Sanctions of the year: Anhui's bureau sanctions ent3 (in force); Jiangsu's sanctions a Hefei-registered firm and
    // lifts it; Shanghai's sanctions a Shanghai firm (not Anhui's business).
    sanctioned = ent3.creditCode;
    await t.http
      .post('/api/sanctions')
      .set(await t.as('bureau-ah'))
      .send({ creditCode: ent3.creditCode, reason: '伪造检测报告骗取补贴' })
      .expect(201);
    const lifted = (
      await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-js'))
        .send({ creditCode: creditCodeIn(HEFEI), reason: '关联交易未披露' })
        .expect(201)
    ).body;
    await t.http
      .post(`/api/sanctions/${lifted.id}/lift`)
      .set(await t.as('bureau-js'))
      .send({})
      .expect(200);
    await t.http
      .post('/api/sanctions')
      .set(await t.as('bureau-sh'))
      .send({ creditCode: creditCodeIn(SH), reason: '重复申报' })
      .expect(201);
    // Anhui's sanctions a Hefei firm until today: ended on its own by the report (the clock moves 22 days below).
    await t.http
      .post('/api/sanctions')
      .set(await t.as('bureau-ah'))
      .send({ creditCode: creditCodeIn(HEFEI), reason: '逾期未整改', until: clock.today() })
      .expect(201);

    // Batch 1 (C1 + C2 = 600,000) paid two days after capture; batch 2 (C4 = 90,000) 22 days after.
    const first = await settle();
    expect(first.totalFen).toBe(600_000);
    clock.travel(2 * DAY_MS);
    await paySettlement(t, HEFEI, first.id);
    await approve(c4);
    const second = await settle();
    expect(second.totalFen).toBe(90_000);
    clock.travel(20 * DAY_MS);
    await paySettlement(t, HEFEI, second.id);
  });

  it('answers the CSV with the figures worked out by hand', async () => {
    const csv = await csvOf(await t.token('bureau-ah'), AH);
    const fen = (k: string) => Number(csv[k].amountFen);
    const count = (k: string) => Number(csv[k].count);

    // Budget: 8,000,000 granted, 1,050,000 given back (revocation 1,000,000, claim cut 50,000): 6,950,000 committed.
    // Vouchers: ent1 4,300,000 available, ent2 1,760,000, ent3 0; 50,000 held (R5); paid 400,000 + 200,000 + 90,000;
    // captured and unpaid: R3's 150,000.
    expect({
      budget: fen('budget.budgetFen'),
      available: fen('budget.availableFen'),
      committed: fen('budget.committedFen'),
      voucherAvailable: fen('budget.voucherAvailableFen'),
      held: fen('budget.heldFen'),
      captured: fen('budget.capturedFen'),
      paid: fen('budget.paidFen'),
    }).toEqual({
      budget: 1_000_000_000,
      available: 993_050_000,
      committed: 6_950_000,
      voucherAvailable: 6_060_000,
      held: 50_000,
      captured: 150_000,
      paid: 690_000,
    });
    expect(csv['budget.budgetFen']).toMatchObject({ label: '年度预算总额', amountYuan: '10000000.00' });
    expect([csv['claims.approved'].label, csv['claims.cut'].label]).toEqual(['核定', '核定时核减']);

    // Vouchers: 3 issued (8,000,000 face), 2 used; spent 600,000 (ent1) + 240,000 (ent2); 2 active, 1 revoked.
    expect([count('vouchers.issued'), fen('vouchers.issued'), count('vouchers.used'), fen('vouchers.used')]).toEqual([
      3, 8_000_000, 2, 840_000,
    ]);
    expect(fen('vouchers.releasedFen')).toBe(1_050_000);
    expect(['active', 'exhausted', 'expired', 'revoked'].map((s) => count(`vouchers.${s}`))).toEqual([2, 0, 0, 1]);

    // Flows out, by the subsidy the labs keep (captured, less what review cut): Shanghai R1 + R3 = 550,000 in 2; Jiangsu
    // R4 90,000; home R2 200,000 (250,000 captured, C2 cut 50,000 back to the budget); Zhejiang none.
    expect(['310000', '320000', '330000', '340000'].map((p) => [count(`flows_out.${p}`), fen(`flows_out.${p}`)])).toEqual([
      [2, 550_000],
      [1, 90_000],
      [0, 0],
      [1, 200_000],
    ]);
    expect(csv['flows_out.310000'].label).toBe('安徽省→上海市');
    // Flows in, at Anhui's labs: its own R2 (as cut) and Shanghai's RS (100,000).
    expect([count('flows_in.310000'), fen('flows_in.310000'), count('flows_in.340000'), fen('flows_in.340000')]).toEqual([
      1, 100_000, 1, 200_000,
    ]);

    // The most used facilities: the Shanghai TEM (R1 8 h + R3 3 h), the Hefei design (2 items), the Suzhou XPS (6).
    expect(
      [1, 2, 3].map((i) => [
        csv[`top_facilities.${i}`].label,
        count(`top_facilities.${i}`),
        csv[`top_facilities.${i}`].value,
        fen(`top_facilities.${i}`),
      ]),
    ).toEqual([
      ['场发射透射电镜机时（上海微系统所分析测试中心，上海市）', 2, '11', 550_000],
      ['精密结构设计（合肥大科学装置设计服务中心，安徽省）', 1, '2', 200_000],
      ['X射线光电子能谱检测（苏州纳米所测试分析平台，江苏省）', 1, '6', 90_000],
    ]);
    expect(csv['top_facilities.4']).toBeUndefined();

    // Capture to payment: R1 and R2 two days, R4 twenty-two: median (2nd of 3) ≈ 48 h, p90 ≈ 528 h.
    expect(count('capture_to_payment.count')).toBe(3);
    expect(Number(csv['capture_to_payment.medianHours'].value)).toBeCloseTo(48, 0);
    expect(Number(csv['capture_to_payment.p90Hours'].value)).toBeCloseTo(528, 0);
    expect([1, 2, 3, 4].map((i) => count(`capture_to_payment.bucket${i}`))).toEqual([2, 1, 0, 0]);

    // Claims: 4 for 890,000; 3 approved for 690,000, one of them cut by 50,000; 1 rejected (150,000); none pending.
    // The amounts add up: claimed = approved + cut + rejected + pending.
    expect([count('claims.submitted'), fen('claims.submitted')]).toEqual([4, 890_000]);
    expect([count('claims.approved'), fen('claims.approved')]).toEqual([3, 690_000]);
    expect([count('claims.cut'), fen('claims.cut')]).toEqual([1, 50_000]);
    expect([count('claims.rejected'), fen('claims.rejected')]).toEqual([1, 150_000]);
    expect([count('claims.pending'), fen('claims.pending')]).toEqual([0, 0]);
    expect(fen('claims.approved') + fen('claims.cut') + fen('claims.rejected') + fen('claims.pending')).toBe(fen('claims.submitted'));
    // Disputes: one raised and resolved keeping the capture.
    expect(['raised', 'open', 'resolved', 'annulled'].map((k) => count(`disputes.${k}`))).toEqual([1, 0, 1, 0]);
    // Sanctions concerning Anhui: ent3's (in force), the lifted one on a Hefei firm and the one that ended; not
    // Shanghai's. Each is counted under one status, so the three add up to those recorded.
    expect(['recorded', 'inForce', 'lifted', 'ended'].map((k) => count(`sanctions.${k}`))).toEqual([3, 1, 1, 1]);
    expect(csv['sanctions.ended'].label).toBe('已到期');
  });

  it('reconciles with the statistics routes and the ledger', async () => {
    const bureau = await t.token('bureau-ah');
    const csv = await csvOf(bureau, AH);
    const stats = (await t.http.get(`/api/stats/regions/${AH}?year=${year}`).set(auth(bureau)).expect(200)).body;
    for (const k of ['budgetFen', 'availableFen', 'committedFen', 'voucherAvailableFen', 'heldFen', 'capturedFen', 'paidFen']) {
      expect([k, Number(csv[`budget.${k}`].amountFen)]).toEqual([k, stats[k]]);
    }
    expect(Number(csv['vouchers.issued'].count)).toBe(stats.vouchers);
    expect(Number(csv['capture_to_payment.count'].count)).toBe(stats.captureToPaymentHours.count);
    expect(Number(csv['capture_to_payment.medianHours'].value)).toBe(stats.captureToPaymentHours.median);
    expect(Number(csv['capture_to_payment.p90Hours'].value)).toBe(stats.captureToPaymentHours.p90);
    // committed = voucher balances + held + captured + paid; budget = available + committed
    const f = (k: string) => Number(csv[`budget.${k}`].amountFen);
    expect(f('voucherAvailableFen') + f('heldFen') + f('capturedFen') + f('paidFen')).toBe(f('committedFen'));
    expect(f('availableFen') + f('committedFen')).toBe(f('budgetFen'));
    // What flowed out to the labs is what the vouchers spent: captured and paid, after review cut C2 by 50,000 (the cut
    // went back to the budget, so it flowed nowhere); and the facilities' figures are the same money.
    const flowsOut = ['310000', '320000', '330000', '340000'].reduce((sum, p) => sum + Number(csv[`flows_out.${p}`].amountFen), 0);
    expect(flowsOut).toBe(f('capturedFen') + f('paidFen'));
    expect(flowsOut).toBe(Number(csv['vouchers.used'].amountFen));

    const flows = (
      await t.http
        .get(`/api/stats/flows?year=${year}`)
        .set(await t.as('platform'))
        .expect(200)
    ).body.flows as {
      fromProvinceCode: string;
      toProvinceCode: string;
      count: number;
      capturedFen: number;
    }[];
    for (const flow of flows.filter((x) => x.fromProvinceCode === AH)) {
      expect([flow.count, flow.capturedFen]).toEqual([
        Number(csv[`flows_out.${flow.toProvinceCode}`].count),
        Number(csv[`flows_out.${flow.toProvinceCode}`].amountFen),
      ]);
    }
    for (const flow of flows.filter((x) => x.toProvinceCode === AH)) {
      expect(flow.capturedFen).toBe(Number(csv[`flows_in.${flow.fromProvinceCode}`].amountFen));
    }

    // The ledger: what the budget lost is what the vouchers hold; every balance re-derived from the transfers.
    const ledger = (
      await t.http
        .get('/api/ledger/check')
        .set(await t.as('platform'))
        .expect(200)
    ).body;
    expect(ledger).toMatchObject({ balanced: true, violations: [] });
    const budget = (await t.http.get(`/api/budgets/${HEFEI}/${year}`).set(auth(bureau)).expect(200)).body;
    expect([budget.totalFen, budget.availableFen, budget.committedFen]).toEqual([f('budgetFen'), f('availableFen'), f('committedFen')]);
  });

  it('gives a city’s report to its province’s bureau and every report to the platform; the city has no inflow section', async () => {
    const city = await csvOf(await t.token('bureau-ah'), HEFEI);
    expect(Number(city['budget.committedFen'].amountFen)).toBe(6_950_000);
    expect(Object.keys(city).some((k) => k.startsWith('flows_in.'))).toBe(false);
    const cityText = pdfText(await pdfOf(await t.token('bureau-ah'), HEFEI), `annual-report-${HEFEI}`);
    expect(cityText).toContain(`合肥市${year}年`);
    expect(cityText).toContain('合肥市创新券在各省的使用（流出）');
    expect(cityText).not.toContain('（流入）');
    const platform = await csvOf(await t.token('platform'), AH);
    expect(Number(platform['budget.paidFen'].amountFen)).toBe(690_000);
    // Shanghai's own report holds only its voucher: 100,000 spent at the Hefei lab, all of it cross-province.
    const shanghai = await csvOf(await t.token('platform'), SH);
    expect([Number(shanghai['vouchers.issued'].count), Number(shanghai['flows_out.340000'].amountFen)]).toEqual([1, 100_000]);
    // Its one voucher passed its last day while the clock moved 22 days: expired, whether or not the sweep closed it yet.
    expect([Number(shanghai['vouchers.active'].count), Number(shanghai['vouchers.expired'].count)]).toEqual([0, 1]);
    expect(Number(shanghai['sanctions.recorded'].count)).toBe(1);
  });

  it('renders a Chinese PDF whose text shows the headings and the figures', async () => {
    const pdf = await pdfOf(await t.token('bureau-ah'), AH);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(pdf, `annual-report-${AH}-${isMaria() ? 'mariadb' : 'sqlite'}`);
    for (const heading of [
      '安徽省科学技术厅',
      `安徽省${year}年\n`, // the title's first line; the second:
      '科技创新券年度报告',
      '一、预算及其构成',
      '二、创新券发放与使用',
      '三、跨省流向',
      '四、使用最多的十台设施',
      '五、从核销到支付',
      '六、审核、异议与失信惩戒',
    ]) {
      expect(text).toContain(heading);
    }
    // Budget split, vouchers, flows, facilities, payment times, claims and sanctions, as printed.
    expect(text).toMatch(/年度预算总额.*10,000,000\.00/);
    expect(text).toMatch(/已支付\s+paid\s+6,900\.00/);
    expect(text).toMatch(/已核销待支付.*1,500\.00/);
    expect(text).toMatch(/发放创新券（面值）\s+3\s+80,000\.00/);
    expect(text).toContain('5,500.00'); // the Shanghai bar of the outflow chart
    expect(text).toContain('场发射透射电镜机时');
    expect(text).toMatch(/2\s*次\s*·\s*11\s*机时/);
    expect(text).toMatch(/7天以内\s+2\s*笔/);
    expect(text).toMatch(/其中驳回（申报额）\s+1\s+1,500\.00/);
    expect(text).toMatch(/其中核定（核定额）\s+3\s+6,900\.00/);
    expect(text).toMatch(/核定时核减（申报额与核定额之差）\s+1\s+500\.00/);
    expect(text).not.toContain('核准'); // the API and the statements say 核定
    expect(text).toContain(sanctioned);
    expect(text).toContain('失信惩戒：本年度记录 3 条，执行中 1 条，已解除 1 条，已到期 1 条');
    expect(text.replace(/\s+/g, '')).toContain('兑付申报按提交日期（北京时间）计入年度，创新券按预算年度计入');
    expect(text).toMatch(/第 1 页 \/ 共 \d 页/);
    // one way to name the report: in the running header of later pages and in every footer
    expect(text).toContain(`安徽省${year}年科技创新券年度报告（续）`);
    expect(text).toContain(`安徽省科学技术厅 · 安徽省${year}年科技创新券年度报告`);
    expect(text).not.toMatch(new RegExp(`${year} 年度\\s*$|${year} 科技创新券`, 'm'));
    // written for people: the service's terms (冻结, 兑付申报), no API paths or field names
    expect(text).toMatch(/冻结中\s+held/);
    expect(text).not.toMatch(/\/api\/|captureToPaymentHours|预占|申领额/);

    // The pages as images, for a person to look at (test-output/annual-report/*.png).
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '80',
      join(OUT, `annual-report-${AH}-${isMaria() ? 'mariadb' : 'sqlite'}.pdf`),
      join(OUT, 'page'),
    ]);
    expect(readdirSync(OUT).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps each facility’s usage exact through a dispute annulled and a claim rejected for good, and counts both disputes', async () => {
    // R6 ent2 @ Suzhou XPS, 4 samples captured (60,000), disputed, resolved at 0: annulled, no longer a use.
    const r6 = await hold(ent2, labJs, 4);
    await t.http.post(`/api/redemptions/${r6}/capture`).set(auth(labJs.token)).send({ actualQuantity: 4 }).expect(200);
    await t.http.post(`/api/redemptions/${r6}/dispute`).set(auth(ent2.token)).send({ reason: '未实际检测' }).expect(200);
    await t.http
      .post(`/api/redemptions/${r6}/resolve`)
      .set(await t.as('bureau-ah'))
      .send({ actualQuantity: 0 })
      .expect(200);
    // R7 ent1 @ Shanghai TEM, 2 h captured, claimed and rejected for good: annulled too.
    const r7 = await hold(ent1, labSh, 2);
    await captureConfirmed(t, labSh.token, ent1.token, r7, 2);
    const c7 = await claim(labSh, [r7]);
    await t.http
      .post(`/api/claims/${c7}/reject`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '发票经核查为伪造', final: true })
      .expect(200);
    // R8 ent1 @ Hefei design, 1 item: a second use of it (250,000 × 50% = 125,000).
    const r8 = await hold(ent1, labAh, 1);
    await captureConfirmed(t, labAh.token, ent1.token, r8, 1);

    const drift = await facilityUsageDrift(t);
    expect(drift.kept).toEqual(drift.actual);
    const csv = await csvOf(await t.token('bureau-ah'), AH);
    const count = (k: string) => Number(csv[k].count);
    expect(
      [1, 2, 3].map((i) => [count(`top_facilities.${i}`), csv[`top_facilities.${i}`].value, Number(csv[`top_facilities.${i}`].amountFen)]),
    ).toEqual([
      [2, '11', 550_000],
      [2, '3', 325_000],
      [1, '6', 90_000],
    ]);
    expect(['raised', 'open', 'resolved', 'annulled'].map((k) => count(`disputes.${k}`))).toEqual([2, 0, 1, 1]);
    expect(await t.ledgerCheck()).toMatchObject({ balanced: true, violations: [] });
  });

  describe('who may call it and what input it takes', () => {
    it('refuses enterprises, providers, another province’s bureau and anonymous callers', async () => {
      const q = `regionCode=${AH}&year=${year}`;
      for (const token of [ent1.token, labAh.token, await t.token('bureau-js'), await t.token('bureau-sh')]) {
        expect((await report(token, q).expect(403)).body.code).toBe('FORBIDDEN');
      }
      // Another province's bureau is refused the CSV too, and a city outside its province.
      expect((await report(await t.token('bureau-js'), `regionCode=${HEFEI}&year=${year}&format=csv`).expect(403)).body.code).toBe(
        'FORBIDDEN',
      );
      expect((await t.http.get(`/api/reports/annual?${q}`).expect(401)).body.code).toBe('UNAUTHENTICATED');
      // Jiangsu's bureau reads its own.
      await report(await t.token(bureauFor(JS)), `regionCode=${JS}&year=${year}&format=csv`).expect(200);
    });

    it.each([
      ['', 'regionCode'],
      [`regionCode=999999&year=2026`, 'regionCode'],
      [`regionCode=${AH}`, 'year'],
      [`regionCode=${AH}&year=20x6`, 'year'],
      [`regionCode=${AH}&year=1999`, 'year'],
      [`regionCode=${AH}&year=2026&format=xlsx`, 'format'],
      [`regionCode=${AH}&year=2026&province=${SH}`, 'province'],
    ])('answers 400 naming the field for "%s"', async (query, field) => {
      const res = await report(await t.token('bureau-ah'), query).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
    });

    it('answers an empty year with zeros, not an error', async () => {
      const csv = await csvOf(await t.token('platform'), '330000');
      expect([csv['budget.budgetFen'].amountFen, csv['vouchers.issued'].count, csv['top_facilities.1']]).toEqual(['0', '0', undefined]);
      const pdf = await pdfOf(await t.token('platform'), '330000');
      const text = pdfText(pdf, 'annual-report-330000-empty');
      expect(text).toContain('本年度暂无核销记录');
      expect(text).toContain('本年度暂无数据');
    });

    it('documents the route: summary, description, PDF and CSV answers, its error codes', async () => {
      const op = (await t.http.get('/docs-json').expect(200)).body.paths['/api/reports/annual'].get;
      expect(op.summary).toMatch(/annual report/);
      expect(op.description).toMatch(/403/);
      expect(Object.keys(op.responses['200'].content)).toEqual(expect.arrayContaining(['application/pdf', 'text/csv']));
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
    });
  });
});

describeRaces('the annual report while vouchers are spent', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  it('adds up in every answer while captures commit: balances + held + captured + paid = committed, flows out = captured + paid', async () => {
    const year = clock.year();
    await openRegion(t, JS);
    const lab = await t.registerProvider('320500');
    const facility = { name: '扫描电镜 机时', category: 'testing', unit: 'hour', unitPriceFen: 10_000 };
    const facilityId = (await t.http.post('/api/facilities').set(auth(lab.token)).send(facility).expect(201)).body.id;
    const holds: string[] = [];
    for (let e = 0; e < 6; e++) {
      const enterprise = await t.registerEnterprise(JS);
      const voucher = await issueVoucher(t, enterprise.token, 1_000_000);
      for (let h = 0; h < 10; h++) {
        const held = await t.http
          .post('/api/redemptions')
          .set(auth(enterprise.token))
          .send({ voucherId: voucher.id, facilityId, quantity: 1 })
          .expect(201);
        holds.push(held.body.id);
      }
    }
    const bureau = await t.token('bureau-js');
    let capturing = true;
    const captures = (async () => {
      for (let i = 0; i < holds.length; i += 6) {
        await Promise.all(
          holds
            .slice(i, i + 6)
            .map((id) => t.http.post(`/api/redemptions/${id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(200)),
        );
      }
      capturing = false;
    })();
    const answers: Record<string, number>[] = [];
    while (capturing) {
      const csv = byKey(
        (await t.http.get(`/api/reports/annual?regionCode=${JS}&year=${year}&format=csv`).set(auth(bureau)).expect(200)).text,
      );
      const f = (k: string) => Number(csv[k].amountFen);
      answers.push({
        balances: f('budget.voucherAvailableFen') + f('budget.heldFen') + f('budget.capturedFen') + f('budget.paidFen'),
        committed: f('budget.committedFen'),
        flowsOut: ['310000', '320000', '330000', '340000'].reduce((sum, p) => sum + f(`flows_out.${p}`), 0),
        spent: f('budget.capturedFen') + f('budget.paidFen'),
      });
    }
    await captures;
    expect(answers.length).toBeGreaterThan(2);
    for (const a of answers) expect([a.balances, a.flowsOut]).toEqual([a.committed, a.spent]);
    // Sixty captures of one facility for one region, six at a time, each added to its one facility_usage row.
    const drift = await facilityUsageDrift(t);
    expect(drift.kept).toEqual(drift.actual);
    expect(drift.kept).toEqual([`${year} ${JS} ${facilityId} 60 60 600000 300000`]);
  }, 120_000);
});
