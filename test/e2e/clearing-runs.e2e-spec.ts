import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'superagent';
import { LinesClearedOnce1765600000000 } from '../../migrations/1765600000000-lines-cleared-once';
import { ClearingRunNumbers1766500000000 } from '../../migrations/1766500000000-clearing-run-numbers';
import { beijingDayStart, clock } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';
import { activatedBureauAccount, bureauFor, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { auth, OrgSession, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.
const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ text: string }>;

/** Collects a binary response body (superagent leaves unknown types unparsed). */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

/** With DOCS_OUT set, the PDF is also written there, to be looked at (pdftoppm -png). */
function keep(name: string, pdf: Buffer) {
  if (!process.env.DOCS_OUT) return;
  mkdirSync(process.env.DOCS_OUT, { recursive: true });
  writeFileSync(join(process.env.DOCS_OUT, name), pdf);
}

const HEFEI = '340100';
const SHANGHAI = '310000';

/** Recorded clearing runs (issue 19, item 6): the platform records, every bureau reads its province's side. */
describe('clearing runs', () => {
  let t: TestApp;
  let platform: string;
  // Runs recorded before the migration tested below cleared UTC days, which it replays; the service's days are Beijing's
  // now. Business time stays where the two days agree (00:00–16:00 UTC), so that the replay is exact at any hour.
  if (clock.now().getUTCHours() >= 16) clock.travel(8 * 3_600_000);
  const today = clock.today();
  /** The n-th run's number this (Beijing) year. */
  const runNo = (n: number) => `QS-${today.slice(0, 4)}-${String(n).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, SHANGHAI);
    platform = await t.token('platform');
  });
  afterAll(() => t.close());

  /** A signed-in reviewer of 合肥市科学技术局: made by the province's admin, activated by the platform, set up. */
  async function cityBureau(): Promise<string> {
    const username = `hefei-clearing-${++cityReviewers}`;
    const { setupCode } = await activatedBureauAccount(t, 'bureau-ah', username, { regionCode: HEFEI });
    await t.http.post('/api/auth/setup').send({ username, setupCode, newPassword: 'Holder-Own-Pass-2026' }).expect(204);
    return (await t.login(username, 'Holder-Own-Pass-2026')).accessToken;
  }
  let cityReviewers = 0;

  /** An enterprise of `home` uses `hours` at a lab of `labRegion`; the issuing bureau approves, settles and pays the claim. */
  async function paidUse(home: string, issuing: string, labRegion: string, unitPriceFen: number) {
    const e: OrgSession = await t.registerEnterprise(home);
    const lab = await t.registerProvider(labRegion);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '场发射扫描电镜机时', unitPriceFen, hours: 1 });
    const bureau = await t.token(bureauFor(issuing));
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    const batch = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: issuing }).expect(201);
    await paySettlement(t, issuing, batch.body.id);
  }

  const record = (token: string, body: object) => t.http.post('/api/clearing-runs').set(auth(token)).send(body);

  it('records gross, net and transfers under an immutable id and number; later payments make a later run of only them, never a changed one', async () => {
    await paidUse('340104', HEFEI, '310115', 80_000); // Anhui pays a Shanghai lab 40,000 fen
    await paidUse('310115', SHANGHAI, '340104', 30_000); // Shanghai pays a Hefei lab 15,000 fen
    const first = await record(platform, { from: today, to: today }).set('Idempotency-Key', 'run-1').expect(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      runNo: runNo(1),
      from: today,
      to: today,
      gross: [
        { fromProvinceCode: '310000', toProvinceCode: '340000', amountFen: 15_000 },
        { fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 40_000 },
      ],
      net: [
        { provinceCode: '310000', netFen: 25_000 },
        { provinceCode: '340000', netFen: -25_000 },
      ],
      transfers: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 25_000 }],
      grossTotalFen: 55_000,
      transferTotalFen: 25_000,
      csvSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdBy: expect.any(String),
      createdAt: expect.any(String),
    });
    // The same key and body replay the run; nothing new is recorded.
    expect((await record(platform, { from: today, to: today }).set('Idempotency-Key', 'run-1').expect(201)).body.id).toBe(first.body.id);

    const csv = await t.http.get(`/api/clearing-runs/${first.body.id}/entries.csv`).set(auth(platform)).expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="clearing-run-${runNo(1)}.csv"`);
    expect(createHash('sha256').update(csv.text, 'utf8').digest('hex')).toBe(first.body.csvSha256);
    expect(csv.text).toContain(`${first.body.id},${today},${today},transfer,340000,310000,,25000,250.00\r\n`);
    expect(csv.text).toContain(`${first.body.id},${today},${today},net,,,340000,-25000,-250.00\r\n`);

    await paidUse('340104', HEFEI, '310115', 20_000); // another 10,000 fen after the run
    const second = await record(platform, { from: today, to: today }).expect(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.runNo).toBe(runNo(2));
    // Only what was paid since: the first run's lines are not owed again.
    expect(second.body.gross).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 10_000 }]);
    expect(second.body.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 10_000 }]);
    const again = await t.http.get(`/api/clearing-runs/${first.body.id}`).set(auth(platform)).expect(200);
    expect(again.body).toEqual(first.body);
    const csvAgain = await t.http.get(`/api/clearing-runs/${first.body.id}/entries.csv`).set(auth(platform)).expect(200);
    expect(csvAgain.text).toBe(csv.text);

    const pdf = await t.http
      .get(`/api/clearing-runs/${first.body.id}/report.pdf`)
      .set(auth(platform))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`inline; filename="clearing-run-${runNo(1)}.pdf"`);
    keep('clearing-run.pdf', pdf.body as Buffer);
    const printed = (await pdfParse(pdf.body as Buffer)).text.replace(/\s+/g, '');
    for (const figure of [
      `清算编号RunNo.${runNo(1)}`,
      first.body.id,
      first.body.csvSha256,
      '安徽省（340000）',
      '上海市（310000）',
      '¥250.00',
      '¥550.00',
      '-¥250.00',
      '贰佰伍拾元整',
    ]) {
      expect(printed).toContain(figure);
    }

    const list = await t.http.get('/api/clearing-runs').set(auth(platform)).expect(200);
    expect(list.body.total).toBe(2);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([second.body.id, first.body.id]);
    const audit = await t.http.get(`/api/audit?entityType=clearing_run&entityId=${first.body.id}`).set(auth(platform)).expect(200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: 'clearing_run.recorded',
        summary: expect.objectContaining({ runNo: runNo(1), csvSha256: first.body.csvSha256 }),
      }),
    ]);

    // Each bureau reads its province's position in every run; one that took no part reads zero.
    const position = async (bureau: string, id: string) =>
      (
        await t.http
          .get(`/api/clearing-runs/${id}`)
          .set(auth(await t.token(bureau)))
          .expect(200)
      ).body;
    expect(await position('bureau-ah', first.body.id)).toEqual({
      id: first.body.id,
      runNo: runNo(1),
      from: today,
      to: today,
      createdAt: first.body.createdAt,
      provinceCode: '340000',
      netFen: -25_000,
      grossPaidFen: 40_000,
      grossReceivedFen: 15_000,
      pays: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 25_000 }],
      receives: [],
    });
    expect(await position('bureau-sh', first.body.id)).toMatchObject({
      provinceCode: '310000',
      netFen: 25_000,
      grossPaidFen: 15_000,
      grossReceivedFen: 40_000,
      pays: [],
      receives: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 25_000 }],
    });
    expect(await position('bureau-js', second.body.id)).toMatchObject({ provinceCode: '320000', netFen: 0, pays: [], receives: [] });
    const ahList = await t.http
      .get('/api/clearing-runs')
      .set(auth(await t.token('bureau-ah')))
      .expect(200);
    expect(ahList.body.items.map((r: { netFen: number }) => r.netFen)).toEqual([-10_000, -25_000]);
    expect(JSON.stringify(ahList.body)).not.toContain('csvSha256');
    await t.ledgerCheck();
  });

  it('a run of an overlapping period takes in only lines no run took in: recorded again, a year owes nothing more', async () => {
    await paidUse('340104', HEFEI, '310115', 6_000); // 3,000 fen Anhui → Shanghai
    const day = await record(platform, { from: today, to: today }).expect(201);
    expect(day.body.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 3_000 }]);
    const year = await record(platform, { from: `${today.slice(0, 4)}-01-01`, to: today }).expect(201);
    expect(year.body).toMatchObject({ gross: [], transfers: [], grossTotalFen: 0, transferTotalFen: 0 });
    // What is computed on request still shows the whole period.
    const computed = await t.http.get(`/api/clearing?from=${today}&to=${today}`).set(auth(platform)).expect(200);
    expect(computed.body.gross.length).toBeGreaterThan(0);
  });

  it('the migration gives runs recorded before it the lines they took in', async () => {
    await paidUse('340104', HEFEI, '310115', 10_000); // 5,000 fen
    const run = (await record(platform, { from: today, to: today }).expect(201)).body;
    expect(run.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 5_000 }]);
    const taken = () =>
      t.dataSource.query<{ id: string; run: string | null }[]>('SELECT id, clearing_run_id AS run FROM settlement_line ORDER BY id');
    const before = await taken();
    const runner = t.dataSource.createQueryRunner();
    try {
      await new LinesClearedOnce1765600000000().down(runner); // as before it: no line knows its run
      await new LinesClearedOnce1765600000000().up(runner);
    } finally {
      await runner.release();
    }
    // The runs so far were recorded one after another, so each took in what was paid before it and no earlier run had.
    expect(await taken()).toEqual(before);
    expect(before.filter((l) => l.run === run.id)).toHaveLength(1);
    expect((await record(platform, { from: today, to: today }).expect(201)).body.transfers).toEqual([]);
  });

  it('a line paid before the period that no run took in goes into the next run, so none is left behind; its PDF says so, in Beijing days', async () => {
    await record(platform, { from: today, to: today }).expect(201); // whatever is waiting
    await paidUse('340104', HEFEI, '310115', 8_000); // 4,000 fen, paid on a day whose run was recorded before it
    await t.dataSource.query('UPDATE settlement_line SET paid_at = ? WHERE clearing_run_id IS NULL AND paid_at >= ?', [
      `${addDays(today, -1)}T15:00:00.000Z`, // 23:00 the day before, in Beijing
      beijingDayStart(today),
    ]);
    const next = await record(platform, { from: today, to: today }).expect(201);
    expect(next.body.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 4_000 }]);

    // The period is of Beijing days, and the run holds more than what was paid in it: the PDF says both.
    const pdf = await t.http
      .get(`/api/clearing-runs/${next.body.id}/report.pdf`)
      .set(auth(platform))
      .buffer(true)
      .parse(binary)
      .expect(200);
    const printed = (await pdfParse(pdf.body as Buffer)).text.replace(/\s+/g, '');
    expect(printed).toContain(`${today}至${today}（按支付日，北京时间）`);
    expect(printed).not.toContain('UTC');
    expect(printed).toContain(`期间内支付的结算行，及${today}前支付、此前未清算的结算行`);
    expect(printed).toContain('¥40.00');
  });

  it('lists the settlement lines a run took in, batch by batch, adding up to its gross flows to the fen; a line caught up from before `from` says its day', async () => {
    await record(platform, { from: today, to: today }).expect(201); // whatever is waiting
    await paidUse('340104', HEFEI, '310115', 9_000); // 4,500 fen Anhui → Shanghai, paid the day before, after its run
    await t.dataSource.query('UPDATE settlement_line SET paid_at = ? WHERE clearing_run_id IS NULL AND paid_at >= ?', [
      `${addDays(today, -1)}T15:30:00.000Z`, // 23:30 the day before, in Beijing
      beijingDayStart(today),
    ]);
    await paidUse('340104', HEFEI, '310115', 3_002); // 1,501 fen more, today
    await paidUse('310115', SHANGHAI, '340104', 2_468); // 1,234 fen Shanghai → Anhui
    const run = (await record(platform, { from: today, to: today }).expect(201)).body;
    expect(run.gross).toEqual([
      { fromProvinceCode: '310000', toProvinceCode: '340000', amountFen: 1_234 },
      { fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 6_001 },
    ]);

    const csv = await t.http.get(`/api/clearing-runs/${run.id}/lines.csv`).set(auth(platform)).expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="clearing-run-${run.runNo}-lines.csv"`);
    expect(
      csv.text.startsWith(
        '\uFEFFrunId,runNo,settlementId,batchNo,regionCode,issuingProvinceCode,payeeProvinceCode,payeeId,payeeName,amountFen,amountYuan,paidAt,paidOn,paymentRef\r\n',
      ),
    ).toBe(true);
    const rows = csv.text
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(','));
    expect(rows).toHaveLength(3);
    const [caughtUp, ...paidToday] = rows;
    expect(caughtUp.slice(0, 2)).toEqual([run.id, run.runNo]);
    expect(caughtUp.slice(4, 7)).toEqual([HEFEI, '340000', '310000']);
    expect(caughtUp.slice(9, 11)).toEqual(['4500', '45.00']);
    expect(caughtUp[12]).toBe(addDays(today, -1)); // before the run's `from`: caught up, not lost
    expect(paidToday.map((r) => r[12])).toEqual([today, today]);
    // Per province pair the lines add up to the run's gross flows.
    const byPair = new Map<string, number>();
    for (const r of rows) byPair.set(`${r[5]}>${r[6]}`, (byPair.get(`${r[5]}>${r[6]}`) ?? 0) + Number(r[9]));
    expect(Object.fromEntries(byPair)).toEqual({ '340000>310000': 6_001, '310000>340000': 1_234 });
    // Each line names its batch as the bureau's statement does, with the treasury's payment reference.
    for (const r of rows) {
      const batch = (await t.http.get(`/api/settlements/${r[2]}`).set(auth(platform)).expect(200)).body;
      expect([r[3], r[4], r[13]]).toEqual([batch.batchNo, batch.regionCode, batch.paymentRef]);
      const line = batch.lines.find((l: { payeeId: string }) => l.payeeId === r[7]);
      expect([r[8], Number(r[9]), r[11]]).toEqual([line.payeeName, line.amountFen, line.paidAt]);
    }
    // A run that took in nothing lists nothing.
    const empty = (await record(platform, { from: today, to: today }).expect(201)).body;
    const none = await t.http.get(`/api/clearing-runs/${empty.id}/lines.csv`).set(auth(platform)).expect(200);
    expect(none.text.split('\r\n').filter(Boolean)).toHaveLength(1);
    await t.ledgerCheck();
  });

  it('tells each province’s bureau of a run it takes part in, with its own position only, through the feed; the platform reads the run', async () => {
    await record(platform, { from: today, to: today }).expect(201); // whatever is waiting
    await paidUse('340104', HEFEI, '310115', 10_000); // 5,000 fen Anhui → Shanghai
    await paidUse('310115', SHANGHAI, '340104', 4_000); // 2,000 fen Shanghai → Anhui
    const run = (await record(platform, { from: today, to: today }).expect(201)).body;
    /** The clearing_run.recorded events of the run in a caller's feed. */
    const heard = async (token: string) => {
      const found: { type: string; data: Record<string, unknown> }[] = [];
      for (let after = ''; ;) {
        const page = await t.http
          .get(`/api/events?limit=500${after ? `&after=${after}` : ''}`)
          .set(auth(token))
          .expect(200);
        found.push(...page.body.items);
        if (page.body.items.length === 0) break;
        after = page.body.nextCursor;
      }
      return found.filter((e) => e.type === 'clearing_run.recorded' && e.data.clearingRunId === run.id).map((e) => e.data);
    };
    const position = (bureau: string) => t.token(bureau).then((token) => t.http.get(`/api/clearing-runs/${run.id}`).set(auth(token)));
    const ah = await heard(await t.token('bureau-ah'));
    expect(ah).toEqual([
      {
        clearingRunId: run.id,
        regionCode: '340000',
        runNo: run.runNo,
        from: today,
        to: today,
        netFen: -3_000,
        grossPaidFen: 5_000,
        grossReceivedFen: 2_000,
        pays: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 3_000 }],
        receives: [],
      },
    ]);
    // The figures a bureau reads of the run.
    expect((await position('bureau-ah')).body).toMatchObject({ netFen: -3_000, grossPaidFen: 5_000, grossReceivedFen: 2_000 });
    expect(await heard(await t.token('bureau-sh'))).toEqual([
      expect.objectContaining({ regionCode: '310000', netFen: 3_000, pays: [], receives: run.transfers }),
    ]);
    // A province that took no part hears nothing.
    expect(await heard(await t.token('bureau-js'))).toEqual([]);
    // Nor does a city's bureau, which reads no run either: its province's treasury is not its matter (it read Anhui's
    // position, gross and transfers, through GET while the feed told it nothing).
    const hefei = await cityBureau();
    expect(await heard(hefei)).toEqual([]);
    for (const path of [`/api/clearing-runs/${run.id}`, '/api/clearing-runs']) {
      const refused = await t.http.get(path).set(auth(hefei)).set('Accept-Language', 'zh-CN').expect(403);
      expect(refused.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('安徽省科学技术厅') });
    }
    // The platform reads the run's own event (totals, no region) and the provinces' (count one kind, not both).
    const all = await heard(platform);
    expect(all.filter((d) => d.regionCode === undefined)).toEqual([
      expect.objectContaining({ runNo: run.runNo, grossTotalFen: 7_000, transferTotalFen: 3_000, csvSha256: run.csvSha256 }),
    ]);
    expect(all.filter((d) => d.regionCode !== undefined).map((d) => d.regionCode)).toEqual(['310000', '340000']);
  });

  it('of runs recorded at once, each paid line goes to one: together they transfer what is owed once', async () => {
    await paidUse('340104', HEFEI, '310115', 4_000); // 2,000 fen
    await paidUse('310115', SHANGHAI, '340104', 2_000); // 1,000 fen the other way
    const runs = await Promise.all(Array.from({ length: 8 }, () => record(platform, { from: today, to: today })));
    expect(runs.map((r) => r.status)).toEqual(Array(8).fill(201));
    const gross = (pair: string) =>
      runs
        .flatMap((r) => r.body.gross as { fromProvinceCode: string; toProvinceCode: string; amountFen: number }[])
        .filter((f) => `${f.fromProvinceCode}>${f.toProvinceCode}` === pair)
        .reduce((sum, f) => sum + f.amountFen, 0);
    expect([gross('340000>310000'), gross('310000>340000')]).toEqual([2_000, 1_000]);
    const ids = new Set(runs.map((r) => r.body.id as string));
    const lines = await t.dataSource.query<{ run: string | null }[]>('SELECT clearing_run_id AS run FROM settlement_line');
    expect(lines.filter((l) => l.run !== null && ids.has(l.run))).toHaveLength(2);
    // Each has its own number, and together they follow on from the runs before them, with no gap.
    const numbers = runs.map((r) => r.body.runNo as string).sort();
    const first = Number(numbers[0].slice(-4));
    expect(numbers).toEqual(Array.from({ length: 8 }, (_, i) => runNo(first + i)));
    const total = (await t.http.get('/api/clearing-runs').set(auth(platform)).expect(200)).body.total as number;
    expect(first + 7).toBe(total);
  });

  it('the migration numbers the runs recorded before it in the order they were recorded, and the next run follows on', async () => {
    await record(platform, { from: today, to: today }).expect(201);
    const numbered = () =>
      t.dataSource.query<{ id: string; no: string }[]>('SELECT id, run_no AS no FROM clearing_run ORDER BY created_at, id');
    const before = await numbered();
    const runner = t.dataSource.createQueryRunner();
    try {
      await new ClearingRunNumbers1766500000000().down(runner); // as before it: no run has a number, no counter
      await new ClearingRunNumbers1766500000000().up(runner);
    } finally {
      await runner.release();
    }
    const after = await numbered();
    expect(after.map((r) => r.no)).toEqual(after.map((_, i) => runNo(i + 1)));
    expect(after.map((r) => r.no).sort()).toEqual(before.map((r) => r.no).sort());
    // A pass that died after numbering the first run and before writing the counter: the next numbers the rest after it.
    const again = t.dataSource.createQueryRunner();
    try {
      await new ClearingRunNumbers1766500000000().down(again);
      await again.query(`ALTER TABLE clearing_run ADD COLUMN run_no varchar(32) NOT NULL DEFAULT ''`);
      await again.query('UPDATE clearing_run SET run_no = ? WHERE id = ?', [runNo(1), after[0].id]);
      await new ClearingRunNumbers1766500000000().up(again);
    } finally {
      await again.release();
    }
    expect(await numbered()).toEqual(after);
    expect((await record(platform, { from: today, to: today }).expect(201)).body.runNo).toBe(runNo(after.length + 1));
  });

  it('a period with no cross-province payment is recorded with no figures', async () => {
    const res = await record(platform, { from: '2020-01-01', to: '2020-12-31' }).expect(201);
    expect(res.body).toMatchObject({ gross: [], net: [], transfers: [], grossTotalFen: 0, transferTotalFen: 0 });
  });

  it.each([
    [{ from: today }, 'to'],
    [{ from: '2026-02-30', to: today }, 'from'],
    [{ from: today, to: today, regionCode: '340000' }, 'regionCode'],
    [{ from: addDays(today, 1), to: today }, 'from'],
    [{ from: '1999-12-31', to: today }, 'from'],
  ])('refuses %j: 400 naming %s', async (body, field) => {
    const res = await record(platform, body).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(field) });
  });

  it('computes no clearing past the year 2100, whose next day would no longer sort as a date: 400 naming to', async () => {
    const res = await t.http
      .get(`/api/clearing?from=${today}&to=9999-12-31`)
      .set(auth(platform))
      .set('Accept-Language', 'zh-CN')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('to：必须是 2000–2100 年间的真实日期') });
    await t.http.get(`/api/clearing?from=${today}&to=2100-12-31`).set(auth(platform)).expect(200);
  });

  it('refuses a period that has not ended: 422 PERIOD_NOT_ENDED, in Chinese for zh-CN', async () => {
    const res = await record(platform, { from: today, to: addDays(today, 1) })
      .set('Accept-Language', 'zh-CN')
      .expect(422);
    expect(res.body).toMatchObject({
      code: 'PERIOD_NOT_ENDED',
      message: expect.stringMatching(/^清算截止日 \d{4}年\d{1,2}月\d{1,2}日 晚于今天（\d{4}年\d{1,2}月\d{1,2}日）：截止日最晚为今天/),
    });
  });

  it('only the platform records and downloads; organizations read nothing; an unknown run is 404', async () => {
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115');
    const run = (await record(platform, { from: today, to: today }).expect(201)).body.id;
    for (const token of [e.token, lab.token, await t.token('bureau-ah'), await t.token('bureau-sh')]) {
      expect((await record(token, { from: today, to: today }).expect(403)).body.code).toBe('FORBIDDEN');
    }
    for (const token of [e.token, lab.token]) {
      await t.http.get('/api/clearing-runs').set(auth(token)).expect(403);
      await t.http.get(`/api/clearing-runs/${run}`).set(auth(token)).expect(403);
    }
    for (const path of ['entries.csv', 'report.pdf']) {
      await t.http
        .get(`/api/clearing-runs/${run}/${path}`)
        .set(auth(await t.token('bureau-ah')))
        .expect(403);
    }
    // A province's bureau reads the lines of its own province only, and this run (every line was taken in before) has
    // none of Anhui's: 404, as its notice is (clearing-notice.e2e-spec.ts).
    for (const path of ['lines.csv', 'notice.pdf']) {
      await t.http
        .get(`/api/clearing-runs/${run}/${path}`)
        .set(auth(await t.token('bureau-ah')))
        .expect(404);
    }
    await t.http.post('/api/clearing-runs').send({ from: today, to: today }).expect(401);
    await t.http.get('/api/clearing-runs').expect(401);
    const missing = await t.http.get('/api/clearing-runs/00000000-0000-4000-8000-000000000000').set(auth(platform)).expect(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    await t.http.get('/api/clearing-runs/00000000-0000-4000-8000-000000000000/lines.csv').set(auth(platform)).expect(404);
    await t.http
      .get('/api/clearing-runs/00000000-0000-4000-8000-000000000000')
      .set(auth(await t.token('bureau-ah')))
      .expect(404);
  });
  it('a run recorded through an API key names the person who made the key, as a settlement batch does', async () => {
    await paidUse('340104', HEFEI, '310115', 60_000);
    const key = (await t.http.post('/api/api-keys').set(auth(platform)).send({ name: '长三角清算对账系统' }).expect(201)).body;
    const me = (await t.http.get('/api/auth/me').set(auth(platform)).expect(200)).body.user.id;
    const run = (await record(key.key, { from: today, to: today }).expect(201)).body;
    expect(run.createdBy).toBe(me);
    expect(run.createdBy).not.toBe(key.id);
  });
});
