import type { Response } from 'superagent';
import { beijingDate, clock, DAY_MS } from '../../src/common/clock';
import { newId } from '../../src/common/ids';
import { LedgerTransfer } from '../../src/ledger/ledger-transfer.entity';
import { addDays } from '../../src/policies/policy.rules';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement, secondReviewerFor } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.
const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ text: string }>;

/** Collects a binary response body (superagent leaves unknown types unparsed). */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream; // in Node, superagent hands the parser the raw response stream
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

const HEFEI = '340100';
const WUHU = '340200';
const SH = '310000';

const quarterOf = (day: string) => `${day.slice(0, 4)}-Q${Math.ceil(Number(day.slice(5, 7)) / 3)}`;

describe('settlement', () => {
  let t: TestApp;
  let shLab: OrgSession & { facilityId: string };
  let zjLab: OrgSession & { facilityId: string };
  let hefeiEnterprise: OrgSession & { voucherId: string };

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, SH, { policy: { settlementCycle: 'monthly' } });
    shLab = await listed('310000', '上海微观表征公共服务平台', 80_000);
    zjLab = await listed('330100', '浙江大学分析测试中心', 50_000);
    const e = await t.registerEnterprise(HEFEI, { name: '合肥量子芯科技有限公司' });
    hefeiEnterprise = { ...e, voucherId: (await issueVoucher(t, e.token, 9_000_000)).id };
  });
  afterAll(() => t.close());

  /** A lab of `region` listing one testing hour at `unitPriceFen`. */
  async function listed(region: string, name: string, unitPriceFen: number, organization: Record<string, unknown> = {}) {
    const lab = await t.registerProvider(region, { name, ...organization });
    const f = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: '检测机时', category: 'testing', unit: 'hour', unitPriceFen })
      .expect(201);
    return { ...lab, facilityId: f.body.id as string };
  }
  /** A submitted claim of the lab for `hours` used on the Hefei voucher, the usage confirmed by the enterprise. */
  async function submittedClaim(lab: typeof shLab, hours: number) {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(hefeiEnterprise.token))
      .send({ voucherId: hefeiEnterprise.voucherId, facilityId: lab.facilityId, quantity: hours })
      .expect(201);
    await captureConfirmed(t, lab.token, hefeiEnterprise.token, held.body.id, hours);
    return (
      await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: [held.body.id], evidence: freshEvidence() })
        .expect(201)
    ).body as { id: string; claimedFen: number };
  }
  /** An approved claim of the lab for `hours` used on the Hefei voucher (50% of the lab's hourly price each). */
  async function approvedClaim(lab: typeof shLab, hours: number, approvedFen?: number) {
    const c = await submittedClaim(lab, hours);
    const body = approvedFen === undefined ? {} : { approvedFen };
    return (
      await t.http
        .post(`/api/claims/${c.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send(body)
        .expect(200)
    ).body as { id: string; approvedFen: number };
  }
  const settle = async (user: string, body: Record<string, unknown>, status: number) =>
    t.http
      .post('/api/settlements')
      .set(await t.as(user))
      .send(body)
      .expect(status);

  it('describes claims, settlement and clearing in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/claims',
        '/api/claims/{id}',
        '/api/claims/{id}/approve',
        '/api/claims/{id}/reject',
        '/api/settlements',
        '/api/settlements/{id}',
        '/api/settlements/{id}/pay',
        '/api/settlements/{id}/statement',
        '/api/settlements/{id}/lines.csv',
        '/api/clearing',
      ]),
    );
    expect(doc.paths['/api/settlements'].post.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SettlementView',
    });
    expect(doc.paths['/api/clearing'].get.tags).toEqual(['clearing']);
  });

  describe('running a batch', () => {
    it('refuses malformed input (400), other provinces’ bureaus (403) and payees (403)', async () => {
      for (const [body, field] of [
        [{}, 'regionCode'],
        [{ regionCode: '999999' }, 'regionCode'],
        [{ regionCode: HEFEI, periodEnd: '2026-02-30' }, 'periodEnd'],
        [{ regionCode: HEFEI, periodEnd: 20260331 }, 'periodEnd'],
        [{ regionCode: HEFEI, total: 1 }, 'total'],
      ] as const) {
        const res = await settle('bureau-ah', body, 400);
        expect(res.body.message).toContain(field);
      }
      for (const user of ['bureau-sh', 'bureau-js']) expect((await settle(user, { regionCode: HEFEI }, 403)).body.code).toBe('FORBIDDEN');
      await t.http.post('/api/settlements').set(auth(shLab.token)).send({ regionCode: HEFEI }).expect(403);
      await settle('platform', { regionCode: HEFEI }, 403);
    });

    it('has nothing to settle before any claim is approved: 409 INVALID_STATE', async () => {
      for (const regionCode of [HEFEI, WUHU]) {
        const res = await settle('bureau-ah', { regionCode }, 409);
        expect(res.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('nothing to settle') });
      }
    });

    it('batches a region’s approved claims, one line per payee, leaving submitted and rejected claims out', async () => {
      // SH lab: 2 h → 80,000 and 1 h approved at 30,000 of 40,000; ZJ lab: 3 h → 75,000
      const a = await approvedClaim(shLab, 2);
      const b = await approvedClaim(shLab, 1, 30_000);
      const c = await approvedClaim(zjLab, 3);
      const pending = await submittedClaim(shLab, 1);
      const rejected = await submittedClaim(zjLab, 1);
      await t.http
        .post(`/api/claims/${rejected.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '合同缺失' })
        .expect(200);

      const res = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(res.body).toEqual({
        id: expect.any(String),
        batchNo: `${HEFEI}-${clock.year()}-0001`,
        regionCode: HEFEI,
        periodLabel: quarterOf(clock.today()),
        status: 'open',
        totalFen: 185_000,
        createdAt: expect.any(String),
        lines: expect.arrayContaining([
          {
            payeeId: shLab.organizationId,
            payeeName: '上海微观表征公共服务平台',
            payeeProvinceCode: '310000',
            issuingProvinceCode: '340000',
            amountFen: 110_000,
            payeeBankName: '中国工商银行合肥科技支行',
            payeeBankAccount: expect.stringMatching(/^6222\d+$/),
            claimIds: [a.id, b.id].sort(),
          },
          {
            payeeId: zjLab.organizationId,
            payeeName: '浙江大学分析测试中心',
            payeeProvinceCode: '330000',
            issuingProvinceCode: '340000',
            amountFen: 75_000,
            payeeBankName: '中国工商银行合肥科技支行',
            payeeBankAccount: expect.stringMatching(/^6222\d+$/),
            claimIds: [c.id],
          },
        ]),
      });
      expect(res.body.lines).toHaveLength(2);
      const read = await t.http
        .get(`/api/settlements/${res.body.id}`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(read.body).toEqual(res.body);
      expect((await t.http.get(`/api/claims/${pending.id}`).set(auth(shLab.token)).expect(200)).body).not.toHaveProperty('settlementId');
      expect((await t.http.get(`/api/claims/${a.id}`).set(auth(shLab.token)).expect(200)).body.settlementId).toBe(res.body.id);

      // A claim is in one batch only: the next run has nothing until another claim is approved.
      await settle('bureau-ah', { regionCode: HEFEI }, 409);
      await t.http
        .post(`/api/claims/${pending.id}/approve`)
        .set(await t.as('bureau-ah'))
        .send({})
        .expect(200);
      const next = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(next.body).toMatchObject({
        totalFen: 40_000,
        lines: [expect.objectContaining({ payeeId: shLab.organizationId, amountFen: 40_000, claimIds: [pending.id] })],
      });
    });

    it('lets the province’s bureau run its cities’ batches, in the city’s name', async () => {
      await approvedClaim(zjLab, 1);
      const res = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(res.body).toMatchObject({ regionCode: HEFEI, totalFen: 25_000 });
      const audit = await t.http
        .get(`/api/audit?entityType=settlement&entityId=${res.body.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items).toEqual([
        expect.objectContaining({
          action: 'settlement.created',
          regionCode: HEFEI,
          summary: expect.objectContaining({ totalFen: 25_000, payees: 1, claims: 1 }),
        }),
      ]);
    });
  });

  describe('paying', () => {
    let batch: { id: string; totalFen: number };
    beforeAll(async () => {
      await approvedClaim(shLab, 3); // 120,000
      await approvedClaim(zjLab, 2); // 50,000
      batch = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body;
    });

    it('needs a payment reference and the region’s bureau', async () => {
      for (const body of [{}, { paymentRef: '' }, { paymentRef: 'x'.repeat(101) }, { paymentRef: 7 }]) {
        expect(
          (
            await t.http
              .post(`/api/settlements/${batch.id}/pay`)
              .set(await t.as('bureau-ah'))
              .send(body)
              .expect(400)
          ).body.message,
        ).toContain('paymentRef');
      }
      await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-sh'))
        .send({ paymentRef: 'X' })
        .expect(403);
      await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('platform'))
        .send({ paymentRef: 'X' })
        .expect(403);
      await t.http.post(`/api/settlements/${batch.id}/pay`).set(auth(shLab.token)).send({ paymentRef: 'X' }).expect(403);
      await t.http
        .post(`/api/settlements/${newId()}/pay`)
        .set(await t.as('bureau-ah'))
        .send({ paymentRef: 'X' })
        .expect(404);
    });

    it('is not paid by the user who created it: 403 DUAL_CONTROL_REQUIRED, and nothing moves', async () => {
      const res = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah'))
        .send({ paymentRef: 'AH-GK-2026-0041' })
        .expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        code: 'DUAL_CONTROL_REQUIRED',
        message: 'the user who created a settlement batch cannot pay it; another bureau user must',
      });
      const zh = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({ paymentRef: 'AH-GK-2026-0041' })
        .expect(403);
      expect(zh.body.message).toBe('结算批次的经办人不能同时支付，请由另一名工作人员复核支付（双人复核）');
      expect(await t.dataSource.getRepository(LedgerTransfer).findBy({ refType: 'settlement', refId: batch.id })).toEqual([]);
      const read = await t.http
        .get(`/api/settlements/${batch.id}`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(read.body).toMatchObject({ status: 'open', totalFen: 170_000 });
      expect(read.body).not.toHaveProperty('paymentRef');
    });

    it('pays once, by another bureau user: the lines are stamped, the ledger moves the payables to paid, a second payment is 409', async () => {
      const res = await paySettlement(t, HEFEI, batch.id, 'AH-GK-2026-0042');
      expect(res.body).toMatchObject({ status: 'paid', paymentRef: 'AH-GK-2026-0042', totalFen: 170_000, paidAt: expect.any(String) });
      expect(res.body.lines.map((l: { paidAt: string }) => l.paidAt)).toEqual([res.body.paidAt, res.body.paidAt]);
      const moved = await t.dataSource.getRepository(LedgerTransfer).findBy({ refType: 'settlement', refId: batch.id });
      expect(moved.map((m) => m.amountFen).sort((x, y) => x - y)).toEqual([50_000, 120_000]);
      expect(moved.every((m) => m.debitAccount.startsWith(`payable:${HEFEI}:`) && m.creditAccount.startsWith(`paid:${HEFEI}:`))).toBe(true);
      const again = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah-2'))
        .send({ paymentRef: 'AH-GK-2026-0043' })
        .expect(409);
      expect(again.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('AH-GK-2026-0042') });
      const zh = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah-2'))
        .set('Accept-Language', 'zh-CN')
        .send({ paymentRef: 'AH-GK-2026-0043' })
        .expect(409);
      expect(zh.body.message).toMatch(/^该结算批次已于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d 支付（付款凭证号 AH-GK-2026-0042）$/);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });

  describe('reading', () => {
    let batchId: string;
    beforeAll(async () => {
      await approvedClaim(shLab, 1);
      batchId = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body.id;
    });

    it('shows a batch to the bureaus over its region and the platform, to no one else', async () => {
      for (const user of ['bureau-ah', 'platform'])
        await t.http
          .get(`/api/settlements/${batchId}`)
          .set(await t.as(user))
          .expect(200);
      for (const user of ['bureau-sh', 'bureau-zj'])
        await t.http
          .get(`/api/settlements/${batchId}`)
          .set(await t.as(user))
          .expect(404);
      // A payee sees a batch only through its own line: the Zhejiang lab has none in this one.
      await t.http.get(`/api/settlements/${batchId}`).set(auth(zjLab.token)).expect(404);
      await t.http.get(`/api/settlements/${batchId}`).set(auth(hefeiEnterprise.token)).expect(404);
      await t.http.get(`/api/settlements/${batchId}`).expect(401);
      await t.http
        .get(`/api/settlements/${newId()}`)
        .set(await t.as('platform'))
        .expect(404);
      await t.http
        .get('/api/settlements/..%2F..')
        .set(await t.as('platform'))
        .expect(404);
    });

    it('lists batches in scope, filtered by region and status', async () => {
      const ah = await t.http
        .get(`/api/settlements?regionCode=${HEFEI}&limit=100`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(ah.body.total).toBe(5);
      expect(ah.body.items[0]).toEqual({
        id: batchId,
        batchNo: expect.stringMatching(new RegExp(`^${HEFEI}-${clock.year()}-\\d{4}$`)),
        regionCode: HEFEI,
        periodLabel: quarterOf(clock.today()),
        status: 'open',
        totalFen: 40_000,
        createdAt: expect.any(String),
      });
      const paid = await t.http
        .get('/api/settlements?status=paid')
        .set(await t.as('platform'))
        .expect(200);
      expect(paid.body).toMatchObject({ total: 1, items: [expect.objectContaining({ status: 'paid', paymentRef: 'AH-GK-2026-0042' })] });
      expect(
        (
          await t.http
            .get('/api/settlements')
            .set(await t.as('bureau-sh'))
            .expect(200)
        ).body,
      ).toEqual({ items: [], total: 0 });
      for (const q of ['status=closed', 'regionCode=12', 'limit=501'])
        await t.http
          .get(`/api/settlements?${q}`)
          .set(await t.as('platform'))
          .expect(400);
    });

    it('renders the statement as a PDF and the lines as a CSV for the treasury, in scope only', async () => {
      const pdf = await t.http
        .get(`/api/settlements/${batchId}/statement`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(Number(pdf.headers['content-length'])).toBeGreaterThan(5_000);
      // Both files go by the number the statement prints; the CSV's columns stay as importers know them, the number last.
      const { batchNo } = (await t.http.get(`/api/settlements/${batchId}`).set(await t.as('platform'))).body;
      expect(batchNo).toMatch(/^340100-\d{4}-\d{4}$/);
      expect(pdf.headers['content-disposition']).toBe(`inline; filename="settlement-${batchNo}.pdf"`);
      const csv = await t.http
        .get(`/api/settlements/${batchId}/lines.csv`)
        .set(await t.as('platform'))
        .expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="settlement-${batchNo}.csv"`);
      expect(
        csv.text
          .replace(/^\uFEFF/, '')
          .split('\r\n')
          .filter(Boolean),
      ).toEqual([
        '结算单号,序号,收款单位,统一社会信用代码,所在省市,开户银行,银行账号,笔数,金额（分）,金额（元）,结算批次号,作废',
        expect.stringMatching(
          new RegExp(
            `^${batchId},1,上海微观表征公共服务平台,${shLab.creditCode},上海市,中国工商银行合肥科技支行,\t\\*{4} \\*{4} \\d{4},1,40000,400\\.00,${batchNo},$`,
          ),
        ),
      ]);
      for (const path of ['statement', 'lines.csv']) {
        await t.http
          .get(`/api/settlements/${batchId}/${path}`)
          .set(await t.as('bureau-sh'))
          .expect(404);
      }
      // The treasury's file is the bureaus' and the platform's; a payee reads its own statement instead.
      expect((await t.http.get(`/api/settlements/${batchId}/lines.csv`).set(auth(shLab.token)).expect(403)).body.code).toBe('FORBIDDEN');
      await t.http.get(`/api/settlements/${batchId}/statement`).set(auth(zjLab.token)).expect(404);
    });
  });

  describe('reconciliation', () => {
    it('makes every batch total equal its claims’ approved amounts, and all batches all approved claims', async () => {
      const batches = (
        await t.http
          .get('/api/settlements?limit=100')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items as { id: string; totalFen: number }[];
      const claims = (
        await t.http
          .get('/api/claims?status=approved&limit=500')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items as { approvedFen: number; settlementId?: string }[];
      expect(claims.every((c) => c.settlementId)).toBe(true);
      for (const b of batches) {
        expect(claims.filter((c) => c.settlementId === b.id).reduce((s, c) => s + c.approvedFen, 0)).toBe(b.totalFen);
      }
      expect(batches.reduce((s, b) => s + b.totalFen, 0)).toBe(claims.reduce((s, c) => s + c.approvedFen, 0));
      expect(
        (
          await t.http
            .get('/api/ledger/check')
            .set(await t.as('platform'))
            .expect(200)
        ).body.violations,
      ).toEqual([]);
    });
  });

  describe('periods', () => {
    it('refuses a period that has not ended: 422 PERIOD_NOT_ENDED, before looking for claims', async () => {
      const tomorrow = addDays(clock.today(), 1);
      for (const regionCode of [HEFEI, WUHU]) {
        const res = await settle('bureau-ah', { regionCode, periodEnd: tomorrow }, 422);
        expect(res.body).toEqual({
          statusCode: 422,
          code: 'PERIOD_NOT_ENDED',
          message: `periodEnd ${tomorrow} is after today (${clock.today()}); settle a period once it has ended`,
        });
      }
      const zhDate = (date: string) =>
        date
          .split('-')
          .map(Number)
          .join('-')
          .replace(/^(\d+)-(\d+)-(\d+)$/, '$1年$2月$3日');
      const zh = await t.http
        .post('/api/settlements')
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({ regionCode: HEFEI, periodEnd: tomorrow })
        .expect(422);
      expect(zh.body.message).toBe(`结算截止日 ${zhDate(tomorrow)} 尚未到（今天 ${zhDate(clock.today())}），期末过后方可结算`);
      // Today's period may be settled (here there is nothing to settle yet).
      expect((await settle('bureau-ah', { regionCode: HEFEI, periodEnd: clock.today() }, 409)).body.code).toBe('INVALID_STATE');
    });

    it('takes only the claims approved by periodEnd, and names the batch after that period', async () => {
      const early = await approvedClaim(shLab, 1);
      const day = clock.today();
      clock.travel(100 * DAY_MS);
      try {
        const late = await approvedClaim(shLab, 2);
        const first = await settle('bureau-ah', { regionCode: HEFEI, periodEnd: day }, 201);
        expect(first.body).toMatchObject({
          periodLabel: quarterOf(day),
          periodEnd: day,
          totalFen: 40_000,
          lines: [expect.objectContaining({ claimIds: [early.id] })],
        });
        await settle('bureau-ah', { regionCode: HEFEI, periodEnd: day }, 409);
        // Tomorrow, as seen 100 days on, has still not ended.
        expect((await settle('bureau-ah', { regionCode: HEFEI, periodEnd: addDays(clock.today(), 1) }, 422)).body.code).toBe(
          'PERIOD_NOT_ENDED',
        );
        const second = await settle('bureau-ah', { regionCode: HEFEI }, 201);
        expect(second.body).toMatchObject({
          periodLabel: quarterOf(clock.today()),
          totalFen: 80_000,
          lines: [expect.objectContaining({ claimIds: [late.id] })],
        });
        expect(second.body).not.toHaveProperty('periodEnd');
      } finally {
        clock.reset();
      }
    });

    it('without periodEnd, names the batch after its last approval’s period: made in a new quarter, it is the old quarter’s', async () => {
      const claim = await approvedClaim(shLab, 1);
      const day = clock.today();
      clock.travel(100 * DAY_MS); // always a later quarter: none is longer than 92 days
      try {
        const batch = await settle('bureau-ah', { regionCode: HEFEI }, 201);
        expect(quarterOf(clock.today())).not.toBe(quarterOf(day));
        expect(batch.body).toMatchObject({ periodLabel: quarterOf(day), lines: [expect.objectContaining({ claimIds: [claim.id] })] });
        expect(batch.body).not.toHaveProperty('periodEnd');
      } finally {
        clock.reset();
      }
    });
  });

  describe('clearing', () => {
    it('is for the platform, over valid inclusive date ranges', async () => {
      for (const user of ['bureau-ah', 'bureau-sh'])
        await t.http
          .get('/api/clearing?from=2026-01-01&to=2026-12-31')
          .set(await t.as(user))
          .expect(403);
      await t.http.get('/api/clearing?from=2026-01-01&to=2026-12-31').set(auth(shLab.token)).expect(403);
      await t.http.get('/api/clearing?from=2026-01-01&to=2026-12-31').expect(401);
      for (const [q, field] of [
        ['to=2026-12-31', 'from'],
        ['from=2026-01-01', 'to'],
        ['from=2026-02-30&to=2026-03-01', 'from'],
        ['from=2026-01-01&to=26-12-31', 'to'],
        ['from=2026-03-01&to=2026-02-01', 'from'],
        ['from=2026-01-01&to=2026-12-31&x=1', 'x'],
      ]) {
        const res = await t.http
          .get(`/api/clearing?${q}`)
          .set(await t.as('platform'))
          .expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
      }
    });

    it('clears the paid Hefei batch: Anhui owes Shanghai 120,000 and Zhejiang 50,000', async () => {
      const paidAt: string = (
        await t.http
          .get('/api/settlements?status=paid')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items[0].paidAt;
      const day = beijingDate(paidAt); // clearing periods are Beijing days
      const res = await t.http
        .get(`/api/clearing?from=${day}&to=${day}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(res.body).toEqual({
        from: day,
        to: day,
        gross: [
          { fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 120_000 },
          { fromProvinceCode: '340000', toProvinceCode: '330000', amountFen: 50_000 },
        ],
        net: [
          { provinceCode: '310000', netFen: 120_000 },
          { provinceCode: '330000', netFen: 50_000 },
          { provinceCode: '340000', netFen: -170_000 },
        ],
        transfers: [
          { fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 120_000 },
          { fromProvinceCode: '340000', toProvinceCode: '330000', amountFen: 50_000 },
        ],
      });
    });
  });

  describe('what payees see', () => {
    // A batch of two payees: the Shanghai lab's 2 hours (80,000) and the Zhejiang lab's 1 hour (25,000).
    let batch: { id: string; totalFen: number };
    const statement = (id: string, token: string, query = '') =>
      t.http.get(`/api/settlements/${id}/statement${query}`).set(auth(token)).buffer(true).parse(binary);
    const statementText = async (res: { body: unknown }) => (await pdfParse(res.body as Buffer)).text.replace(/\s+/g, '');
    beforeAll(async () => {
      await approvedClaim(shLab, 2);
      await approvedClaim(zjLab, 1);
      batch = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body;
      expect(batch.totalFen).toBe(105_000);
    });

    it('shows a payee the batch with its own line only, and its line’s amount as the total', async () => {
      for (const [lab, amountFen] of [
        [shLab, 80_000],
        [zjLab, 25_000],
      ] as const) {
        const res = await t.http.get(`/api/settlements/${batch.id}`).set(auth(lab.token)).expect(200);
        expect(res.body).toMatchObject({ id: batch.id, regionCode: HEFEI, status: 'open', totalFen: amountFen });
        expect(res.body.lines).toEqual([
          expect.objectContaining({ payeeId: lab.organizationId, amountFen, claimIds: [expect.any(String)] }),
        ]);
      }
      // The bureau still sees both lines and the whole total.
      const bureau = await t.http
        .get(`/api/settlements/${batch.id}`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      expect(bureau.body).toMatchObject({ totalFen: 105_000, lines: [expect.anything(), expect.anything()] });
      // The batch's claims: the bureau lists both, each payee its own (its line's claimIds), a bad id is 400.
      const claimsOf = async (caller: Record<string, string>) =>
        ((await t.http.get(`/api/claims?settlementId=${batch.id}`).set(caller).expect(200)).body.items as { id: string }[]).map(
          (c) => c.id,
        );
      const lines = bureau.body.lines as { payeeId: string; claimIds: string[] }[];
      expect((await claimsOf(await t.as('bureau-ah'))).sort()).toEqual(lines.flatMap((l) => l.claimIds).sort());
      expect((await claimsOf(auth(shLab.token))).sort()).toEqual(
        [...lines.find((l) => l.payeeId === shLab.organizationId)!.claimIds].sort(),
      );
      expect((await t.http.get('/api/claims?settlementId=1').set(auth(shLab.token)).expect(400)).body.message).toContain('settlementId');
      // A payee with no line in the batch does not see it.
      for (const token of [hefeiEnterprise.token, (await listed('320500', '苏州纳米所测试分析平台', 30_000)).token]) {
        expect((await t.http.get(`/api/settlements/${batch.id}`).set(auth(token)).expect(404)).body.code).toBe('NOT_FOUND');
      }
    });

    it('lists for a payee only the batches with a line for it, each carrying only that line', async () => {
      const mine = await t.http.get('/api/settlements?limit=100').set(auth(zjLab.token)).expect(200);
      const items = mine.body.items as { id: string; totalFen: number; lines: { payeeId: string; amountFen: number }[] }[];
      expect(items.map((b) => b.id)).toContain(batch.id);
      expect(mine.body.total).toBe(items.length);
      for (const b of items) {
        expect(b.lines).toEqual([expect.objectContaining({ payeeId: zjLab.organizationId })]);
        expect(b.totalFen).toBe(b.lines[0].amountFen);
      }
      expect(items.find((b) => b.id === batch.id)!.totalFen).toBe(25_000);
      // Every batch of the bureau with a Zhejiang line, and no other.
      const all = (
        await t.http
          .get('/api/settlements?limit=100')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items as { id: string }[];
      const withZj: string[] = [];
      for (const b of all) {
        const full = await t.http
          .get(`/api/settlements/${b.id}`)
          .set(await t.as('platform'))
          .expect(200);
        if (full.body.lines.some((l: { payeeId: string }) => l.payeeId === zjLab.organizationId)) withZj.push(b.id);
      }
      expect(items.map((b) => b.id).sort()).toEqual(withZj.sort());
      expect((await t.http.get('/api/settlements').set(auth(hefeiEnterprise.token)).expect(200)).body).toEqual({ items: [], total: 0 });
    });

    it('gives a payee the statement of its own line, and nobody else’s', async () => {
      const own = await statement(batch.id, shLab.token).expect(200);
      expect(own.headers['content-type']).toBe('application/pdf');
      const text = await statementText(own);
      expect(text).toContain(shLab.creditCode);
      expect(text).toContain('800.00');
      expect(text).not.toContain(zjLab.creditCode);
      expect((await statement(batch.id, shLab.token, `?payeeId=${shLab.organizationId}`).expect(200)).headers['content-type']).toBe(
        'application/pdf',
      );
      const other = await statement(batch.id, shLab.token, `?payeeId=${zjLab.organizationId}`).expect(404);
      expect(JSON.parse((other.body as Buffer).toString())).toMatchObject({ code: 'NOT_FOUND' });
      await statement(batch.id, hefeiEnterprise.token).expect(404);
      expect((await t.http.get(`/api/settlements/${batch.id}/lines.csv`).set(auth(zjLab.token)).expect(403)).body.code).toBe('FORBIDDEN');
    });

    it('lets the bureau print one payee’s statement with payeeId', async () => {
      const ah = await t.token('bureau-ah');
      const zj = await statementText(await statement(batch.id, ah, `?payeeId=${zjLab.organizationId}`).expect(200));
      expect(zj).toContain(zjLab.creditCode);
      expect(zj).toContain('250.00');
      expect(zj).not.toContain(shLab.creditCode);
      const whole = await statementText(await statement(batch.id, ah).expect(200));
      expect(whole).toContain(zjLab.creditCode);
      expect(whole).toContain(shLab.creditCode);
      expect(whole).toContain('1,050.00');
      await statement(batch.id, ah, `?payeeId=${hefeiEnterprise.organizationId}`).expect(404);
      await statement(batch.id, await t.token('bureau-sh'), `?payeeId=${zjLab.organizationId}`).expect(404);
      await statement(batch.id, ah, '?payeeId=not-an-id').expect(400);
    });

    it('shows the payee its line paid once the batch is paid', async () => {
      const paid = (await paySettlement(t, HEFEI, batch.id, 'AH-GK-2026-0101')).body;
      const res = await t.http.get(`/api/settlements/${batch.id}`).set(auth(zjLab.token)).expect(200);
      expect(res.body).toMatchObject({
        status: 'paid',
        paymentRef: 'AH-GK-2026-0101',
        totalFen: 25_000,
        lines: [expect.objectContaining({ payeeId: zjLab.organizationId, amountFen: 25_000, paidAt: paid.paidAt })],
      });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });

  describe('payees held back while sanctioned or suspended', () => {
    const bureau = () => t.token('bureau-ah');
    const claimOf = async (lab: OrgSession, id: string) =>
      (await t.http.get(`/api/claims/${id}`).set(auth(lab.token)).expect(200)).body as { status: string; settlementId?: string };
    const sanction = async (lab: OrgSession) =>
      (
        await t.http
          .post('/api/sanctions')
          .set(auth(await bureau()))
          .send({ creditCode: lab.creditCode, reason: '虚报机时' })
          .expect(201)
      ).body as { id: string };
    const lift = async (sanctionId: string) =>
      t.http
        .post(`/api/sanctions/${sanctionId}/lift`)
        .set(auth(await bureau()))
        .send({})
        .expect(200);
    const suspend = async (lab: OrgSession) =>
      t.http
        .post(`/api/providers/${lab.organizationId}/suspend`)
        .set(await t.as('bureau-js'))
        .send({ reason: '虚假使用记录' })
        .expect(200);
    const readmit = async (lab: OrgSession) =>
      t.http
        .post(`/api/providers/${lab.organizationId}/admit`)
        .set(await t.as('bureau-js'))
        .send({ noticeDays: 0 })
        .expect(200);

    it('leaves a sanctioned payee’s approved claims out of a batch, and settles them once the sanction is lifted', async () => {
      const lab = await listed('320100', '南京某检测公司', 30_000); // 15,000 an hour
      const held = await approvedClaim(lab, 2); // 30,000
      const other = await approvedClaim(zjLab, 1); // 25,000
      const s = await sanction(lab);
      const batch = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(batch.body).toMatchObject({
        totalFen: 25_000,
        lines: [expect.objectContaining({ payeeId: zjLab.organizationId, claimIds: [other.id] })],
      });
      expect(await claimOf(lab, held.id)).toEqual(expect.not.objectContaining({ settlementId: expect.anything() }));
      const nothing = await settle('bureau-ah', { regionCode: HEFEI }, 409);
      expect(nothing.body.message).toContain('(1 claim of 30000 fen waits while its payee is suspended or sanctioned)');
      await lift(s.id);
      const later = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(later.body).toMatchObject({
        totalFen: 30_000,
        lines: [expect.objectContaining({ payeeId: lab.organizationId, amountFen: 30_000, claimIds: [held.id] })],
      });
      await paySettlement(t, HEFEI, batch.body.id);
      await paySettlement(t, HEFEI, later.body.id);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('holds back a payee bound through its actual controller as one sanctioned itself: at payment, and out of a new batch', async () => {
      const controller = creditCodeIn('320000');
      const [lab, sister] = [
        await listed('320100', '南京控股检测公司', 30_000, { controllerCreditCode: controller }),
        await listed('320100', '南京控股二检测公司', 30_000, { controllerCreditCode: controller }),
      ];
      await approvedClaim(lab, 1); // 15,000 each
      await approvedClaim(sister, 1);
      const batch = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body as { id: string; lines: { payeeId: string }[] };
      expect(batch.lines.map((l) => l.payeeId).sort()).toEqual([lab.organizationId, sister.organizationId].sort());
      // the controller sanctioned after the batch was made: both its payees are held back, so nothing is paid
      const controllerSanction = async () =>
        (
          await t.http
            .post('/api/sanctions')
            .set(auth(await bureau()))
            .send({ creditCode: controller, reason: '虚报机时' })
            .expect(201)
        ).body as { id: string };
      const first = await controllerSanction();
      const refused = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(auth(await t.token(secondReviewerFor(HEFEI))))
        .send({ paymentRef: 'AH-GK-2026-0303' })
        .expect(422);
      expect(refused.body.code).toBe('SANCTIONED');
      await lift(first.id);
      await paySettlement(t, HEFEI, batch.id);
      // sanctioned again before a batch: the lab's next approved claim stays out of it until the sanction is lifted
      const next = await approvedClaim(lab, 1);
      const second = await controllerSanction();
      const nothing = await settle('bureau-ah', { regionCode: HEFEI }, 409);
      expect(nothing.body.message).toContain('(1 claim of 15000 fen waits while its payee is suspended or sanctioned)');
      expect(await claimOf(lab, next.id)).not.toHaveProperty('settlementId');
      await lift(second.id);
      const later = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body as { id: string };
      expect(later).toMatchObject({
        totalFen: 15_000,
        lines: [expect.objectContaining({ payeeId: lab.organizationId, claimIds: [next.id] })],
      });
      await paySettlement(t, HEFEI, later.id);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('leaves a suspended provider’s approved claims out until it is readmitted', async () => {
      const lab = await listed('320100', '南京另一检测公司', 30_000);
      const held = await approvedClaim(lab, 1); // 15,000
      await suspend(lab);
      const nothing = await settle('bureau-ah', { regionCode: HEFEI }, 409);
      expect(nothing.body.message).toContain('(1 claim of 15000 fen waits while its payee is suspended or sanctioned)');
      await readmit(lab);
      const batch = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(batch.body).toMatchObject({
        totalFen: 15_000,
        lines: [expect.objectContaining({ payeeId: lab.organizationId, claimIds: [held.id] })],
      });
      await paySettlement(t, HEFEI, batch.body.id);
    });

    it('drops at payment the line of a payee sanctioned since the batch was made; its claims wait, approved, for a later batch', async () => {
      const lab = await listed('320100', '南京第三检测公司', 30_000);
      const held = await approvedClaim(lab, 2); // 30,000
      const other = await approvedClaim(zjLab, 2); // 50,000
      const batch = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body as { id: string; totalFen: number };
      expect(batch.totalFen).toBe(80_000);
      const s = await sanction(lab);
      const paid = (await paySettlement(t, HEFEI, batch.id, 'AH-GK-2026-0202')).body;
      expect(paid).toMatchObject({
        status: 'paid',
        totalFen: 50_000,
        lines: [expect.objectContaining({ payeeId: zjLab.organizationId, amountFen: 50_000, claimIds: [other.id] })],
      });
      const moved = await t.dataSource.getRepository(LedgerTransfer).findBy({ refType: 'settlement', refId: batch.id });
      expect(moved.map((m) => [m.creditAccount, m.amountFen])).toEqual([[`paid:${HEFEI}:${zjLab.organizationId}`, 50_000]]);
      expect(await claimOf(lab, held.id)).toEqual(expect.objectContaining({ status: 'approved' }));
      expect(await claimOf(lab, held.id)).not.toHaveProperty('settlementId');
      expect((await t.ledgerCheck()).violations).toEqual([]);

      await lift(s.id);
      const later = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body;
      expect(later).toMatchObject({
        totalFen: 30_000,
        lines: [expect.objectContaining({ payeeId: lab.organizationId, claimIds: [held.id] })],
      });
      await paySettlement(t, HEFEI, later.id);
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });

    it('pays nothing while every payee of the batch is held back: 422 PROVIDER_NOT_ACTIVE, then pays once one is clear', async () => {
      const lab = await listed('320100', '南京第四检测公司', 30_000);
      await approvedClaim(lab, 1); // 15,000
      const batch = (await settle('bureau-ah', { regionCode: HEFEI }, 201)).body as { id: string };
      await suspend(lab);
      const res = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah-2'))
        .send({ paymentRef: 'AH-GK-2026-0303' })
        .expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'PROVIDER_NOT_ACTIVE',
        message: 'every payee of this batch is suspended; nothing can be paid until one is active again',
      });
      expect(
        (
          await t.http
            .get(`/api/settlements/${batch.id}`)
            .set(await t.as('bureau-ah'))
            .expect(200)
        ).body,
      ).toMatchObject({ status: 'open', totalFen: 15_000 });
      await readmit(lab);
      expect((await paySettlement(t, HEFEI, batch.id, 'AH-GK-2026-0304')).body).toMatchObject({ status: 'paid', totalFen: 15_000 });
      expect((await t.ledgerCheck()).violations).toEqual([]);
    });
  });
});
