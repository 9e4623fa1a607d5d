import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirstAdmins } from '../../src/auth/first-admins';
import { clock } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';
import { activatedBureauAccount, bureauFor, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { auth, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SHANGHAI = '310000';
const JIANGSU = '320000';
const DAY_MS = 86_400_000;

/** What poppler's pdftotext reads, as a treasury officer copying from the notice would get it. */
function pdftotext(pdf: Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'clearing-notice-')), 'notice.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/** A provincial treasury files its own side of a run (notice.pdf, its lines); runs are recorded in the order of their periods. */
describe('clearing notices and the order of runs', () => {
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

  /** A paid batch of `issuing` paying one lab of `labRegion` half of `unitPriceFen`. */
  async function paidBatch(home: string, issuing: string, labRegion: string, unitPriceFen: number): Promise<void> {
    const e = await t.registerEnterprise(home);
    const lab = await t.registerProvider(labRegion);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '场发射扫描电镜机时', unitPriceFen, hours: 1 });
    const bureau = await t.token(bureauFor(issuing));
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    const id = (await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: issuing }).expect(201)).body.id;
    await paySettlement(t, issuing, id);
  }

  const notice = (runId: string, token: string, status = 200, query = '') =>
    t.http
      .get(`/api/clearing-runs/${runId}/notice.pdf${query}`)
      .set(auth(token))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(status);

  async function linesOf(runId: string, token: string, query = ''): Promise<string[]> {
    const csv = await t.http.get(`/api/clearing-runs/${runId}/lines.csv${query}`).set(auth(token)).expect(200);
    const [header, ...rows] = csv.text
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .filter(Boolean)
      .map((l) => l.split(','));
    const col = (name: string) => header.indexOf(name);
    return rows.map((r) => `${r[col('issuingProvinceCode')]}>${r[col('payeeProvinceCode')]}:${r[col('amountFen')]}`).sort();
  }

  let checker: string | undefined;
  async function secondPlatformPerson(): Promise<string> {
    if (checker) return checker;
    const made = await t.get(FirstAdmins).make('notice-checker', 'platform');
    await t.http
      .post('/api/auth/setup')
      .send({ username: 'notice-checker', setupCode: made.setupCode, newPassword: 'Checker-Own-Pass-2026!' })
      .expect(204);
    checker = (await t.login('notice-checker', 'Checker-Own-Pass-2026!')).accessToken;
    return checker;
  }

  it('a province’s bureau prints its own clearing notice and reads its own lines; a city’s bureau 403, a province not in the run 404', async () => {
    await paidBatch('340104', HEFEI, '310115', 20_000); // Anhui pays Shanghai 100.00
    await paidBatch('310115', SHANGHAI, '340104', 6_000); // Shanghai pays Anhui 30.00
    await paidBatch('310115', SHANGHAI, '320100', 10_000); // Shanghai pays Jiangsu 50.00: not Anhui's
    const today = clock.today();
    // `to` may be today: the day need not have passed.
    const run = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201)).body;
    const [ah, sh, js, zj] = await Promise.all(['bureau-ah', 'bureau-sh', 'bureau-js', 'bureau-zj'].map((u) => t.token(u)));

    const res = await notice(run.id, ah);
    expect(res.headers['content-type']).toContain('application/pdf');
    expect(res.headers['content-disposition']).toContain(`clearing-notice-${run.runNo}-340000.pdf`);
    const text = pdftotext(res.body as Buffer);
    expect(text).toContain('跨省清算通知书');
    expect(text).toContain('安徽省（340000）财政（国库）');
    expect(text).toContain(run.runNo);
    expect(text).toContain(`${today} 至 ${today}`);
    expect(text).toContain('本省净头寸 Net position · 应付 pays');
    expect(text).toContain('70.00'); // nets 100.00 paid against 30.00 received
    expect(text).toContain('柒拾元整');
    // Netted across the three provinces, Anhui's 70.00 goes 50.00 to Jiangsu and 20.00 to Shanghai.
    const [transfers, gross] = text.split('二、本省跨省应付与应收');
    expect(transfers).toContain('划出 pays to');
    expect(transfers).toContain('江苏省（320000）');
    expect(transfers).toContain('50.00');
    expect(transfers).toContain('20.00');
    expect(gross).toContain('上海市（310000）');
    expect(gross).toContain('100.00');
    expect(gross).toContain('30.00');
    expect(gross).not.toContain('江苏省'); // Shanghai → Jiangsu is not Anhui's flow
    expect(gross).toContain('结算行 2 笔');
    expect(text).not.toContain('已作废');

    const shText = pdftotext((await notice(run.id, sh)).body as Buffer);
    expect(shText).toContain('本省净头寸 Net position · 应收 receives');
    expect(shText).toContain('划入 receives from');
    expect(shText).toContain('江苏省（320000）');
    expect(shText).toContain('结算行 3 笔');

    // Each province reads its own lines; the platform all of them.
    expect(await linesOf(run.id, ah)).toEqual(['310000>340000:3000', '340000>310000:10000']);
    expect(await linesOf(run.id, js)).toEqual(['310000>320000:5000']);
    expect(await linesOf(run.id, platform)).toEqual(['310000>320000:5000', '310000>340000:3000', '340000>310000:10000']);

    // Zhejiang took no part: no notice, no lines (its zero position stays readable as JSON).
    for (const path of ['notice.pdf', 'lines.csv']) {
      const missing = await t.http.get(`/api/clearing-runs/${run.id}/${path}`).set(auth(zj)).set('Accept-Language', 'zh-CN').expect(404);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(run.runNo) });
    }
    await t.http.get(`/api/clearing-runs/${run.id}`).set(auth(zj)).expect(200);
    // A city's bureau reads no run's position, so no notice and no lines; the platform has the whole run's PDF.
    const { setupCode } = await activatedBureauAccount(t, 'bureau-ah', 'hefei-notice', { regionCode: HEFEI });
    await t.http.post('/api/auth/setup').send({ username: 'hefei-notice', setupCode, newPassword: 'Holder-Own-Pass-2026' }).expect(204);
    const city = (await t.login('hefei-notice', 'Holder-Own-Pass-2026')).accessToken;
    for (const path of ['notice.pdf', 'lines.csv']) {
      expect((await t.http.get(`/api/clearing-runs/${run.id}/${path}`).set(auth(city)).expect(403)).body.code).toBe('FORBIDDEN');
    }
    // The platform prints a province's notice by naming it (the same notice its bureau prints) and reads its lines; a
    // notice needs the province named, a code that is no province is 400 naming the field, a province not in the run 404.
    const printed = await notice(run.id, platform, 200, '?province=340000');
    expect(printed.headers['content-disposition']).toContain(`clearing-notice-${run.runNo}-340000.pdf`);
    expect(pdftotext(printed.body as Buffer)).toBe(text);
    expect(await linesOf(run.id, platform, '?province=320000')).toEqual(['310000>320000:5000']);
    const unnamed = await t.http.get(`/api/clearing-runs/${run.id}/notice.pdf`).set(auth(platform)).expect(400);
    expect(unnamed.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('province') });
    const unnamedZh = await t.http.get(`/api/clearing-runs/${run.id}/notice.pdf`).set(auth(platform)).set('Accept-Language', 'zh-CN');
    expect(unnamedZh.body.message).toContain('平台须指明');
    for (const path of ['notice.pdf', 'lines.csv']) {
      for (const bad of ['340100', '999999', 'ah', '']) {
        const res = await t.http.get(`/api/clearing-runs/${run.id}/${path}?province=${bad}`).set(auth(platform)).expect(400);
        expect(res.body.message).toContain('province');
      }
      await t.http.get(`/api/clearing-runs/${run.id}/${path}?province=330000`).set(auth(platform)).expect(404);
      // A bureau names only its own province: another's is 403 (even one not in the run), its own as without it.
      for (const other of ['310000', '330000']) {
        expect((await t.http.get(`/api/clearing-runs/${run.id}/${path}?province=${other}`).set(auth(ah)).expect(403)).body.code).toBe(
          'FORBIDDEN',
        );
      }
      await t.http.get(`/api/clearing-runs/${run.id}/${path}?province=340000`).set(auth(ah)).expect(200);
      await t.http.get(`/api/clearing-runs/${run.id}/${path}?province=340000`).set(auth(city)).expect(403);
    }
    await t.http.get('/api/clearing-runs/00000000-0000-4000-8000-000000000000/notice.pdf').set(auth(ah)).expect(404);

    // Voided, the notice says so, with the reason, and still lists what the run took in.
    await t.http
      .post(`/api/clearing-runs/${run.id}/void`)
      .set(auth(await secondPlatformPerson()))
      .send({ reason: '期间填错' })
      .expect(200);
    const voided = pdftotext((await notice(run.id, ah)).body as Buffer);
    expect(voided).toContain('已作废');
    expect(voided).toContain('期间填错');
    expect(voided).toContain('70.00');
    expect(await linesOf(run.id, ah)).toEqual(['310000>340000:3000', '340000>310000:10000']);
    // Its lines go to a run of its period again.
    await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: today, to: today }).expect(201);
  });

  it('refuses a run that would take in a period never recorded (422 naming its first day) unless catchUp; a covered day’s late line needs none', async () => {
    const first = clock.today();
    clock.travel(DAY_MS);
    const d1 = clock.today();
    await paidBatch('340104', HEFEI, '310115', 2_222); // paid on d1, which no run covers
    clock.travel(DAY_MS);
    const d2 = clock.today();
    expect(d2).toBe(addDays(first, 2));
    await paidBatch('340104', HEFEI, '310115', 4_444);

    // Recording d2 first would take d1's line in as d2's: refused, naming d1, in both languages; the preview too.
    const en = await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d2, to: d2 }).expect(422);
    expect(en.body).toMatchObject({ code: 'UNCLEARED_BEFORE_PERIOD', message: expect.stringContaining(`paid on ${d1}`) });
    const zh = await t.http
      .post('/api/clearing-runs')
      .set(auth(platform))
      .set('Accept-Language', 'zh-CN')
      .send({ from: d2, to: d2 })
      .expect(422);
    expect(zh.body.message).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 支付的跨省结算行尚未清算/);
    await t.http.get(`/api/clearing-runs/preview?from=${d2}&to=${d2}`).set(auth(platform)).expect(422);
    expect((await t.http.get('/api/clearing-runs').set(auth(platform)).expect(200)).body.items[0].from).toBe(first);

    // In order: d1, then d2, each with its own line.
    const r1 = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d1, to: d1 }).expect(201)).body;
    expect(r1.grossTotalFen).toBe(1_111);
    const r2 = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d2, to: d2 }).expect(201)).body;
    expect(r2.grossTotalFen).toBe(2_222);

    // A line paid on d2 after d2's run: d2 is covered, so d3's run catches it up unasked.
    await paidBatch('340104', HEFEI, '310115', 6_666);
    clock.travel(DAY_MS);
    const d3 = clock.today();
    await paidBatch('340104', HEFEI, '310115', 8_888);
    const r3 = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d3, to: d3 }).expect(201)).body;
    expect(r3.grossTotalFen).toBe(3_333 + 4_444);

    // d3's run voided: d3 is covered by no standing run, so d4's run is refused until the platform catches it up.
    await t.http
      .post(`/api/clearing-runs/${r3.id}/void`)
      .set(auth(await secondPlatformPerson()))
      .send({ reason: '漏核' })
      .expect(200);
    clock.travel(DAY_MS);
    const d4 = clock.today();
    const again = await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d4, to: d4 }).expect(422);
    expect(again.body.message).toContain(`paid on ${d3}`);
    const preview = (await t.http.get(`/api/clearing-runs/preview?from=${d4}&to=${d4}&catchUp=true`).set(auth(platform)).expect(200)).body;
    expect(preview).toMatchObject({ grossTotalFen: 7_777, caughtUpLineCount: 2, caughtUpFen: 7_777 });
    const r4 = (await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d4, to: d4, catchUp: true }).expect(201)).body;
    expect(r4.grossTotalFen).toBe(7_777);
    await t.http.post('/api/clearing-runs').set(auth(platform)).send({ from: d4, to: d4, catchUp: 'yes' }).expect(400);
    await t.ledgerCheck();
  });
});
