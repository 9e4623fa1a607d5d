import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'superagent';
import { beijingDate, clock } from '../../src/common/clock';
import { formatDate } from '../../src/documents/drawing';
import { captureConfirmed, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { auth, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.
const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ text: string; numpages: number }>;

/** Collects a binary response body (superagent leaves unknown types unparsed). */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

/** pdf.js may break a line differently from how it was drawn: compare without whitespace. */
const textOf = async (pdf: Buffer) => (await pdfParse(pdf)).text.replace(/\s+/g, '');

/** With DOCS_OUT set, the PDFs are also written there, to be looked at (pdftoppm -png). */
function keep(name: string, pdf: Buffer) {
  if (!process.env.DOCS_OUT) return;
  mkdirSync(process.env.DOCS_OUT, { recursive: true });
  writeFileSync(join(process.env.DOCS_OUT, name), pdf);
}

/** What poppler's pdftotext reads, as a person copying from the PDF would get it. */
function pdftotext(pdf: Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'certificate-')), 'certificate.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

const HEFEI = '340100';
/** A payee's name of 14 characters, as many ordinary company names are: it fits its column on one line. */
const LONG_NAME = '苏州纳米技术与纳米仿生研究所';
const ACCOUNT = '130201080920005432';

/** Statements and certificates (issue 19, item 8): batch number, per-claim schedule, the payee's bank, 已作废. */
describe('statements and certificates', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
  });
  afterAll(() => t.close());

  it('a statement prints the batch number, each payee’s bank and account, and the claims behind every line', async () => {
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115', { name: '上海微观表征公共服务平台', bankAccount: null }); // filed below
    const bare = await t.registerProvider('320506', { name: LONG_NAME });
    await t.http
      .patch(`/api/organizations/${lab.organizationId}`)
      .set(auth(lab.token))
      .send({ bankName: '招商银行上海张江支行', bankAccount: ACCOUNT })
      .expect(200);
    const voucher = await issueVoucher(t, e.token, 2_000_000);
    const bureau = await t.token('bureau-ah');
    const invoices: string[] = [];
    for (const [provider, unitPriceFen] of [
      [lab, 80_000],
      [lab, 60_000],
      [bare, 50_000],
    ] as const) {
      const facility = await t.http
        .post('/api/facilities')
        .set(auth(provider.token))
        .send({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen })
        .expect(201);
      const hold = await t.http
        .post('/api/redemptions')
        .set(auth(e.token))
        .send({ voucherId: voucher.id, facilityId: facility.body.id, quantity: 1 })
        .expect(201);
      await captureConfirmed(t, provider.token, e.token, hold.body.id, 1);
      const invoiceNo = `3100261370${invoices.length}`;
      invoices.push(invoiceNo);
      const claim = await t.http
        .post('/api/claims')
        .set(auth(provider.token))
        .send({ redemptionIds: [hold.body.id], evidence: { contractNo: `HT-2026-01${invoices.length}`, invoiceNo } })
        .expect(201);
      // the Shanghai lab's second claim (300 yuan) is cut by a fen: the schedule shows both amounts
      const cut = invoices.length === 2 ? { approvedFen: 29_999, reason: '发票金额与合同差 1 分' } : {};
      await t.http.post(`/api/claims/${claim.body.id}/approve`).set(auth(bureau)).send(cut).expect(200);
    }
    const batch = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: HEFEI }).expect(201);
    expect(batch.body.batchNo).toBe(`${HEFEI}-${clock.year()}-0001`);
    await paySettlement(t, HEFEI, batch.body.id);

    const statement = (token: string, query = '') =>
      t.http.get(`/api/settlements/${batch.body.id}/statement${query}`).set(auth(token)).buffer(true).parse(binary).expect(200);
    const whole = (await statement(bureau)).body as Buffer;
    keep('statement.pdf', whole);
    const text = await textOf(whole);
    expect(text).toContain(`${HEFEI}-${clock.year()}-0001`);
    expect(text).not.toContain(batch.body.id);
    expect(text).toContain('结算批次号');
    expect(text).toContain(`招商银行上海张江支行${ACCOUNT}`);
    // The Suzhou lab's account, put on file at registration (TestApp.register): a payee without one is in no batch,
    // and the statement's 未登记 is left for lines prepared before that rule (settlement-payment-refs).
    expect(text).toContain('中国工商银行合肥科技支行6222');
    expect(text).toContain('附表：申报明细');
    for (const invoice of invoices) expect(text).toContain(invoice);
    expect(text).toContain('HT-2026-011');
    expect(text).toContain('699.99'); // the Shanghai lab's two claims: 400 + 299.99 yuan
    expect(text).toContain('949.99'); // the batch: 400 + 299.99 + 250 yuan
    expect(text).toContain('申报金额（元）');
    expect(text).toContain('300.00'); // the cut claim: claimed, beside
    expect(text).toContain('299.99'); // what was approved
    // the payees' names unbroken, in the lines and in the schedule (a break would put a newline inside)
    const lines = pdftotext(whole).split('\n');
    expect(lines.filter((l) => l.trim() === '上海微观表征公共服务平台')).toHaveLength(3);
    expect(lines.filter((l) => l.trim() === LONG_NAME)).toHaveLength(2);
    // The treasury’s CSV carries the same accounts, in full.
    const csv = await t.http.get(`/api/settlements/${batch.body.id}/lines.csv`).set(auth(bureau)).expect(200);
    const rows = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .map((r) => r.split(','));
    expect(rows[0].slice(5, 7)).toEqual(['开户银行', '银行账号']);
    expect(rows.slice(1).map((r) => [r[2], r[5], r[6]])).toEqual(
      expect.arrayContaining([
        ['上海微观表征公共服务平台', '招商银行上海张江支行', `\t${ACCOUNT}`], // a tab: spreadsheets keep it as text
        [LONG_NAME, '中国工商银行合肥科技支行', expect.stringMatching(/^\t6222\d+$/)],
      ]),
    );

    // The payee's own statement: its line, its claims only; its account masked, as in the batch it reads.
    const own = await textOf((await statement(lab.token)).body as Buffer);
    expect(own).toContain('********5432');
    expect(own).not.toContain(ACCOUNT);
    expect(own).toContain(invoices[0]);
    expect(own).not.toContain(invoices[2]);
    expect(own).not.toContain(bare.creditCode);
  });

  it('the platform reads the payees’ bank accounts masked in the statement and the treasury CSV, as in the batch; the paying bureau in full', async () => {
    const full = '6222021001123459012';
    const e = await t.registerEnterprise('340104');
    const lab = await t.registerProvider('310115', { name: '上海同步辐射光源测试平台', bankAccount: null }); // filed below
    await t.http
      .patch(`/api/organizations/${lab.organizationId}`)
      .set(auth(lab.token))
      .send({ bankName: '工商银行上海浦东支行', bankAccount: full })
      .expect(200);
    const voucher = await issueVoucher(t, e.token, 1_000_000);
    const claimId = await submittedClaim(t, lab.token, e.token, voucher.id, { name: '同步辐射线站机时', unitPriceFen: 40_000, hours: 1 });
    const bureau = await t.token('bureau-ah');
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    const batch = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: HEFEI }).expect(201);
    await paySettlement(t, HEFEI, batch.body.id);

    const platform = await t.token('platform');
    const key = await t.http.post('/api/api-keys').set(auth(platform)).send({ name: '协调办只读', readOnly: true }).expect(201);
    const masked = '**** **** 9012';
    /** The account on the lab's line, in the batch, its statement and its CSV, as `token` reads them. */
    const accounts = async (token: string) => {
      const view = await t.http.get(`/api/settlements/${batch.body.id}`).set(auth(token)).expect(200);
      const pdf = await t.http.get(`/api/settlements/${batch.body.id}/statement`).set(auth(token)).buffer(true).parse(binary).expect(200);
      const csv = await t.http.get(`/api/settlements/${batch.body.id}/lines.csv`).set(auth(token)).expect(200);
      const row = csv.text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n')
        .map((r) => r.split(','))
        .find((r) => r[2] === '上海同步辐射光源测试平台');
      return {
        json: view.body.lines.find((l: { payeeId: string }) => l.payeeId === lab.organizationId).payeeBankAccount,
        pdf: await textOf(pdf.body as Buffer),
        csv: row?.[6],
        csvText: csv.text,
      };
    };
    for (const reader of [platform, key.body.key as string]) {
      const seen = await accounts(reader);
      expect(seen.json).toBe(masked);
      expect(seen.csv).toBe(`\t${masked}`);
      expect(seen.csvText).not.toContain(full);
      expect(seen.pdf).toContain(`工商银行上海浦东支行${masked.replace(/ /g, '')}`);
      expect(seen.pdf).not.toContain(full);
    }
    const paying = await accounts(bureau);
    expect(paying.json).toBe(full);
    expect(paying.csv).toBe(`\t${full}`);
    expect(paying.pdf).toContain(`工商银行上海浦东支行${full}`);
  });

  it('a certificate has a seal area with the bureau and the date; a revoked one says 已作废 across its face, with when and why', async () => {
    const e = await t.registerEnterprise('340104');
    const voucher = await issueVoucher(t, e.token, 500_000);
    const certificate = () =>
      t.http.get(`/api/vouchers/${voucher.id}/certificate`).set(auth(e.token)).buffer(true).parse(binary).expect(200);
    const validPdf = (await certificate()).body as Buffer;
    keep('certificate.pdf', validPdf);
    const valid = await textOf(validPdf);
    expect(valid).not.toContain('已作废');
    // the seal area, bottom right: its label, the bureau's name and the day of issue
    const sealed = pdftotext(validPdf);
    expect(sealed).toContain('（发券机构盖章）');
    expect(sealed).toMatch(/（发券机构盖章）[\s\S]*合肥市科学技术局\s+\d{4}年\d{1,2}月\d{1,2}日/);
    await t.http
      .post(`/api/vouchers/${voucher.id}/revoke`)
      .set(auth(await t.token('bureau-ah')))
      .send({ reason: '虚假申报材料' })
      .expect(200);
    const pdf = (await certificate()).body as Buffer;
    keep('certificate-revoked.pdf', pdf);
    const revoked = await textOf(pdf);
    expect(revoked).toContain('已作废');
    expect(revoked).toContain('VOID');
    // the day in Beijing time, written as the certificate's other dates are; the English line keeps the ISO day
    const today = beijingDate(clock.iso());
    expect(pdftotext(pdf)).toContain(`本券已于${formatDate(today)}撤销作废，不得使用`);
    expect(revoked).not.toMatch(/本券已于\d{4}-\d{2}-\d{2}/);
    expect(revoked).toContain(`Revokedon${today};nolongervalid`);
    expect(revoked).toContain('撤销原因：虚假申报材料');
    expect(pdftotext(pdf)).toContain('（发券机构盖章）');
    expect((await pdfParse(pdf)).numpages).toBe(1);
  });
});
