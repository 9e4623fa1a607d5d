import { formatYuan, toChineseCapitalAmount } from '../../src/documents/chinese-amount';
import { CertificateData, DocumentsService, StatementData, StatementLine } from '../../src/documents/documents.service';
import { formatDateTime, formatPeriod } from '../../src/documents/drawing';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.

const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ numpages: number; text: string }>;

const service = new DocumentsService();

const certificate: CertificateData = {
  serial: 'AH-2026-000042',
  issuingRegionName: '合肥市',
  issuingBureauName: '合肥市科学技术局',
  holderName: '合肥量子精密仪器有限公司',
  holderCreditCode: '91340100MA2TGXKQ3B',
  faceValueFen: 30_000_050,
  validFrom: '2026-01-15',
  validUntil: '2027-01-14',
  policyVersion: 3,
  policyRegionCode: '340100',
  verifyUrl: 'https://vouchers.example.gov.cn/verify/7Q2MK9XD4FPAH3TN',
  issuedAt: '2026-01-15T02:30:00.000Z',
};

const payees = [
  ['中国科学技术大学', '安徽省'],
  ['上海微系统与信息技术研究所分析测试中心', '上海市'],
  ['苏州纳米技术与纳米仿生研究所', '江苏省'],
  ['浙江大学嘉兴研究院', '浙江省'],
] as const;

function statement(lineCount: number, overrides: Partial<StatementData> = {}): StatementData {
  const lines: StatementLine[] = Array.from({ length: lineCount }, (_, i) => ({
    payeeName: `${payees[i % payees.length][0]}${i + 1}号`,
    payeeCreditCode: `1234000048500${String(i).padStart(4, '0')}X`,
    payeeProvinceName: payees[i % payees.length][1],
    amountFen: 123_456 + i * 98_765,
    claimCount: 1 + (i % 7),
  }));
  return {
    settlementId: 'STL-340100-2026Q1',
    regionName: '合肥市科学技术局',
    periodLabel: '2026年第一季度',
    status: 'paid',
    paymentRef: 'ZJ2026040100123',
    createdAt: '2026-04-01T01:00:00Z',
    paidAt: '2026-04-08T06:20:00Z',
    totalFen: lines.reduce((s, l) => s + l.amountFen, 0),
    lines,
    ...overrides,
  };
}

/** pdf.js may break a line differently from how it was drawn: compare without whitespace. */
const squeeze = (s: string) => s.replace(/\s+/g, '');

function expectValidPdf(pdf: Buffer): string {
  const bytes = pdf.toString('latin1');
  expect(bytes.startsWith('%PDF-')).toBe(true);
  expect(bytes.trimEnd().endsWith('%%EOF')).toBe(true);
  return bytes;
}

describe('voucher certificate', () => {
  let pdf: Buffer;
  let bytes: string;
  beforeAll(async () => {
    pdf = await service.renderVoucherCertificate(certificate);
    bytes = expectValidPdf(pdf);
  });

  it('embeds a subset of Noto Sans SC rather than the whole 10 MiB font', () => {
    expect(bytes).toContain('/FontFile2');
    expect(bytes).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansSC-Regular/);
    expect(pdf.length).toBeGreaterThan(10 * 1024);
    expect(pdf.length).toBeLessThan(80 * 1024);
  });

  it('is one A4 page showing the serial, the holder and the face value in figures and in 大写', async () => {
    expect(bytes).toContain('/MediaBox [0 0 595.28 841.89]');
    const { numpages, text } = await pdfParse(pdf);
    expect(numpages).toBe(1);
    const flat = squeeze(text);
    expect(flat).toContain('科技创新券');
    expect(flat).toContain('AH-2026-000042');
    expect(flat).toContain('合肥量子精密仪器有限公司');
    expect(flat).toContain('91340100MA2TGXKQ3B');
    expect(flat).toContain('¥300,000.50');
    expect(flat).toContain('叁拾万元伍角');
    expect(flat).toContain('2026年1月15日至2027年1月14日');
    expect(flat).toContain('2026年1月15日10:30'); // issued 02:30 UTC, printed in Beijing time
    expect(flat).toContain('合肥市科技创新券政策（第3版）'); // the region's name, not its code
  });

  it('carries a QR code and a link to the public verify endpoint', () => {
    expect(bytes).toContain('/Subtype /Image');
    expect(bytes).toContain(`/URI (${certificate.verifyUrl})`);
  });

  it('keeps a long holder name on the one page', async () => {
    const long = await service.renderVoucherCertificate({
      ...certificate,
      holderName: '长三角国家技术创新中心（上海）高端科学仪器与精密测量技术联合研发有限责任公司'.repeat(3),
    });
    expect((await pdfParse(long)).numpages).toBe(1);
  });
});

describe('settlement statement', () => {
  it('paginates 120 payees, repeats the page numbers and ends with the total in figures and in 大写', async () => {
    const d = statement(120);
    const pdf = await service.renderSettlementStatement(d);
    expectValidPdf(pdf);
    const { numpages, text } = await pdfParse(pdf);
    expect(numpages).toBeGreaterThan(2);
    const flat = squeeze(text);
    expect(flat).toContain('科技创新券结算单');
    expect(flat).toContain('STL-340100-2026Q1');
    expect(flat).toContain('ZJ2026040100123');
    expect(flat).toContain(d.lines[0].payeeName);
    expect(flat).toContain(d.lines[119].payeeName);
    expect(flat).toContain(d.lines[119].payeeCreditCode);
    expect(flat).toContain(formatYuan(d.totalFen));
    expect(flat).toContain(toChineseCapitalAmount(d.totalFen));
    expect(flat).toContain(`第${numpages}页/共${numpages}页`);
    expect(flat).toContain('120payees,');
    for (const role of ['经办人', '复核人', '审批人']) expect(flat).toContain(role);
    expect(pdf.length).toBeLessThan(150 * 1024);
  });

  it('fits a short open statement on one page, without a payment reference yet', async () => {
    const pdf = await service.renderSettlementStatement(statement(1, { status: 'open', paymentRef: null, paidAt: null }));
    const { numpages, text } = await pdfParse(pdf);
    expect(numpages).toBe(1);
    expect(squeeze(text)).toContain('待支付');
    expect(squeeze(text)).toContain('1payee,1claim'); // one of each, in English too
  });

  it('prints a claim’s long payee name, contract and 20-digit invoice number whole in the schedule', async () => {
    const d = statement(2);
    const claims = d.lines.map((l, i) => ({
      payeeName: `${l.payeeName}（南京先进材料分析测试中心有限公司）`,
      contractNo: `NJFX-JS-2026-${String(i).padStart(6, '0')}`,
      invoiceNo: `2432200000012345678${i}`,
      decidedAt: '2026-03-20T02:00:00Z',
      redemptions: 2,
      claimedFen: l.amountFen,
      amountFen: l.amountFen,
    }));
    const { text } = await pdfParse(await service.renderSettlementStatement({ ...d, claims }));
    const flat = squeeze(text);
    for (const c of claims) for (const value of [c.payeeName, c.contractNo, c.invoiceNo]) expect(flat).toContain(value);
    expect(flat).not.toMatch(/…|\.\.\./);
  });

  it('lets the event loop run while it draws a schedule of thousands of claims', async () => {
    // A batch at a year's volume pays 100,000 claims (bench); drawn in one stretch, their schedule stopped the node's
    // event loop for over half a minute, and every other request's open transaction on it sat idle until MariaDB ended
    // it (DB_IDLE_TRANSACTION_SEC, 10 s). 6,000 claims took about 2 s in one stretch here.
    const base = statement(200);
    const lines = base.lines.map((l) => ({ ...l, amountFen: 3_000, claimCount: 30 }));
    const d = { ...base, lines, totalFen: 600_000 };
    const claims = Array.from({ length: 6_000 }, (_, i) => ({
      payeeName: d.lines[i % 200].payeeName,
      contractNo: `HT-2026-${String(i).padStart(6, '0')}`,
      invoiceNo: `2434200000${String(i).padStart(10, '0')}`,
      decidedAt: '2026-03-20T02:00:00Z',
      redemptions: 1,
      claimedFen: 100,
      amountFen: 100,
    }));
    // Counted in turns of the event loop, not milliseconds, so that a slow machine cannot fail it nor a fast one hide a
    // single stretch: a turn at least every 200 claims drawn (it yields every 100).
    let turns = 0;
    let drawing = true;
    const turn = () => {
      turns++;
      if (drawing) setImmediate(turn);
    };
    setImmediate(turn);
    try {
      expectValidPdf(await service.renderSettlementStatement({ ...d, claims }));
    } finally {
      drawing = false;
    }
    expect(turns).toBeGreaterThanOrEqual(claims.length / 200);
  }, 60_000);

  it('renders an empty statement as 零元整', async () => {
    const { text } = await pdfParse(await service.renderSettlementStatement(statement(0)));
    expect(squeeze(text)).toContain('零元整');
  });

  it('refuses a statement whose lines do not add up to its total', async () => {
    await expect(service.renderSettlementStatement(statement(3, { totalFen: 1 }))).rejects.toThrow(/add up/);
    expect(() => service.settlementLinesCsv(statement(3, { totalFen: 1 }))).toThrow(/add up/);
  });
});

describe('a settlement period as people read it', () => {
  it('names quarters and months in Chinese, and leaves anything else as it is', () => {
    expect(formatPeriod('2026-Q4')).toBe('2026年第四季度');
    expect(formatPeriod('2027-Q1')).toBe('2027年第一季度');
    expect(formatPeriod('2026-03')).toBe('2026年3月');
    expect(formatPeriod('2026年第一季度')).toBe('2026年第一季度');
  });

  it('and dates and times as 年月日, in Beijing time', () => {
    expect(formatDateTime('2026-03-31T17:05:00.000Z')).toBe('2026年4月1日 01:05');
    expect(formatDateTime('2026-04-01')).toBe('2026年4月1日');
  });

  it('prints it so on the statement', async () => {
    const { text } = await pdfParse(await service.renderSettlementStatement(statement(1, { periodLabel: '2026-Q4' })));
    expect(squeeze(text)).toContain('2026年第四季度');
    expect(squeeze(text)).not.toContain('2026-Q4');
  });
});

describe('settlement lines CSV for the treasury', () => {
  const d = statement(120, { batchNo: '340100-2026-0007' });
  d.lines[1] = { ...d.lines[1], payeeName: '=HYPERLINK("http://evil")', amountFen: 5 };
  d.lines[2] = { ...d.lines[2], payeeName: '嘉兴检测中心, 南湖分部', amountFen: 123_456 };
  d.totalFen = d.lines.reduce((s, l) => s + l.amountFen, 0);
  const csv = service.settlementLinesCsv(d);
  const rows = csv.slice(1).split('\r\n');

  it('starts with a UTF-8 BOM and a header row, then one CRLF row per payee', () => {
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(rows[0]).toBe('结算单号,序号,收款单位,统一社会信用代码,所在省市,开户银行,银行账号,笔数,金额（分）,金额（元）,结算批次号,作废');
    expect(rows).toHaveLength(1 + 120 + 1); // the last record ends with CRLF too
    expect(rows[121]).toBe('');
  });

  it('gives every amount in fen and in yuan', () => {
    expect(rows[1]).toBe(
      `STL-340100-2026Q1,1,${d.lines[0].payeeName},${d.lines[0].payeeCreditCode},安徽省,,,1,123456,1234.56,340100-2026-0007,`,
    );
    expect(rows[2].endsWith(',5,0.05,340100-2026-0007,')).toBe(true);
    expect(rows[120].endsWith(`,${d.lines[119].amountFen},118764.91,340100-2026-0007,`)).toBe(true);
  });

  it('names a batch prepared before numbers by its id, as its statement does', () => {
    const [, first] = service.settlementLinesCsv(statement(1)).slice(1).split('\r\n');
    expect(first.endsWith(',STL-340100-2026Q1,')).toBe(true);
  });

  it('quotes commas and defuses spreadsheet formulas in names', () => {
    expect(rows[2]).toContain(`,"'=HYPERLINK(""http://evil"")",`);
    expect(rows[3]).toContain(',"嘉兴检测中心, 南湖分部",');
  });
});
