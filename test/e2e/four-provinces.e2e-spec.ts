import { writeFileSync } from 'node:fs';
import { clock } from '../../src/common/clock';
import { openRegion, issueVoucher, bureauFor, policyBody, secondReviewerFor } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

const [SH, JS, ZJ, AH] = ['310000', '320000', '330000', '340000'];
const HEFEI = '340100';

/**
 * Vouchers of all four provinces used across the region and at home, in both modes, confirmed (one disputed and
 * resolved), claimed, decided (one by two reviewers), settled, paid and cleared. Every figure below is worked out by
 * hand in the comments.
 *
 * Policies: 50% for testing and r_and_d, 40% for design; Anhui (issued by Hefei) adds a 10% local bonus.
 * Shanghai settles monthly, the others quarterly. Jiangsu takes two reviewers for approvals of ¥3,000 or more.
 */
describe('four provinces: claims, settlement and clearing', () => {
  let t: TestApp;
  const lab = {} as Record<'SH' | 'JS' | 'ZJ' | 'AH', OrgSession & { facilityId: string }>;
  const ent = {} as Record<'SH' | 'JS' | 'ZJ' | 'AH', OrgSession & { voucherId: string }>;
  const today = clock.today();
  const quarter = `${today.slice(0, 4)}-Q${Math.ceil(Number(today.slice(5, 7)) / 3)}`;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI, { policy: { localBonusBp: 1000 } });
    await openRegion(t, JS);
    await openRegion(t, ZJ);
    await openRegion(t, SH, { policy: { settlementCycle: 'monthly' } });

    const labs = {
      SH: ['310000', '上海微系统所分析测试中心', { name: '场发射透射电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 100_000 }],
      JS: ['320500', '苏州纳米所测试分析平台', { name: 'X射线光电子能谱检测', category: 'testing', unit: 'sample', unitPriceFen: 30_000 }],
      ZJ: ['330100', '之江实验室智能计算平台', { name: 'GPU 集群研发机时', category: 'r_and_d', unit: 'hour', unitPriceFen: 80_000 }],
      AH: ['340100', '合肥大科学装置设计服务中心', { name: '精密结构设计', category: 'design', unit: 'item', unitPriceFen: 250_000 }],
    } as const;
    for (const [key, [region, name, facility]] of Object.entries(labs)) {
      const session = await t.registerProvider(region, { name });
      const res = await t.http.post('/api/facilities').set(auth(session.token)).send(facility).expect(201);
      lab[key as keyof typeof lab] = { ...session, facilityId: res.body.id };
    }
    const enterprises = {
      SH: ['310000', '上海启明新材料科技有限公司'],
      JS: ['320500', '苏州微纳传感科技有限公司'],
      ZJ: ['330100', '杭州智元生物医药有限公司'],
      AH: ['340100', '合肥量子芯科技有限公司'],
    };
    for (const [key, [region, name]] of Object.entries(enterprises)) {
      const session = await t.registerEnterprise(region, { name });
      const voucher = await issueVoucher(t, session.token, 5_000_000);
      ent[key as keyof typeof ent] = { ...session, voucherId: voucher.id };
    }
    // Then Jiangsu takes two reviewers from ¥3,000, for the vouchers issued before too; nothing is approved at once.
    await t.http
      .post('/api/policies')
      .set(auth(await t.token(bureauFor(JS))))
      .send(policyBody(JS, { dualControlFen: 300_000, autoApproveMaxFen: 0 }))
      .expect(201);
  });
  afterAll(() => t.close());

  /**
   * Holds `quantity` at a lab, which captures `actual` (default: all of it), and the enterprise confirms the usage
   * (unless `confirm` is false); returns the captured redemption.
   */
  async function redeem(e: keyof typeof ent, l: keyof typeof lab, quantity: number, mode: string, actual = quantity, confirm = true) {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(ent[e].token))
      .send({ voucherId: ent[e].voucherId, facilityId: lab[l].facilityId, quantity, mode })
      .expect(201);
    const captured = await t.http
      .post(`/api/redemptions/${held.body.id}/capture`)
      .set(auth(lab[l].token))
      .send({ actualQuantity: actual })
      .expect(200);
    expect(captured.body.usage).toBe('pending');
    if (confirm) {
      const confirmed = await t.http.post(`/api/redemptions/${held.body.id}/confirm`).set(auth(ent[e].token)).expect(200);
      expect(confirmed.body.usage).toBe('confirmed');
    }
    return captured.body as { id: string; subsidyFen: number; capturedSubsidyFen: number; issuingRegionCode: string };
  }
  const claim = async (payee: OrgSession, redemptionIds: string[], no: string) =>
    (
      await t.http
        .post('/api/claims')
        .set(auth(payee.token))
        .send({
          redemptionIds,
          evidence: { contractNo: `HT-${no}`, invoiceNo: `FP-${no}`, paymentProofRef: `BANK-${no}`, reportRef: `RPT-${no}` },
        })
        .expect(201)
    ).body;
  const approve = async (region: string, claimId: string, approvedFen?: number, reviewer = bureauFor(region), status = 200) =>
    (
      await t.http
        .post(`/api/claims/${claimId}/approve`)
        .set(auth(await t.token(reviewer)))
        .send(approvedFen === undefined ? {} : { approvedFen })
        .expect(status)
    ).body;
  /** Lines keyed by payee, so the assertions do not depend on how each database collates Chinese names. */
  const linesByPayee = (lines: { payeeId: string }[]) => Object.fromEntries(lines.map((l) => [l.payeeId, l]));
  /** Every payee has its account on file (TestApp.register), and its line carries it: no line without one is prepared. */
  const onFile = { payeeBankName: '中国工商银行合肥科技支行', payeeBankAccount: expect.stringMatching(/^6222\d+$/) };

  it('runs the whole cycle and clears it to three transfers', async () => {
    // --- Redemptions (fee = price × quantity; subsidy = floor(fee × ratio)) ---
    // R1 AH@SH lab, 10 h held (1,000,000 × 50% = 500,000), 8 h used, provider_redeemed: 8 × 100,000 = 800,000 × 50%
    // = 400,000 captured; the held figures stay on the record beside it
    const r1 = await redeem('AH', 'SH', 10, 'provider_redeemed', 8);
    expect(r1).toMatchObject({ subsidyFen: 500_000, capturedSubsidyFen: 400_000, issuingRegionCode: HEFEI });
    // R2 AH@AH lab, 3 items, provider_redeemed, at home: 750,000 × (40% + 10% bonus) = 375,000
    const r2 = await redeem('AH', 'AH', 3, 'provider_redeemed');
    expect(r2.capturedSubsidyFen).toBe(375_000);
    // R3 AH@JS lab, 5 samples, enterprise_reimbursed: 150,000 × 50% = 75,000, paid to the enterprise
    const r3 = await redeem('AH', 'JS', 5, 'enterprise_reimbursed');
    expect(r3.capturedSubsidyFen).toBe(75_000);
    // R4 JS@SH lab, 6 h: 600,000 × 50% = 300,000; R11 JS@SH lab, 2 h: 200,000 × 50% = 100,000
    const r4 = await redeem('JS', 'SH', 6, 'provider_redeemed');
    const r11 = await redeem('JS', 'SH', 2, 'provider_redeemed');
    expect([r4.capturedSubsidyFen, r11.capturedSubsidyFen]).toEqual([300_000, 100_000]);
    // R5 JS@ZJ lab, 5 h r_and_d: 400,000 × 50% = 200,000
    const r5 = await redeem('JS', 'ZJ', 5, 'provider_redeemed');
    expect(r5.capturedSubsidyFen).toBe(200_000);
    // R6 ZJ@AH lab, 4 items design: 1,000,000 × 40% = 400,000; R7 ZJ@JS lab, 10 samples captured: 300,000 × 50% =
    // 150,000, but the Hangzhou enterprise disputes it (8 samples were tested) and Zhejiang's bureau resolves it at 8:
    // 240,000 × 50% = 120,000, the other 30,000 back on the Zhejiang voucher
    const r6 = await redeem('ZJ', 'AH', 4, 'provider_redeemed');
    const r7 = await redeem('ZJ', 'JS', 10, 'provider_redeemed', 10, false);
    expect([r6.capturedSubsidyFen, r7.capturedSubsidyFen]).toEqual([400_000, 150_000]);
    await t.http.post(`/api/redemptions/${r7.id}/dispute`).set(auth(ent.ZJ.token)).send({ reason: '实际检测 8 个样品' }).expect(200);
    const resolved = await t.http
      .post(`/api/redemptions/${r7.id}/resolve`)
      .set(auth(await t.token('bureau-zj')))
      .send({ actualQuantity: 8 })
      .expect(200);
    expect(resolved.body).toMatchObject({ usage: 'confirmed', capturedQuantity: 8, capturedFeeFen: 240_000, capturedSubsidyFen: 120_000 });
    // The Zhejiang voucher: 5,000,000 − 400,000 (R6) − 120,000 (R7) = 4,480,000 available
    const zjVoucher = (await t.http.get(`/api/vouchers/${ent.ZJ.voucherId}`).set(auth(ent.ZJ.token)).expect(200)).body;
    expect(zjVoucher).toMatchObject({ availableFen: 4_480_000, heldFen: 0, spentFen: 520_000 });
    // R8 SH@AH lab, 2 items: 500,000 × 40% = 200,000; R9 SH@SH lab, 3 h at home: 300,000 × 50% = 150,000;
    // R10 SH@ZJ lab, 2 h enterprise_reimbursed: 160,000 × 50% = 80,000
    const r8 = await redeem('SH', 'AH', 2, 'provider_redeemed');
    const r9 = await redeem('SH', 'SH', 3, 'provider_redeemed');
    const r10 = await redeem('SH', 'ZJ', 2, 'enterprise_reimbursed');
    expect([r8.capturedSubsidyFen, r9.capturedSubsidyFen, r10.capturedSubsidyFen]).toEqual([200_000, 150_000, 80_000]);

    // --- Claims by the payees, decided by the issuing bureaus ---
    const c1 = await claim(lab.SH, [r1.id], 'AH-1');
    const c2 = await claim(lab.AH, [r2.id], 'AH-2');
    const c3 = await claim(ent.AH, [r3.id], 'AH-3');
    const c4 = await claim(lab.SH, [r4.id, r11.id], 'JS-4');
    expect(c4).toMatchObject({
      status: 'submitted',
      claimantId: lab.SH.organizationId,
      issuingRegionCode: JS,
      claimedFen: 400_000,
      redemptionIds: [r4.id, r11.id],
    });
    const c5 = await claim(lab.ZJ, [r5.id], 'JS-5');
    const c6 = await claim(lab.AH, [r6.id], 'ZJ-6');
    const c7 = await claim(lab.JS, [r7.id], 'ZJ-7');
    const c8 = await claim(lab.AH, [r8.id], 'SH-8');
    const c9 = await claim(lab.SH, [r9.id], 'SH-9');
    const c10 = await claim(ent.SH, [r10.id], 'SH-10');

    // The Hefei claims are decided by Anhui's provincial bureau, which covers its cities.
    for (const c of [c1, c2, c3]) await approve(HEFEI, c.id);
    // C4 is approved at 350,000 of 400,000: R4 keeps its 300,000, R11 gets the remaining 50,000,
    // and the 50,000 cut leaves the Jiangsu voucher's spent balance for the Jiangsu budget.
    const jsBudgetBefore = (
      await t.http
        .get(`/api/budgets/${JS}/${clock.year()}`)
        .set(auth(await t.token('bureau-js')))
        .expect(200)
    ).body;
    // 350,000 is above Jiangsu's dual-control threshold of 300,000: the first reviewer's approval only marks it, the
    // second reviewer completes it; nothing moves in between.
    expect(await approve(JS, c4.id, 350_000, bureauFor(JS), 202)).toMatchObject({
      status: 'awaiting_second_approval',
      firstApprovedFen: 350_000,
    });
    const jsBudgetBetween = (
      await t.http
        .get(`/api/budgets/${JS}/${clock.year()}`)
        .set(auth(await t.token('bureau-js')))
        .expect(200)
    ).body;
    expect(jsBudgetBetween).toEqual(jsBudgetBefore);
    expect(await approve(JS, c4.id, undefined, secondReviewerFor(JS))).toMatchObject({
      status: 'approved',
      claimedFen: 400_000,
      approvedFen: 350_000,
    });
    const jsBudgetAfter = (
      await t.http
        .get(`/api/budgets/${JS}/${clock.year()}`)
        .set(auth(await t.token('bureau-js')))
        .expect(200)
    ).body;
    expect(jsBudgetAfter.availableFen - jsBudgetBefore.availableFen).toBe(50_000);
    expect(jsBudgetBefore.committedFen - jsBudgetAfter.committedFen).toBe(50_000);
    // The Jiangsu voucher spent 300,000 + 100,000 + 200,000 = 600,000; 50,000 of it is released: 550,000 spent.
    const jsVoucher = (await t.http.get(`/api/vouchers/${ent.JS.voucherId}`).set(auth(ent.JS.token)).expect(200)).body;
    expect(jsVoucher).toMatchObject({
      faceValueFen: 5_000_000,
      spentFen: 550_000,
      releasedFen: 50_000,
      availableFen: 4_400_000,
      heldFen: 0,
    });

    // C5 is rejected for a missing report; R5 is claimable again and the new claim is approved in full.
    const rejected = await t.http
      .post(`/api/claims/${c5.id}/reject`)
      .set(auth(await t.token('bureau-js')))
      .send({ reason: '缺少服务报告' })
      .expect(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reason: '缺少服务报告' });
    const c5b = await claim(lab.ZJ, [r5.id], 'JS-5b');
    await approve(JS, c5b.id);
    for (const c of [c6, c7]) await approve(ZJ, c.id);
    for (const c of [c8, c9, c10]) await approve(SH, c.id);

    // --- Settlement: one batch per issuing region, one line per payee ---
    const settle = async (regionCode: string) =>
      (
        await t.http
          .post('/api/settlements')
          .set(auth(await t.token(bureauFor(regionCode))))
          .send({ regionCode })
          .expect(201)
      ).body;
    const ah = await settle(HEFEI);
    const js = await settle(JS);
    const zj = await settle(ZJ);
    const sh = await settle(SH);

    // Hefei: SH lab 400,000 + AH lab 375,000 + AH enterprise 75,000 = 850,000
    expect(ah).toMatchObject({ regionCode: HEFEI, status: 'open', periodLabel: quarter, totalFen: 850_000 });
    expect(linesByPayee(ah.lines)).toEqual({
      [lab.SH.organizationId]: {
        payeeId: lab.SH.organizationId,
        payeeName: '上海微系统所分析测试中心',
        payeeProvinceCode: SH,
        ...onFile,
        issuingProvinceCode: AH,
        amountFen: 400_000,
        claimIds: [c1.id],
      },
      [lab.AH.organizationId]: {
        payeeId: lab.AH.organizationId,
        payeeName: '合肥大科学装置设计服务中心',
        payeeProvinceCode: AH,
        ...onFile,
        issuingProvinceCode: AH,
        amountFen: 375_000,
        claimIds: [c2.id],
      },
      [ent.AH.organizationId]: {
        payeeId: ent.AH.organizationId,
        payeeName: '合肥量子芯科技有限公司',
        payeeProvinceCode: AH,
        ...onFile,
        issuingProvinceCode: AH,
        amountFen: 75_000,
        claimIds: [c3.id],
      },
    });
    // Jiangsu: SH lab 350,000 (the reduced C4) + ZJ lab 200,000 (the re-claim, not the rejected C5) = 550,000
    expect(js).toMatchObject({ regionCode: JS, periodLabel: quarter, totalFen: 550_000 });
    expect(linesByPayee(js.lines)).toEqual({
      [lab.SH.organizationId]: expect.objectContaining({
        payeeProvinceCode: SH,
        ...onFile,
        issuingProvinceCode: JS,
        amountFen: 350_000,
        claimIds: [c4.id],
      }),
      [lab.ZJ.organizationId]: expect.objectContaining({
        payeeProvinceCode: ZJ,
        ...onFile,
        issuingProvinceCode: JS,
        amountFen: 200_000,
        claimIds: [c5b.id],
      }),
    });
    // Zhejiang: AH lab 400,000 + JS lab 120,000 (R7 as resolved) = 520,000
    expect(zj).toMatchObject({ regionCode: ZJ, periodLabel: quarter, totalFen: 520_000 });
    expect(linesByPayee(zj.lines)).toEqual({
      [lab.AH.organizationId]: expect.objectContaining({
        payeeProvinceCode: AH,
        ...onFile,
        issuingProvinceCode: ZJ,
        amountFen: 400_000,
        claimIds: [c6.id],
      }),
      [lab.JS.organizationId]: expect.objectContaining({
        payeeProvinceCode: JS,
        ...onFile,
        issuingProvinceCode: ZJ,
        amountFen: 120_000,
        claimIds: [c7.id],
      }),
    });
    // Shanghai (monthly): AH lab 200,000 + SH lab 150,000 + SH enterprise 80,000 = 430,000
    expect(sh).toMatchObject({ regionCode: SH, periodLabel: today.slice(0, 7), totalFen: 430_000 });
    expect(linesByPayee(sh.lines)).toEqual({
      [lab.AH.organizationId]: expect.objectContaining({
        payeeProvinceCode: AH,
        ...onFile,
        issuingProvinceCode: SH,
        amountFen: 200_000,
        claimIds: [c8.id],
      }),
      [lab.SH.organizationId]: expect.objectContaining({
        payeeProvinceCode: SH,
        ...onFile,
        issuingProvinceCode: SH,
        amountFen: 150_000,
        claimIds: [c9.id],
      }),
      [ent.SH.organizationId]: expect.objectContaining({
        payeeProvinceCode: SH,
        ...onFile,
        issuingProvinceCode: SH,
        amountFen: 80_000,
        claimIds: [c10.id],
      }),
    });

    // Every claim now points at its batch.
    const c4Now = await t.http.get(`/api/claims/${c4.id}`).set(auth(lab.SH.token)).expect(200);
    expect(c4Now.body).toMatchObject({ status: 'approved', approvedFen: 350_000, settlementId: js.id });

    // Nothing is cleared before payment.
    const platform = await t.token('platform');
    const empty = await t.http.get(`/api/clearing?from=${today}&to=${today}`).set(auth(platform)).expect(200);
    expect(empty.body).toEqual({ from: today, to: today, gross: [], net: [], transfers: [] });

    // --- Payment, by the second reviewer of each province: whoever created a batch cannot pay it ---
    for (const [s, ref] of [
      [ah, 'AH-TREASURY-001'],
      [js, 'JS-TREASURY-001'],
      [zj, 'ZJ-TREASURY-001'],
      [sh, 'SH-TREASURY-001'],
    ] as const) {
      const paid = await t.http
        .post(`/api/settlements/${s.id}/pay`)
        .set(auth(await t.token(secondReviewerFor(s.regionCode))))
        .send({ paymentRef: ref })
        .expect(200);
      expect(paid.body).toMatchObject({ status: 'paid', paymentRef: ref, totalFen: s.totalFen, paidAt: expect.any(String) });
      expect(paid.body.lines.every((l: { paidAt?: string }) => l.paidAt === paid.body.paidAt)).toBe(true);
    }

    // --- Clearing: cross-province lines only (home payments move nothing between provinces) ---
    const cleared = await t.http.get(`/api/clearing?from=${today}&to=${today}`).set(auth(platform)).expect(200);
    expect(cleared.body).toEqual({
      from: today,
      to: today,
      // issuer → payee province, summed: SH→AH 200,000 (C8); JS→SH 350,000 (C4); JS→ZJ 200,000 (C5b);
      // ZJ→JS 120,000 (C7, as resolved); ZJ→AH 400,000 (C6); AH→SH 400,000 (C1)
      gross: [
        { fromProvinceCode: SH, toProvinceCode: AH, amountFen: 200_000 },
        { fromProvinceCode: JS, toProvinceCode: SH, amountFen: 350_000 },
        { fromProvinceCode: JS, toProvinceCode: ZJ, amountFen: 200_000 },
        { fromProvinceCode: ZJ, toProvinceCode: JS, amountFen: 120_000 },
        { fromProvinceCode: ZJ, toProvinceCode: AH, amountFen: 400_000 },
        { fromProvinceCode: AH, toProvinceCode: SH, amountFen: 400_000 },
      ],
      // received − paid: SH 750,000 − 200,000 = +550,000; JS 120,000 − 550,000 = −430,000;
      // ZJ 200,000 − 520,000 = −320,000; AH 600,000 − 400,000 = +200,000; the sum is 0.
      net: [
        { provinceCode: SH, netFen: 550_000 },
        { provinceCode: JS, netFen: -430_000 },
        { provinceCode: ZJ, netFen: -320_000 },
        { provinceCode: AH, netFen: 200_000 },
      ],
      // Largest debtor to largest creditor: JS pays SH 430,000 (SH still owed 120,000); then ZJ pays
      // AH 200,000 and SH 120,000. Three transfers for four provinces: n − 1.
      transfers: [
        { fromProvinceCode: JS, toProvinceCode: SH, amountFen: 430_000 },
        { fromProvinceCode: ZJ, toProvinceCode: AH, amountFen: 200_000 },
        { fromProvinceCode: ZJ, toProvinceCode: SH, amountFen: 120_000 },
      ],
    });
    // A window that ends before today's payments clears nothing.
    const before = await t.http.get('/api/clearing?from=2020-01-01&to=2020-12-31').set(auth(platform)).expect(200);
    expect(before.body).toMatchObject({ gross: [], net: [], transfers: [] });

    // --- Documents and reconciliation ---
    const statement = await t.http
      .get(`/api/settlements/${ah.id}/statement`)
      .set(auth(await t.token('bureau-ah')))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(statement.headers['content-type']).toBe('application/pdf');
    expect((statement.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    if (process.env.STATEMENT_PDF) writeFileSync(process.env.STATEMENT_PDF, statement.body as Buffer);

    const csv = await t.http.get(`/api/settlements/${ah.id}/lines.csv`).set(auth(platform)).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe('结算单号,序号,收款单位,统一社会信用代码,所在省市,开户银行,银行账号,笔数,金额（分）,金额（元）,结算批次号,作废');
    // each line's bank and its account, masked for the platform (a tab keeps a spreadsheet from reading it as a number)
    const bankColumns = ['中国工商银行合肥科技支行', expect.stringMatching(/^\t\*{4} \*{4} \d{4}$/)];
    expect(
      rows
        .slice(1)
        .map((r) => r.split(',').slice(2, 10))
        .sort(),
    ).toEqual(
      [
        ['上海微系统所分析测试中心', lab.SH.creditCode, '上海市', ...bankColumns, '1', '400000', '4000.00'],
        ['合肥大科学装置设计服务中心', lab.AH.creditCode, '安徽省', ...bankColumns, '1', '375000', '3750.00'],
        ['合肥量子芯科技有限公司', ent.AH.creditCode, '安徽省', ...bankColumns, '1', '75000', '750.00'],
      ].sort(),
    );

    const check = await t.http.get('/api/ledger/check').set(auth(platform)).expect(200);
    expect(check.body).toMatchObject({ balanced: true, violations: [] });
  });
});
