import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import { toBuffer as qrPng } from 'qrcode';
import { fenToYuanDecimal, formatYuan, toChineseCapitalAmount } from './chinese-amount';
import { projectRoot } from '../common/paths';

export interface CertificateData {
  serial: string;
  issuingRegionName: string;
  issuingBureauName: string;
  holderName: string;
  holderCreditCode: string;
  faceValueFen: number;
  validFrom: string;
  validUntil: string;
  policyVersion: number;
  policyRegionCode: string;
  verifyUrl: string;
  issuedAt: string;
}

export interface StatementLine {
  payeeName: string;
  payeeCreditCode: string;
  payeeProvinceName: string;
  amountFen: number;
  claimCount: number;
}

export interface StatementData {
  settlementId: string;
  regionName: string;
  periodLabel: string;
  status: 'open' | 'paid';
  paymentRef: string | null;
  createdAt: string;
  paidAt: string | null;
  totalFen: number;
  lines: StatementLine[];
}

// ---- Templates: layout data in templates/*.json, so a bureau restyles documents without code. ----

interface Bilingual {
  zh: string;
  en: string;
}
interface PageTemplate {
  size: string;
  layout: 'portrait' | 'landscape';
  margin: number;
}
interface Palette {
  primary: string;
  accent: string;
  text: string;
  muted: string;
  panel: string;
  rule: string;
}
type CertificateSection = 'header' | 'title' | 'serial' | 'faceValue' | 'fields' | 'verify' | 'notes';
type CertificateField = 'holderName' | 'holderCreditCode' | 'issuer' | 'issuingRegion' | 'validity' | 'policy' | 'issuedAt';

interface CertificateTemplate {
  page: PageTemplate;
  colors: Palette;
  border: { outerInset: number; outerWidth: number; innerInset: number; innerWidth: number; cornerSize: number };
  sections: CertificateSection[];
  header: Bilingual;
  title: Bilingual & { size: number };
  serial: Bilingual & { size: number };
  faceValue: Bilingual & { capitalZh: string; capitalEn: string; size: number };
  fields: (Bilingual & { key: CertificateField })[];
  validityJoin: string;
  policyFormat: string;
  verify: Bilingual & { qrSize: number; issuerZh: string; issuerEn: string };
  notes: { zh: string[]; en: string };
}

type StatementColumn = 'index' | 'payeeName' | 'payeeCreditCode' | 'payeeProvinceName' | 'claimCount' | 'amount';
type StatementMeta = 'settlementId' | 'regionName' | 'periodLabel' | 'status' | 'paymentRef' | 'createdAt' | 'paidAt';
type CsvColumn =
  'settlementId' | 'index' | 'payeeName' | 'payeeCreditCode' | 'payeeProvinceName' | 'claimCount' | 'amountFen' | 'amountYuan';

interface StatementTemplate {
  page: PageTemplate;
  colors: Palette & { zebra: string; open: string; paid: string };
  title: Bilingual;
  meta: (Bilingual & { key: StatementMeta })[];
  statusLabels: Record<StatementData['status'], Bilingual>;
  table: {
    fontSize: number;
    columns: (Bilingual & { key: StatementColumn; width: number; align?: 'left' | 'center' | 'right' })[];
    pageSubtotal: Bilingual;
    total: Bilingual;
  };
  totals: Bilingual & { capitalZh: string; capitalEn: string; payeesZh: string; payeesEn: string };
  signatures: (Bilingual & { seal?: boolean })[];
  footer: Bilingual;
  csv: { columns: { key: CsvColumn; header: string }[] };
}

const templates = new Map<string, unknown>();
function template<T>(name: string): T {
  if (!templates.has(name)) {
    templates.set(name, JSON.parse(readFileSync(join(projectRoot, 'templates', `${name}.json`), 'utf8')));
  }
  return templates.get(name) as T;
}

// ---- Fonts: Noto Sans SC (OFL), read once; pdfkit embeds only the glyphs a document uses. ----

const REGULAR = 'NotoSansSC';
const BOLD = 'NotoSansSC-Bold';
let fontFiles: { regular: Buffer; bold: Buffer } | undefined;
function fonts(): { regular: Buffer; bold: Buffer } {
  fontFiles ??= {
    regular: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')),
    bold: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')),
  };
  return fontFiles;
}

type Doc = PDFKit.PDFDocument;

function newDocument(page: PageTemplate, info: PDFKit.DocumentInfo): { doc: Doc; done: Promise<Buffer> } {
  const doc = new PDFDocument({
    size: page.size,
    layout: page.layout,
    margin: page.margin,
    bufferPages: true,
    lang: 'zh-CN',
    displayTitle: true,
    info: { Creator: 'YRD innovation vouchers', ...info },
  });
  const { regular, bold } = fonts();
  doc.registerFont(REGULAR, regular);
  doc.registerFont(BOLD, bold);
  doc.font(REGULAR);
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

interface Style {
  bold?: boolean;
  size: number;
  color: string;
}
function style(doc: Doc, s: Style): Doc {
  return doc
    .font(s.bold ? BOLD : REGULAR)
    .fontSize(s.size)
    .fillColor(s.color);
}

/** One line of text that never wraps onto a new page; returns its height. */
function line(doc: Doc, text: string, x: number, y: number, s: Style, options: PDFKit.Mixins.TextOptions = {}): number {
  style(doc, s).text(text, x, y, { lineBreak: false, ...options });
  return doc.currentLineHeight(true);
}

/** Wrapped text inside a box of the given width, at most maxLines lines (ellipsis past that). */
function block(
  doc: Doc,
  text: string,
  x: number,
  y: number,
  width: number,
  s: Style,
  maxLines = 2,
  options: PDFKit.Mixins.TextOptions = {},
): number {
  style(doc, s);
  const height = doc.heightOfString(text, { width, ...options });
  const limit = doc.currentLineHeight(true) * maxLines;
  if (height <= limit) {
    doc.text(text, x, y, { width, ...options });
    return height;
  }
  doc.text(text, x, y, { width, height: limit, ellipsis: true, ...options });
  return limit;
}

const fill = (format: string, values: Record<string, string | number>): string =>
  format.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));

/** Timestamps print in Beijing time (UTC+8, no daylight saving); plain dates print as given. */
function beijingTime(value: string): string {
  if (!value.includes('T')) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** Table amounts sit under a 金额（元） header, so they drop the currency sign. */
const tableAmount = (fen: number): string => formatYuan(fen).replace('¥', '');

/** A cell starting with = + - @ would run as a formula in Excel: quote it as text. */
const csvText = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

@Injectable()
export class DocumentsService {
  /** One A4 page: the voucher as the holder prints it, with a QR code to the public verify endpoint. */
  async renderVoucherCertificate(d: CertificateData): Promise<Buffer> {
    const t = template<CertificateTemplate>('voucher-certificate');
    const qr = await qrPng(d.verifyUrl, {
      type: 'png',
      errorCorrectionLevel: 'M',
      margin: 0,
      scale: 6,
      color: { dark: t.colors.text, light: '#ffffff' },
    });
    const { doc, done } = newDocument(t.page, {
      Title: `${t.title.zh} ${d.serial}`,
      Author: d.issuingBureauName,
      Subject: `${t.title.en} ${d.serial}`,
    });
    new CertificateLayout(doc, t, d, qr).draw();
    doc.end();
    return done;
  }

  /** A4 pages: header, one table row per payee (paginated, subtotal per page), total and sign-off boxes. */
  async renderSettlementStatement(d: StatementData): Promise<Buffer> {
    assertStatementTotal(d);
    const t = template<StatementTemplate>('settlement-statement');
    const { doc, done } = newDocument(t.page, {
      Title: `${t.title.zh} ${d.settlementId}`,
      Author: d.regionName,
      Subject: `${t.title.en} ${d.periodLabel}`,
    });
    new StatementLayout(doc, t, d).draw();
    doc.end();
    return done;
  }

  /** The statement's lines for the treasury: UTF-8 with BOM (Excel), CRLF, amounts in fen and in yuan. */
  settlementLinesCsv(d: StatementData): string {
    assertStatementTotal(d);
    const t = template<StatementTemplate>('settlement-statement');
    const records = d.lines.map((l, i): Record<CsvColumn, string | number> => ({
      settlementId: d.settlementId,
      index: i + 1,
      payeeName: csvText(l.payeeName),
      payeeCreditCode: csvText(l.payeeCreditCode),
      payeeProvinceName: csvText(l.payeeProvinceName),
      claimCount: l.claimCount,
      amountFen: l.amountFen,
      amountYuan: fenToYuanDecimal(l.amountFen),
    }));
    return stringify(records, { bom: true, header: true, columns: t.csv.columns, record_delimiter: 'windows' });
  }
}

function assertStatementTotal(d: StatementData): void {
  const sum = d.lines.reduce((s, l) => s + l.amountFen, 0);
  if (!Number.isSafeInteger(sum) || sum !== d.totalFen) {
    throw new Error(`settlement ${d.settlementId}: lines add up to ${sum} fen, total says ${d.totalFen}`);
  }
}

class CertificateLayout {
  private readonly x: number;
  private readonly width: number;
  private y: number;

  constructor(
    private readonly doc: Doc,
    private readonly t: CertificateTemplate,
    private readonly d: CertificateData,
    private readonly qr: Buffer,
  ) {
    this.x = t.page.margin;
    this.width = doc.page.width - 2 * t.page.margin;
    this.y = t.page.margin - 6;
  }

  draw(): void {
    // One page laid out by hand: the notes sit inside the bottom margin, so pdfkit must not paginate.
    this.doc.page.margins.bottom = 0;
    this.border();
    for (const section of this.t.sections) this[section]();
  }

  private get c(): Palette {
    return this.t.colors;
  }

  private centered(text: string, s: Style, characterSpacing = 0): number {
    return line(this.doc, text, this.x, this.y, s, { width: this.width, align: 'center', characterSpacing });
  }

  private border(): void {
    const { doc, c } = this;
    const b = this.t.border;
    const { width: W, height: H } = doc.page;
    doc.save();
    doc.lineWidth(b.outerWidth).strokeColor(c.primary);
    doc.rect(b.outerInset, b.outerInset, W - 2 * b.outerInset, H - 2 * b.outerInset).stroke();
    doc.lineWidth(b.innerWidth).strokeColor(c.accent);
    doc.rect(b.innerInset, b.innerInset, W - 2 * b.innerInset, H - 2 * b.innerInset).stroke();
    const i = b.innerInset + 6;
    const k = b.cornerSize;
    doc.lineWidth(1.4).strokeColor(c.primary).fillColor(c.accent);
    for (const [cx, cy, sx, sy] of [
      [i, i, 1, 1],
      [W - i, i, -1, 1],
      [i, H - i, 1, -1],
      [W - i, H - i, -1, -1],
    ]) {
      doc
        .moveTo(cx, cy + sy * k)
        .lineTo(cx, cy)
        .lineTo(cx + sx * k, cy)
        .stroke();
      this.diamond(cx + sx * 7, cy + sy * 7, 2.6);
    }
    doc.restore();
  }

  private diamond(cx: number, cy: number, r: number): void {
    this.doc.polygon([cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]).fill();
  }

  private divider(y: number, halfWidth: number): void {
    const { doc, c } = this;
    const mid = this.x + this.width / 2;
    doc.save().lineWidth(0.7).strokeColor(c.accent);
    doc
      .moveTo(mid - halfWidth, y)
      .lineTo(mid - 8, y)
      .stroke();
    doc
      .moveTo(mid + 8, y)
      .lineTo(mid + halfWidth, y)
      .stroke();
    doc.fillColor(c.accent);
    this.diamond(mid, y, 3.5);
    doc.restore();
  }

  private header(): void {
    const { d, c } = this;
    const issuer = d.issuingBureauName.startsWith(d.issuingRegionName)
      ? d.issuingBureauName
      : `${d.issuingRegionName} · ${d.issuingBureauName}`;
    this.y += this.centered(issuer, { bold: true, size: 13, color: c.primary }) + 2;
    this.y += this.centered(`${this.t.header.zh}    ${this.t.header.en}`, { size: 8.5, color: c.muted }) + 16;
  }

  private title(): void {
    const { t, c } = this;
    this.y += this.centered(t.title.zh, { bold: true, size: t.title.size, color: c.primary }, t.title.size / 4) - 4;
    this.y += this.centered(t.title.en, { size: 11, color: c.muted }, 5) + 10;
    this.divider(this.y, 120);
    this.y += 18;
  }

  private serial(): void {
    const { doc, t, d, c } = this;
    this.y += this.centered(`${t.serial.zh}  ${t.serial.en}`, { size: 9, color: c.muted }) + 4;
    style(doc, { bold: true, size: t.serial.size, color: c.text });
    const spacing = 1;
    const w = doc.widthOfString(d.serial, { characterSpacing: spacing }) + 48;
    const h = t.serial.size * 1.75;
    doc.save().lineWidth(1).strokeColor(c.accent);
    doc.roundedRect(this.x + (this.width - w) / 2, this.y, w, h, 4).stroke();
    doc.restore();
    line(
      doc,
      d.serial,
      this.x,
      this.y + (h - doc.currentLineHeight()) / 2,
      { bold: true, size: t.serial.size, color: c.text },
      {
        width: this.width,
        align: 'center',
        characterSpacing: spacing,
      },
    );
    this.y += h + 16;
  }

  private faceValue(): void {
    const { doc, t, d, c } = this;
    const f = t.faceValue;
    const h = f.size * 2.9;
    doc.save().lineWidth(0.8).fillColor(c.panel).strokeColor(c.rule);
    doc.roundedRect(this.x, this.y, this.width, h, 6).fillAndStroke();
    doc.restore();
    let y = this.y + 9;
    y += line(doc, `${f.zh}  ${f.en}`, this.x, y, { size: 9, color: c.muted }, { width: this.width, align: 'center' });
    y +=
      line(
        doc,
        formatYuan(d.faceValueFen),
        this.x,
        y - 2,
        { bold: true, size: f.size, color: c.primary },
        { width: this.width, align: 'center' },
      ) - 4;
    line(
      doc,
      `${f.capitalZh}${toChineseCapitalAmount(d.faceValueFen)}`,
      this.x,
      y,
      { bold: true, size: 13, color: c.text },
      {
        width: this.width,
        align: 'center',
      },
    );
    this.y += h + 12;
  }

  private fieldValue(key: CertificateField): string {
    const { d, t } = this;
    switch (key) {
      case 'holderName':
        return d.holderName;
      case 'holderCreditCode':
        return d.holderCreditCode;
      case 'issuer':
        return d.issuingBureauName;
      case 'issuingRegion':
        return d.issuingRegionName;
      case 'validity':
        return `${beijingTime(d.validFrom)}${t.validityJoin}${beijingTime(d.validUntil)}`;
      case 'policy':
        return fill(t.policyFormat, { region: d.policyRegionCode, version: d.policyVersion });
      case 'issuedAt':
        return `${beijingTime(d.issuedAt)}${d.issuedAt.includes('T') ? '（北京时间）' : ''}`;
    }
  }

  private fields(): void {
    const { doc, c } = this;
    const labelWidth = 150;
    const valueX = this.x + labelWidth + 8;
    const valueWidth = this.width - labelWidth - 8;
    const pad = 6;
    for (const [i, f] of this.t.fields.entries()) {
      if (i > 0) {
        doc.save().lineWidth(0.5).strokeColor(c.rule).dash(1.5, { space: 2 });
        doc
          .moveTo(this.x, this.y)
          .lineTo(this.x + this.width, this.y)
          .stroke();
        doc.undash().restore();
      }
      const top = this.y + pad;
      let labelHeight = line(doc, f.zh, this.x + 8, top, { bold: true, size: 10.5, color: c.text });
      labelHeight += line(doc, f.en, this.x + 8, top + labelHeight - 2, { size: 7.5, color: c.muted }) - 2;
      const valueHeight = block(doc, this.fieldValue(f.key), valueX, top + 2, valueWidth, { size: 12, color: c.text }, 3);
      this.y = top + Math.max(labelHeight, valueHeight + 2) + pad;
    }
    this.y += 12;
  }

  private verify(): void {
    const { doc, t, d, c } = this;
    const v = t.verify;
    const top = this.y;
    doc.save().lineWidth(0.5).strokeColor(c.rule);
    doc.rect(this.x - 0.5, top - 0.5, v.qrSize + 1, v.qrSize + 1).stroke();
    doc.restore();
    doc.image(this.qr, this.x, top, { width: v.qrSize, height: v.qrSize });

    const issuerWidth = 170;
    const textX = this.x + v.qrSize + 14;
    const textWidth = this.width - v.qrSize - 14 - issuerWidth - 16;
    let y = top + 4;
    y += block(doc, v.zh, textX, y, textWidth, { size: 9.5, color: c.text }, 3) + 3;
    y += block(doc, v.en, textX, y, textWidth, { size: 7.5, color: c.muted }, 3) + 6;
    block(doc, d.verifyUrl, textX, y, textWidth, { size: 7, color: c.muted }, 3, { link: d.verifyUrl });

    const issuerX = this.x + this.width - issuerWidth;
    let iy = top + v.qrSize - 62;
    doc.save().lineWidth(0.6).strokeColor(c.accent);
    doc
      .moveTo(issuerX, iy - 8)
      .lineTo(issuerX + issuerWidth, iy - 8)
      .stroke();
    doc.restore();
    iy += line(doc, `${v.issuerZh}  ${v.issuerEn}`, issuerX, iy, { size: 8, color: c.muted }, { width: issuerWidth, align: 'right' });
    iy += block(doc, d.issuingBureauName, issuerX, iy, issuerWidth, { bold: true, size: 12, color: c.primary }, 2, { align: 'right' });
    line(doc, beijingTime(d.issuedAt).slice(0, 10), issuerX, iy + 2, { size: 9, color: c.text }, { width: issuerWidth, align: 'right' });
    this.y = top + v.qrSize + 18;
  }

  private notes(): void {
    const { doc, t, c } = this;
    const bottom = doc.page.height - t.border.innerInset - 18;
    const zh = t.notes.zh.map((n, i) => `${i + 1}. ${n}`).join('\n');
    style(doc, { size: 7.5, color: c.muted });
    const zhHeight = doc.heightOfString(zh, { width: this.width });
    style(doc, { size: 7, color: c.muted });
    const enHeight = doc.heightOfString(t.notes.en, { width: this.width });
    const top = Math.max(this.y, bottom - zhHeight - enHeight - 2);
    block(doc, zh, this.x, top, this.width, { size: 7.5, color: c.muted }, 4);
    block(doc, t.notes.en, this.x, top + zhHeight + 2, this.width, { size: 7, color: c.muted }, 3);
  }
}

const TOTALS_HEIGHT = 70;
const SIGNATURES_HEIGHT = 92;

class StatementLayout {
  private readonly x: number;
  private readonly width: number;
  private readonly bottom: number;
  private readonly widths: number[];
  private y = 0;
  private pageFen = 0;
  private pageClaims = 0;

  constructor(
    private readonly doc: Doc,
    private readonly t: StatementTemplate,
    private readonly d: StatementData,
  ) {
    const m = t.page.margin;
    this.x = m;
    this.width = doc.page.width - 2 * m;
    this.bottom = doc.page.height - m - 14; // room for the page footer
    // Column widths in the template are proportions: scaled to the printable width.
    const sum = t.table.columns.reduce((s, col) => s + col.width, 0);
    this.widths = t.table.columns.map((col) => (col.width * this.width) / sum);
  }

  private get c(): StatementTemplate['colors'] {
    return this.t.colors;
  }

  private get fontSize(): number {
    return this.t.table.fontSize;
  }

  draw(): void {
    this.y = this.t.page.margin;
    this.firstHeader();
    this.tableHeader();
    const rowHeights = this.d.lines.map((l) => this.rowHeight(l));
    // Room under every row for a page subtotal and the grand total row, so neither is orphaned.
    const reserve = 2 * this.summaryHeight;
    for (const [i, l] of this.d.lines.entries()) {
      if (this.y + rowHeights[i] + reserve > this.bottom) {
        this.subtotal();
        this.newPage(true);
      }
      this.row(i, l, rowHeights[i]);
    }
    if (this.doc.bufferedPageRange().count > 1) this.subtotal();
    this.totalRow();
    // The sign-off boxes stay on the page that states what they approve.
    this.ensureSpace(TOTALS_HEIGHT + 20 + SIGNATURES_HEIGHT);
    this.totals();
    this.signatures();
    this.footers();
  }

  private newPage(withTableHeader: boolean): void {
    this.doc.addPage();
    this.y = this.t.page.margin;
    const { t, d, c } = this;
    line(this.doc, `${d.regionName} · ${t.title.zh}（续）`, this.x, this.y, { bold: true, size: 10, color: c.primary });
    line(
      this.doc,
      `${d.settlementId} · ${d.periodLabel}`,
      this.x,
      this.y + 1,
      { size: 8.5, color: c.muted },
      { width: this.width, align: 'right' },
    );
    this.y += 22;
    if (withTableHeader) this.tableHeader();
  }

  private ensureSpace(height: number): void {
    if (this.y + height > this.bottom) this.newPage(false);
  }

  private get summaryHeight(): number {
    return this.fontSize * 2.4;
  }

  private firstHeader(): void {
    const { doc, t, d, c } = this;
    doc.save().rect(this.x, this.y, this.width, 3).fill(c.primary).restore();
    this.y += 14;
    this.y += line(doc, d.regionName, this.x, this.y, { bold: true, size: 12, color: c.primary });
    this.y += line(doc, t.title.zh, this.x, this.y, { bold: true, size: 22, color: c.text }, { characterSpacing: 2 }) - 2;
    this.y += line(doc, t.title.en, this.x, this.y, { size: 10, color: c.muted });

    const status = t.statusLabels[d.status];
    const statusColor = c[d.status];
    style(doc, { bold: true, size: 11, color: statusColor });
    const label = `${status.zh} ${status.en}`;
    const w = doc.widthOfString(label) + 22;
    const sx = this.x + this.width - w;
    const sy = this.y - 44;
    doc.save().lineWidth(1.4).strokeColor(statusColor).roundedRect(sx, sy, w, 26, 4).stroke().restore();
    line(doc, label, sx, sy + 6, { bold: true, size: 11, color: statusColor }, { width: w, align: 'center' });
    this.y += 12;

    // Meta as a two-column grid of label / value pairs inside a panel.
    const cols = 2;
    const rowH = 30;
    const rows = Math.ceil(t.meta.length / cols);
    const cellW = this.width / cols;
    doc.save().lineWidth(0.6).fillColor(c.panel).strokeColor(c.rule);
    doc.rect(this.x, this.y, this.width, rows * rowH + 8).fillAndStroke();
    doc.restore();
    for (const [i, m] of t.meta.entries()) {
      const cx = this.x + (i % cols) * cellW + 10;
      const cy = this.y + 6 + Math.floor(i / cols) * rowH;
      line(doc, `${m.zh}  ${m.en}`, cx, cy, { size: 7.5, color: c.muted });
      block(doc, this.metaValue(m.key), cx, cy + 11, cellW - 20, { bold: true, size: 10, color: c.text }, 1);
    }
    this.y += rows * rowH + 8 + 16;
  }

  private metaValue(key: StatementMeta): string {
    const { d, t } = this;
    switch (key) {
      case 'settlementId':
        return d.settlementId;
      case 'regionName':
        return d.regionName;
      case 'periodLabel':
        return d.periodLabel;
      case 'status':
        return `${t.statusLabels[d.status].zh} ${t.statusLabels[d.status].en}`;
      case 'paymentRef':
        return d.paymentRef ?? '—';
      case 'createdAt':
        return beijingTime(d.createdAt);
      case 'paidAt':
        return d.paidAt === null ? '—' : beijingTime(d.paidAt);
    }
  }

  private cells(values: string[], y: number, s: Style, maxLines = 3): void {
    let cx = this.x;
    for (const [i, col] of this.t.table.columns.entries()) {
      block(this.doc, values[i], cx + 4, y, this.widths[i] - 8, s, maxLines, { align: col.align ?? 'left' });
      cx += this.widths[i];
    }
  }

  private tableHeader(): void {
    const { doc, c } = this;
    const h = this.fontSize * 3.4;
    doc.save().rect(this.x, this.y, this.width, h).fill(c.panel);
    doc.lineWidth(1).strokeColor(c.accent);
    doc
      .moveTo(this.x, this.y)
      .lineTo(this.x + this.width, this.y)
      .stroke();
    doc
      .moveTo(this.x, this.y + h)
      .lineTo(this.x + this.width, this.y + h)
      .stroke();
    doc.restore();
    const cols = this.t.table.columns;
    this.cells(
      cols.map((col) => col.zh),
      this.y + 4,
      { bold: true, size: this.fontSize, color: c.text },
      1,
    );
    this.cells(
      cols.map((col) => col.en),
      this.y + 4 + this.fontSize * 1.5,
      { size: this.fontSize - 1.5, color: c.muted },
      1,
    );
    this.y += h;
  }

  private rowValues(i: number, l: StatementLine): string[] {
    return this.t.table.columns.map((col) => {
      switch (col.key) {
        case 'index':
          return String(i + 1);
        case 'payeeName':
          return l.payeeName;
        case 'payeeCreditCode':
          return l.payeeCreditCode;
        case 'payeeProvinceName':
          return l.payeeProvinceName;
        case 'claimCount':
          return String(l.claimCount);
        case 'amount':
          return tableAmount(l.amountFen);
      }
    });
  }

  private rowHeight(l: StatementLine): number {
    style(this.doc, { size: this.fontSize, color: this.c.text });
    const lh = this.doc.currentLineHeight(true);
    let lines = 1;
    for (const [i, col] of this.t.table.columns.entries()) {
      if (col.key !== 'payeeName' && col.key !== 'payeeProvinceName') continue;
      const text = col.key === 'payeeName' ? l.payeeName : l.payeeProvinceName;
      lines = Math.max(lines, Math.min(3, Math.round(this.doc.heightOfString(text, { width: this.widths[i] - 8 }) / lh)));
    }
    return lines * lh + 6;
  }

  private row(i: number, l: StatementLine, h: number): void {
    const { doc, c } = this;
    if (i % 2 === 1) doc.save().rect(this.x, this.y, this.width, h).fill(c.zebra).restore();
    this.cells(this.rowValues(i, l), this.y + 3, { size: this.fontSize, color: c.text });
    doc.save().lineWidth(0.3).strokeColor(c.rule);
    doc
      .moveTo(this.x, this.y + h)
      .lineTo(this.x + this.width, this.y + h)
      .stroke();
    doc.restore();
    this.y += h;
    this.pageFen += l.amountFen;
    this.pageClaims += l.claimCount;
  }

  private summaryRow(label: Bilingual, claims: number, fen: number, s: Style, fillColor: string | null): void {
    const { doc, c } = this;
    const h = this.summaryHeight;
    if (fillColor) doc.save().rect(this.x, this.y, this.width, h).fill(fillColor).restore();
    const values = this.t.table.columns.map((col, i) => {
      if (col.key === 'claimCount') return String(claims);
      if (col.key === 'amount') return tableAmount(fen);
      return i === 1 ? `${label.zh}  ${label.en}` : '';
    });
    this.cells(values, this.y + (h - this.fontSize * 1.3) / 2, s, 1);
    doc.save().lineWidth(0.6).strokeColor(c.accent);
    doc
      .moveTo(this.x, this.y + h)
      .lineTo(this.x + this.width, this.y + h)
      .stroke();
    doc.restore();
    this.y += h;
  }

  private subtotal(): void {
    this.summaryRow(this.t.table.pageSubtotal, this.pageClaims, this.pageFen, { size: this.fontSize, color: this.c.muted }, null);
    this.pageFen = 0;
    this.pageClaims = 0;
  }

  private totalRow(): void {
    const { doc, c } = this;
    doc.save().lineWidth(1).strokeColor(c.text);
    doc
      .moveTo(this.x, this.y)
      .lineTo(this.x + this.width, this.y)
      .stroke();
    doc.restore();
    const claims = this.d.lines.reduce((s, l) => s + l.claimCount, 0);
    this.summaryRow(this.t.table.total, claims, this.d.totalFen, { bold: true, size: this.fontSize + 0.5, color: c.text }, c.panel);
    this.y += 16;
  }

  private totals(): void {
    const { doc, t, d, c } = this;
    const h = TOTALS_HEIGHT;
    doc.save().lineWidth(0.8).fillColor(c.panel).strokeColor(c.rule).rect(this.x, this.y, this.width, h).fillAndStroke().restore();
    doc.save().rect(this.x, this.y, 4, h).fill(c.primary).restore();
    const claims = d.lines.reduce((s, l) => s + l.claimCount, 0);
    const counts = { payees: d.lines.length, claims };
    const left = this.x + 16;
    const half = this.width / 2;
    line(doc, `${t.totals.zh}  ${t.totals.en}`, left, this.y + 10, { size: 8, color: c.muted });
    line(doc, formatYuan(d.totalFen), left, this.y + 22, { bold: true, size: 20, color: c.primary });
    line(doc, `${fill(t.totals.payeesZh, counts)} · ${fill(t.totals.payeesEn, counts)}`, left, this.y + 52, { size: 7.5, color: c.muted });
    line(doc, `${t.totals.capitalZh}  ${t.totals.capitalEn}`, this.x + half, this.y + 10, { size: 8, color: c.muted });
    block(doc, toChineseCapitalAmount(d.totalFen), this.x + half, this.y + 24, half - 16, { bold: true, size: 13, color: c.text }, 2);
    this.y += h + 20;
  }

  private signatures(): void {
    const { doc, t, c } = this;
    const h = SIGNATURES_HEIGHT;
    const gap = 10;
    const n = t.signatures.length;
    const w = (this.width - gap * (n - 1)) / n;
    for (const [i, s] of t.signatures.entries()) {
      const bx = this.x + i * (w + gap);
      doc.save().lineWidth(0.7).strokeColor(c.rule).rect(bx, this.y, w, h).stroke().restore();
      line(doc, s.zh, bx + 8, this.y + 7, { bold: true, size: 10, color: c.text });
      line(doc, s.en, bx + 8, this.y + 21, { size: 7, color: c.muted });
      if (s.seal) {
        const r = Math.min(w, h) / 2 - 18;
        doc.save().lineWidth(0.6).strokeColor(c.rule).dash(2, { space: 2 });
        doc.circle(bx + w / 2, this.y + h / 2 + 8, r).stroke();
        doc.undash().restore();
      } else {
        doc.save().lineWidth(0.5).strokeColor(c.muted);
        doc
          .moveTo(bx + 8, this.y + h - 32)
          .lineTo(bx + w - 8, this.y + h - 32)
          .stroke();
        doc.restore();
        line(doc, '签字 Signature', bx + 8, this.y + h - 29, { size: 6.5, color: c.muted });
        line(doc, '日期 Date', bx + 8, this.y + h - 14, { size: 6.5, color: c.muted });
        doc.save().lineWidth(0.5).strokeColor(c.muted);
        doc
          .moveTo(bx + 42, this.y + h - 8)
          .lineTo(bx + w - 8, this.y + h - 8)
          .stroke();
        doc.restore();
      }
    }
    this.y += h;
  }

  /** Page numbers need the page count, so they are written last over the buffered pages. */
  private footers(): void {
    const { doc, t, d, c } = this;
    const { start, count } = doc.bufferedPageRange();
    for (let p = start; p < start + count; p++) {
      doc.switchToPage(p);
      const margins = doc.page.margins.bottom;
      doc.page.margins.bottom = 0; // writing inside the bottom margin must not start a new page
      const y = doc.page.height - this.t.page.margin - 6;
      doc
        .save()
        .lineWidth(0.5)
        .strokeColor(c.rule)
        .moveTo(this.x, y - 4)
        .lineTo(this.x + this.width, y - 4)
        .stroke()
        .restore();
      const values = { page: p - start + 1, pages: count };
      line(doc, `${d.regionName} · ${t.title.zh} · ${d.settlementId}`, this.x, y, { size: 7, color: c.muted });
      line(
        doc,
        `${fill(t.footer.zh, values)} · ${fill(t.footer.en, values)}`,
        this.x,
        y,
        { size: 7, color: c.muted },
        {
          width: this.width,
          align: 'right',
        },
      );
      doc.page.margins.bottom = margins;
    }
  }
}
