import { clock, DAY_MS } from '../../src/common/clock';
import { newId } from '../../src/common/ids';
import { LedgerTransfer } from '../../src/ledger/ledger-transfer.entity';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
const WUHU = '340200';
const SH = '310000';
const EVIDENCE = { contractNo: 'HT-2026-0001', invoiceNo: 'FP-0001' };

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
    const listed = async (region: string, name: string, unitPriceFen: number) => {
      const lab = await t.registerProvider(region, { name });
      const f = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '检测机时', category: 'testing', unit: 'hour', unitPriceFen })
        .expect(201);
      return { ...lab, facilityId: f.body.id as string };
    };
    shLab = await listed('310000', '上海微观表征公共服务平台', 80_000);
    zjLab = await listed('330100', '浙江大学分析测试中心', 50_000);
    const e = await t.registerEnterprise(HEFEI, { name: '合肥量子芯科技有限公司' });
    hefeiEnterprise = { ...e, voucherId: (await issueVoucher(t, e.token, 9_000_000)).id };
  });
  afterAll(() => t.close());

  /** An approved claim of the lab for `hours` used on the Hefei voucher (50% of the lab's hourly price each). */
  async function approvedClaim(lab: typeof shLab, hours: number, approvedFen?: number) {
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(hefeiEnterprise.token))
      .send({ voucherId: hefeiEnterprise.voucherId, facilityId: lab.facilityId, quantity: hours })
      .expect(201);
    await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(lab.token)).send({ actualQuantity: hours }).expect(200);
    const c = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [held.body.id], evidence: EVIDENCE })
      .expect(201);
    const body = approvedFen === undefined ? {} : { approvedFen };
    return (
      await t.http
        .post(`/api/claims/${c.body.id}/approve`)
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
      const held = await t.http
        .post('/api/redemptions')
        .set(auth(hefeiEnterprise.token))
        .send({ voucherId: hefeiEnterprise.voucherId, facilityId: shLab.facilityId, quantity: 1 })
        .expect(201);
      await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(shLab.token)).send({ actualQuantity: 1 }).expect(200);
      const pending = (
        await t.http
          .post('/api/claims')
          .set(auth(shLab.token))
          .send({ redemptionIds: [held.body.id], evidence: EVIDENCE })
          .expect(201)
      ).body;
      const refused = await t.http
        .post('/api/redemptions')
        .set(auth(hefeiEnterprise.token))
        .send({ voucherId: hefeiEnterprise.voucherId, facilityId: zjLab.facilityId, quantity: 1 })
        .expect(201);
      await t.http.post(`/api/redemptions/${refused.body.id}/capture`).set(auth(zjLab.token)).send({ actualQuantity: 1 }).expect(200);
      const rejected = (
        await t.http
          .post('/api/claims')
          .set(auth(zjLab.token))
          .send({ redemptionIds: [refused.body.id], evidence: EVIDENCE })
          .expect(201)
      ).body;
      await t.http
        .post(`/api/claims/${rejected.id}/reject`)
        .set(await t.as('bureau-ah'))
        .send({ reason: '合同缺失' })
        .expect(200);

      const res = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(res.body).toEqual({
        id: expect.any(String),
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
            claimIds: [a.id, b.id].sort(),
          },
          {
            payeeId: zjLab.organizationId,
            payeeName: '浙江大学分析测试中心',
            payeeProvinceCode: '330000',
            issuingProvinceCode: '340000',
            amountFen: 75_000,
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

    it('pays once: the lines are stamped, the ledger moves the payables to paid, a second payment is 409', async () => {
      const res = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah'))
        .send({ paymentRef: 'AH-GK-2026-0042' })
        .expect(200);
      expect(res.body).toMatchObject({ status: 'paid', paymentRef: 'AH-GK-2026-0042', totalFen: 170_000, paidAt: expect.any(String) });
      expect(res.body.lines.map((l: { paidAt: string }) => l.paidAt)).toEqual([res.body.paidAt, res.body.paidAt]);
      const moved = await t.dataSource.getRepository(LedgerTransfer).findBy({ refType: 'settlement', refId: batch.id });
      expect(moved.map((m) => m.amountFen).sort((x, y) => x - y)).toEqual([50_000, 120_000]);
      expect(moved.every((m) => m.debitAccount.startsWith(`payable:${HEFEI}:`) && m.creditAccount.startsWith(`paid:${HEFEI}:`))).toBe(true);
      const again = await t.http
        .post(`/api/settlements/${batch.id}/pay`)
        .set(await t.as('bureau-ah'))
        .send({ paymentRef: 'AH-GK-2026-0043' })
        .expect(409);
      expect(again.body.message).toContain('AH-GK-2026-0042');
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
      await t.http.get(`/api/settlements/${batchId}`).set(auth(shLab.token)).expect(403);
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
      await t.http.get('/api/settlements').set(auth(shLab.token)).expect(403);
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
      const csv = await t.http
        .get(`/api/settlements/${batchId}/lines.csv`)
        .set(await t.as('platform'))
        .expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(
        csv.text
          .replace(/^\uFEFF/, '')
          .split('\r\n')
          .filter(Boolean),
      ).toEqual([
        '结算单号,序号,收款单位,统一社会信用代码,所在省市,笔数,金额（分）,金额（元）',
        `${batchId},1,上海微观表征公共服务平台,${shLab.creditCode},上海市,1,40000,400.00`,
      ]);
      for (const path of ['statement', 'lines.csv']) {
        await t.http
          .get(`/api/settlements/${batchId}/${path}`)
          .set(await t.as('bureau-sh'))
          .expect(404);
        await t.http.get(`/api/settlements/${batchId}/${path}`).set(auth(shLab.token)).expect(403);
      }
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
    it('takes only the claims approved by periodEnd, and names the batch after that period', async () => {
      const early = await approvedClaim(shLab, 1);
      const day = clock.today();
      clock.travel(100 * DAY_MS);
      const late = await approvedClaim(shLab, 2);
      const first = await settle('bureau-ah', { regionCode: HEFEI, periodEnd: day }, 201);
      expect(first.body).toMatchObject({
        periodLabel: quarterOf(day),
        periodEnd: day,
        totalFen: 40_000,
        lines: [expect.objectContaining({ claimIds: [early.id] })],
      });
      await settle('bureau-ah', { regionCode: HEFEI, periodEnd: day }, 409);
      const second = await settle('bureau-ah', { regionCode: HEFEI }, 201);
      expect(second.body).toMatchObject({
        periodLabel: quarterOf(clock.today()),
        totalFen: 80_000,
        lines: [expect.objectContaining({ claimIds: [late.id] })],
      });
      expect(second.body).not.toHaveProperty('periodEnd');
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
      const day = (
        await t.http
          .get('/api/settlements?status=paid')
          .set(await t.as('platform'))
          .expect(200)
      ).body.items[0].paidAt.slice(0, 10);
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
});
