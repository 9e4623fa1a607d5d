import { createHash } from 'node:crypto';
import { FirstAdmins } from '../../src/auth/first-admins';
import { beijingDayStart, clock } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';
import { bureauFor, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { auth, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.
const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ text: string }>;

const HEFEI = '340100';
const SHANGHAI = '310000';
const JIANGSU = '320000';

type Flow = { fromProvinceCode: string; toProvinceCode: string; amountFen: number };
type Run = {
  id: string;
  gross: Flow[];
  net: { provinceCode: string; netFen: number }[];
  transfers: Flow[];
  grossTotalFen: number;
  transferTotalFen: number;
};

/** A treasury officer's probe: a run's figures hold to the fen against the lines it took in, at a day's edge and under load. */
describe('clearing runs as a treasury reads them', () => {
  let t: TestApp;
  let platform: string;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, SHANGHAI);
    await openRegion(t, JIANGSU);
    platform = await t.token('platform');
  });
  afterAll(() => t.close());

  /** A second person of the platform (复核人), signed in: the seeded `platform` records, this one voids. */
  let checker: string | undefined;
  async function secondPlatformPerson(): Promise<string> {
    if (checker) return checker;
    const made = await t.get(FirstAdmins).make('treasury-checker', 'platform');
    await t.http
      .post('/api/auth/setup')
      .send({ username: 'treasury-checker', setupCode: made.setupCode, newPassword: 'Checker-Own-Pass-2026!' })
      .expect(204);
    checker = (await t.login('treasury-checker', 'Checker-Own-Pass-2026!')).accessToken;
    return checker;
  }

  /** An open batch of `issuing` paying one lab of `labRegion` half of `unitPriceFen`; its id. */
  async function openBatch(home: string, issuing: string, labRegion: string, unitPriceFen: number): Promise<string> {
    const e = await t.registerEnterprise(home);
    const lab = await t.registerProvider(labRegion);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '场发射扫描电镜机时', unitPriceFen, hours: 1 });
    const bureau = await t.token(bureauFor(issuing));
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    return (await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: issuing }).expect(201)).body.id;
  }

  const pdfOf = async (runId: string): Promise<Buffer> =>
    (
      await t.http
        .get(`/api/clearing-runs/${runId}/report.pdf`)
        .set(auth(platform))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200)
    ).body as Buffer;

  /** What a treasury checks of every run: net sums to 0, the transfers settle it in at most n−1, totals are the sums. */
  function holds(run: Run) {
    expect(run.net.reduce((s, n) => s + n.netFen, 0)).toBe(0);
    expect(run.transfers.length).toBeLessThanOrEqual(Math.max(0, run.net.length - 1));
    expect(run.grossTotalFen).toBe(run.gross.reduce((s, f) => s + f.amountFen, 0));
    expect(run.transferTotalFen).toBe(run.transfers.reduce((s, f) => s + f.amountFen, 0));
    for (const n of run.net) {
      const settled = run.transfers.reduce(
        (s, f) => s + (f.toProvinceCode === n.provinceCode ? f.amountFen : 0) - (f.fromProvinceCode === n.provinceCode ? f.amountFen : 0),
        0,
      );
      expect(settled).toBe(n.netFen);
    }
  }

  async function linesOf(runId: string): Promise<{ pair: string; fen: number; paidOn: string }[]> {
    const csv = await t.http.get(`/api/clearing-runs/${runId}/lines.csv`).set(auth(platform)).expect(200);
    const [header, ...rows] = csv.text
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .filter(Boolean)
      .map((l) => l.split(','));
    const col = (name: string) => header.indexOf(name);
    return rows.map((r) => ({
      pair: `${r[col('issuingProvinceCode')]}>${r[col('payeeProvinceCode')]}`,
      fen: Number(r[col('amountFen')]),
      paidOn: r[col('paidOn')],
    }));
  }

  it('a batch paid a moment before Beijing midnight is the closing day’s; one paid at midnight is the next day’s, though UTC calls both the same day', async () => {
    const before = await openBatch('340104', HEFEI, '310115', 10_002); // 5,001 fen
    const after = await openBatch('340104', HEFEI, '310115', 20_006); // 10,003 fen
    // 3 s before the next Beijing midnight (16:00 UTC; the clock runs on while the payment is made): UTC says the same day on both sides of it.
    const day = clock.today();
    const midnight = Date.parse(beijingDayStart(addDays(day, 1)));
    clock.travel(midnight - 3_000 - clock.now().getTime());
    await paySettlement(t, HEFEI, before);
    clock.travel(midnight - clock.now().getTime());
    await paySettlement(t, HEFEI, after);
    expect(clock.today()).toBe(addDays(day, 1));

    // The next day's run, before the closing day's: the closing day is covered by no run, so its line would go into the
    // next day's unasked (422 naming the day), unless the platform means to catch it up.
    const skipped = await t.http
      .get(`/api/clearing-runs/preview?from=${addDays(day, 1)}&to=${addDays(day, 1)}`)
      .set(auth(platform))
      .expect(422);
    expect(skipped.body).toMatchObject({ code: 'UNCLEARED_BEFORE_PERIOD', message: expect.stringContaining(day) });
    // The dry run of the next day's run made with catchUp: it would catch up the closing day's line too,
    // which the period's own clearing (GET /api/clearing) leaves out; it records nothing.
    const preview = await t.http
      .get(`/api/clearing-runs/preview?from=${addDays(day, 1)}&to=${addDays(day, 1)}&catchUp=true`)
      .set(auth(platform))
      .expect(200);
    expect(preview.body).toMatchObject({
      gross: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 15_004 }],
      transfers: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 15_004 }],
      grossTotalFen: 15_004,
      transferTotalFen: 15_004,
      lineCount: 2,
      caughtUpLineCount: 1,
      caughtUpFen: 5_001,
    });
    const period = await t.http
      .get(`/api/clearing?from=${addDays(day, 1)}&to=${addDays(day, 1)}`)
      .set(auth(platform))
      .expect(200);
    expect(period.body.gross).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 10_003 }]);

    const closing = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: day, to: day }).expect(201)).body as Run;
    holds(closing);
    expect(closing.gross).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 5_001 }]);
    expect(await linesOf(closing.id)).toEqual([{ pair: '340000>310000', fen: 5_001, paidOn: day }]);
    const next = (
      await t.http
        .post('/api/clearing-runs')
        .set(auth(platform))
        .send({ from: addDays(day, 1), to: addDays(day, 1) })
        .expect(201)
    ).body as Run;
    expect(next.gross).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 10_003 }]);
    expect(await linesOf(next.id)).toEqual([{ pair: '340000>310000', fen: 10_003, paidOn: addDays(day, 1) }]);
    await t.ledgerCheck();
  });

  it('batches paid while runs are recorded: each line goes into exactly one run, none is missed, and the runs add up to the lines', async () => {
    const n = 12;
    const specs = Array.from({ length: n }, (_, i) =>
      i % 3 === 0
        ? (['340104', HEFEI, '310115'] as const)
        : i % 3 === 1
          ? (['310115', SHANGHAI, '320100'] as const)
          : (['320100', JIANGSU, '340104'] as const),
    );
    const batches: { id: string; region: string }[] = [];
    for (const [i, [home, issuing, lab]] of specs.entries())
      batches.push({ id: await openBatch(home, issuing, lab, 2 * (1_000 + i)), region: issuing });
    const today = clock.today();
    const results = await Promise.all([
      ...batches.map((b) => paySettlement(t, b.region, b.id)),
      ...Array.from({ length: 6 }, () => t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today })),
    ]);
    const runs = results.slice(n).map((r) => {
      expect(r.status).toBe(201);
      return r.body as Run;
    });
    const last = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body as Run;
    runs.push(last);
    for (const r of runs) holds(r);
    const lines = (await Promise.all(runs.map((r) => linesOf(r.id)))).flat();
    const expected = specs.map(([, issuing, lab], i) => `${issuing.slice(0, 2)}0000>${lab.slice(0, 2)}0000:${1_000 + i}`).sort();
    expect(lines.map((l) => `${l.pair}:${l.fen}`).sort()).toEqual(expected);
    const total = runs.reduce((s, r) => s + r.grossTotalFen, 0);
    expect(total).toBe(specs.reduce((s, _, i) => s + 1_000 + i, 0));
    await t.ledgerCheck();
  });

  it('previews the run it would record, recording nothing: the run made after it has its figures, and takes the number a preview did not', async () => {
    const today = clock.today();
    const [ah, sh] = [await openBatch('340104', HEFEI, '310115', 8_000), await openBatch('310115', SHANGHAI, '340104', 2_000)];
    await paySettlement(t, HEFEI, ah);
    await paySettlement(t, SHANGHAI, sh);
    const before = (await t.http.get('/api/clearing-runs').set(auth(platform)).expect(200)).body.total as number;
    const audit = async () => (await t.http.get('/api/audit?entityType=clearing_run').set(auth(platform)).expect(200)).body.total as number;
    const audited = await audit();
    const preview = (await t.http.get(`/api/clearing-runs/preview?from=${today}&to=${today}`).set(auth(platform)).expect(200)).body;
    holds(preview);
    expect(preview).toEqual({
      from: today,
      to: today,
      gross: [
        { fromProvinceCode: '310000', toProvinceCode: '340000', amountFen: 1_000 },
        { fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 4_000 },
      ],
      net: [
        { provinceCode: '310000', netFen: 3_000 },
        { provinceCode: '340000', netFen: -3_000 },
      ],
      transfers: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 3_000 }],
      grossTotalFen: 5_000,
      transferTotalFen: 3_000,
      lineCount: 2,
      caughtUpLineCount: 0,
      caughtUpFen: 0,
      computedAt: expect.any(String),
    });
    // Asked again, the same: nothing was taken in, numbered, audited or told.
    expect((await t.http.get(`/api/clearing-runs/preview?from=${today}&to=${today}`).set(auth(platform)).expect(200)).body).toMatchObject({
      grossTotalFen: 5_000,
      lineCount: 2,
    });
    expect((await t.http.get('/api/clearing-runs').set(auth(platform)).expect(200)).body.total).toBe(before);
    expect(await audit()).toBe(audited);
    const run = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body;
    expect(run).toMatchObject({
      gross: preview.gross,
      net: preview.net,
      transfers: preview.transfers,
      grossTotalFen: 5_000,
      transferTotalFen: 3_000,
    });
    expect(Number(run.runNo.slice(-4))).toBe(before + 1);
    expect((await t.http.get(`/api/clearing-runs/preview?from=${today}&to=${today}`).set(auth(platform)).expect(200)).body).toMatchObject({
      gross: [],
      net: [],
      transfers: [],
      lineCount: 0,
    });
  });

  it('refuses a preview as it refuses the run: a period not ended 422 in Chinese, from after to 400, a bureau 403', async () => {
    const today = clock.today();
    const late = await t.http
      .get(`/api/clearing-runs/preview?from=${today}&to=${addDays(today, 1)}`)
      .set(auth(platform))
      .set('Accept-Language', 'zh-CN')
      .expect(422);
    expect(late.body).toMatchObject({ code: 'PERIOD_NOT_ENDED', message: expect.stringContaining('清算截止日') });
    const reversed = await t.http
      .get(`/api/clearing-runs/preview?from=${today}&to=${addDays(today, -1)}`)
      .set(auth(platform))
      .expect(400);
    expect(reversed.body.code).toBe('VALIDATION_FAILED');
    await t.http.get(`/api/clearing-runs/preview?to=${today}`).set(auth(platform)).expect(400);
    await t.http
      .get(`/api/clearing-runs/preview?from=${today}&to=${today}`)
      .set(auth(await t.token('bureau-ah')))
      .expect(403);
  });

  it('prints a province whose flows cancel out as even (持平), neither paying nor receiving, and no transfer as netted away, not as no payment', async () => {
    const today = clock.today();
    const [ah, sh] = [await openBatch('340104', HEFEI, '310115', 6_000), await openBatch('310115', SHANGHAI, '340104', 6_000)];
    await paySettlement(t, HEFEI, ah);
    await paySettlement(t, SHANGHAI, sh);
    const run = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body as Run;
    expect(run.net).toEqual([
      { provinceCode: '310000', netFen: 0 },
      { provinceCode: '340000', netFen: 0 },
    ]);
    expect(run.transfers).toEqual([]);
    const printed = (await pdfParse(await pdfOf(run.id))).text.replace(/\s+/g, '');
    expect(printed).toContain('上海市（310000）持平even¥0.00');
    expect(printed).toContain('安徽省（340000）持平even¥0.00');
    expect(printed).not.toContain('应收receives');
    // There were payments across the border; they net to nothing to transfer, which the transfers table says.
    expect(printed).not.toContain('本期无跨省支付');
    expect(printed).toContain('轧差后无需划转·Nothingtotransferafternetting');
  });

  it('a run recorded in error is voided by a second person with a reason: it keeps its figures, its lines go into the next run, once', async () => {
    const today = clock.today();
    const [ah, sh] = [await openBatch('340104', HEFEI, '310115', 14_000), await openBatch('310115', SHANGHAI, '340104', 4_000)];
    await paySettlement(t, HEFEI, ah);
    await paySettlement(t, SHANGHAI, sh);
    const wrong = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body;
    expect(wrong).toMatchObject({ grossTotalFen: 9_000, transferTotalFen: 5_000 });
    const linesBefore = await linesOf(wrong.id);
    const void_ = (token: string, body: object = { reason: '期间填错：应为第四季度' }) =>
      t.http.post(`/api/clearing-runs/${wrong.id}/void`).set(auth(token)).send(body);

    // Whoever recorded it cannot void it (maker-checker), in Chinese for zh-CN; a bureau cannot at all; a reason is needed.
    const own = await void_(platform).set('Accept-Language', 'zh-CN').expect(403);
    expect(own.body).toMatchObject({
      code: 'DUAL_CONTROL_REQUIRED',
      message: expect.stringContaining(`清算单 ${wrong.runNo} 的生成人不能将其作废`),
    });
    await void_(await t.token('bureau-ah')).expect(403);
    const second = await secondPlatformPerson();
    expect((await void_(second, {}).expect(400)).body.message).toContain('reason');
    await void_(second, { reason: '   ' }).expect(400);

    const voided = (await void_(second).expect(200)).body;
    const me = (await t.http.get('/api/auth/me').set(auth(second)).expect(200)).body.user.id;
    expect(voided).toEqual({ ...wrong, voidedAt: expect.any(String), voidedBy: me, voidReason: '期间填错：应为第四季度' });
    expect((await t.http.get(`/api/clearing-runs/${wrong.id}`).set(auth(platform)).expect(200)).body).toEqual(voided);
    // Its CSV keeps its hash, its lines.csv the lines it took in; Anhui's bureau reads its position, stamped void.
    const csv = await t.http.get(`/api/clearing-runs/${wrong.id}/entries.csv`).set(auth(platform)).expect(200);
    expect(createHash('sha256').update(csv.text, 'utf8').digest('hex')).toBe(wrong.csvSha256);
    expect(await linesOf(wrong.id)).toEqual(linesBefore);
    const printed = (await pdfParse(await pdfOf(wrong.id))).text.replace(/\s+/g, '');
    expect(printed).toContain(`${wrong.runNo}（已作废VOID）`);
    expect(printed).toContain('作废，原因：期间填错：应为第四季度');
    expect(
      (
        await t.http
          .get(`/api/clearing-runs/${wrong.id}`)
          .set(auth(await t.token('bureau-ah')))
          .expect(200)
      ).body,
    ).toMatchObject({
      netFen: -5_000,
      voidedAt: voided.voidedAt,
      voidReason: '期间填错：应为第四季度',
    });
    // Voided once: again is 409, in Chinese.
    const again = await void_(second).set('Accept-Language', 'zh-CN').expect(409);
    expect(again.body).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining(`清算单 ${wrong.runNo} 已作废`) });

    // The preview and the next run take its lines in again, once.
    const preview = (await t.http.get(`/api/clearing-runs/preview?from=${today}&to=${today}`).set(auth(platform)).expect(200)).body;
    expect(preview).toMatchObject({ grossTotalFen: 9_000, transferTotalFen: 5_000, lineCount: 2 });
    const right = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body;
    expect(right).toMatchObject({ gross: wrong.gross, net: wrong.net, transfers: wrong.transfers, grossTotalFen: 9_000 });
    expect(await linesOf(right.id)).toEqual(linesBefore);
    expect(
      (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body.grossTotalFen,
    ).toBe(0);

    // Audited with its reason and who; each province of the run hears of it with its own position.
    const audit = await t.http.get(`/api/audit?entityType=clearing_run&entityId=${wrong.id}`).set(auth(platform)).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['clearing_run.recorded', 'clearing_run.voided']);
    expect(audit.body.items.find((e: { action: string }) => e.action === 'clearing_run.voided')).toMatchObject({
      summary: expect.objectContaining({ runNo: wrong.runNo, reason: '期间填错：应为第四季度', lines: 2 }),
    });
    const heard: { type: string; data: Record<string, unknown> }[] = [];
    for (let after = ''; ;) {
      const page = await t.http
        .get(`/api/events?limit=500${after ? `&after=${after}` : ''}`)
        .set(auth(await t.token('bureau-sh')))
        .expect(200);
      heard.push(...page.body.items);
      if (page.body.items.length === 0) break;
      after = page.body.nextCursor;
    }
    expect(heard.filter((e) => e.type === 'clearing_run.voided').map((e) => e.data)).toEqual([
      expect.objectContaining({
        clearingRunId: wrong.id,
        regionCode: '310000',
        runNo: wrong.runNo,
        netFen: 5_000,
        reason: '期间填错：应为第四季度',
      }),
    ]);
    await t.ledgerCheck();
  });

  it('voids at once: one wins, the others are 409; runs recorded meanwhile take the lines in once', async () => {
    const today = clock.today();
    const batches = [await openBatch('340104', HEFEI, '310115', 2_222), await openBatch('320100', JIANGSU, '340104', 4_444)];
    await paySettlement(t, HEFEI, batches[0]);
    await paySettlement(t, JIANGSU, batches[1]);
    const run = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body;
    const second = await secondPlatformPerson();
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => t.http.post(`/api/clearing-runs/${run.id}/void`).set(auth(second)).send({ reason: '重复生成' })),
      ...Array.from({ length: 4 }, () => t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today })),
    ]);
    const voids = results.slice(0, 8).map((r) => r.status);
    expect(voids.filter((s) => s === 200)).toHaveLength(1);
    expect(voids.filter((s) => s === 409)).toHaveLength(7);
    const made = results.slice(8).map((r) => {
      expect(r.status).toBe(201);
      return r.body as Run;
    });
    made.push((await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body as Run);
    const lines = (await Promise.all(made.map((r) => linesOf(r.id)))).flat();
    expect(lines.map((l) => `${l.pair}:${l.fen}`).sort()).toEqual(['320000>340000:2222', '340000>310000:1111']);
    expect(made.reduce((s, r) => s + r.grossTotalFen, 0)).toBe(3_333);
    await t.ledgerCheck();
  });

  /** A line paid a moment before the next Beijing midnight (day D) and one paid at it (D + 1), no run recorded between. */
  async function linesOnTwoDays(price: number): Promise<string> {
    const [early, late] = [await openBatch('340104', HEFEI, '310115', price), await openBatch('320100', JIANGSU, '340104', price + 2)];
    const day = clock.today();
    const midnight = Date.parse(beijingDayStart(addDays(day, 1)));
    clock.travel(midnight - 3_000 - clock.now().getTime());
    await paySettlement(t, HEFEI, early);
    clock.travel(midnight - clock.now().getTime());
    await paySettlement(t, JIANGSU, late);
    return day;
  }

  it('runs of two periods recorded at once keep their order: the later one records only once the earlier stands, never with its lines', async () => {
    const day = await linesOnTwoDays(3_030);
    const next = addDays(day, 1);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.http
          .post('/api/clearing-runs')
          .set(auth(platform))
          .send(i % 2 ? { from: next, to: next } : { from: day, to: day }),
      ),
    );
    const later = results.filter((r, i) => i % 2 === 1 && r.status === 201);
    for (const r of results) expect([201, 422]).toContain(r.status);
    expect(results.filter((r, i) => i % 2 === 0).every((r) => r.status === 201)).toBe(true);
    // A run of D + 1 holds no line of D: D's line is the run of D's.
    for (const r of later) expect((await linesOf(r.body.id)).filter((l) => l.paidOn === day)).toEqual([]);
    const lines = (await Promise.all(results.filter((r) => r.status === 201).map((r) => linesOf(r.body.id)))).flat();
    expect(lines.filter((l) => l.paidOn === day)).toEqual([{ pair: '340000>310000', fen: 1_515, paidOn: day }]);
    await t.ledgerCheck();
  });

  it('a run voided while a later period is recorded: the later run never takes the voided run’s lines unasked (they wait for their own period)', async () => {
    const second = await secondPlatformPerson();
    // A day of its own, which no run covers yet (a line paid on a covered day after its run is caught up by design).
    clock.travel(Date.parse(beijingDayStart(addDays(clock.today(), 1))) - clock.now().getTime());
    const day = clock.today();
    const [early, late] = [await openBatch('340104', HEFEI, '310115', 5_050), await openBatch('320100', JIANGSU, '340104', 5_052)];
    const midnight = Date.parse(beijingDayStart(addDays(day, 1)));
    clock.travel(midnight - 3_000 - clock.now().getTime());
    await paySettlement(t, HEFEI, early);
    const wrong = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: day, to: day }).expect(201)).body as Run;
    clock.travel(midnight - clock.now().getTime());
    await paySettlement(t, JIANGSU, late);
    const next = addDays(day, 1);
    const results = await Promise.all([
      t.http.post(`/api/clearing-runs/${wrong.id}/void`).set(auth(second)).send({ reason: '期间填错' }),
      ...Array.from({ length: 11 }, () => t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: next, to: next })),
    ]);
    expect(results[0].status).toBe(200);
    const made = results.slice(1).filter((r) => r.status === 201);
    for (const r of results.slice(1)) expect([201, 422]).toContain(r.status);
    // Recorded before the void, a run of D + 1 found D covered and took none of its lines; after it, D is uncovered: 422.
    for (const r of made) expect((await linesOf(r.body.id)).filter((l) => l.paidOn === day)).toEqual([]);
    // D's line waits for D recorded again.
    const again = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: day, to: day }).expect(201)).body as Run;
    expect(await linesOf(again.id)).toEqual([{ pair: '340000>310000', fen: 2_525, paidOn: day }]);
    await t.ledgerCheck();
  });

  it('a city’s bureau reads no run; another province reads its own zero position, never the whole run', async () => {
    const run = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: clock.today(), to: clock.today() }).expect(201))
      .body;
    const zj = await t.token('bureau-zj');
    const pos = (await t.http.get(`/api/clearing-runs/${run.id}`).set(auth(zj)).expect(200)).body;
    expect(pos).toMatchObject({ provinceCode: '330000', netFen: 0 });
    expect(pos.gross).toBeUndefined();
  });
});
