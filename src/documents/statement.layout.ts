import { counted } from '../common/i18n/plural';
import { formatYuan, toChineseCapitalAmount } from './chinese-amount';
import { assertStatementTotal, StatementClaim, StatementData, StatementLine } from './document-data';
import {
  block,
  breathe,
  Doc,
  fill,
  formatDateTime,
  formatPeriod,
  line,
  renderPdf,
  ROWS_PER_TURN,
  style,
  Style,
  writeFooters,
} from './drawing';
import { voidedRow, voidStamp } from './clearing-run.layout';
import { Bilingual, ClaimColumn, StatementMeta, statementTemplate, StatementTemplate, TableColumn } from './templates';

/**
 * A4 pages: header, one table row per payee with the bank it is paid into (paginated, subtotal per page), total and
 * sign-off boxes, then the schedule of every claim behind the lines.
 */
export async function renderStatement(d: StatementData): Promise<Buffer> {
  assertStatementTotal(d);
  const t = statementTemplate();
  const info = {
    Title: `${t.title.zh} ${d.batchNo ?? d.settlementId}${d.voided ? '（已作废）' : ''}`,
    Author: d.regionName,
    Subject: `${t.title.en} ${d.periodLabel}`,
  };
  return renderPdf(t.page, info, (doc) => new StatementLayout(doc, t, d).draw());
}

/** The bank a line is paid into: its name above the account, as the reader may see it (in full for the paying bureau). */
const bankCell = (l: StatementLine, none: Bilingual): string =>
  l.bankAccount ? `${l.bankName ?? ''}\n${l.bankAccount}` : `${none.zh} ${none.en}`;

function claimValues(columns: TableColumn<ClaimColumn>[], i: number, c: StatementClaim): string[] {
  return columns.map((col) => {
    switch (col.key) {
      case 'index':
        return String(i + 1);
      case 'payeeName':
        return c.payeeName;
      case 'contractNo':
        return c.contractNo;
      case 'invoiceNo':
        return c.invoiceNo;
      case 'decidedAt':
        return c.decidedAt ? formatDateTime(c.decidedAt) : '—';
      case 'redemptions':
        return String(c.redemptions);
      case 'claimed':
        return tableAmount(c.claimedFen);
      case 'amount':
        return tableAmount(c.amountFen);
    }
  });
}

/** Table amounts sit under a 金额（元） header, so they drop the currency sign. */
const tableAmount = (fen: number): string => formatYuan(fen).replace('¥', '');

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

  async draw(): Promise<void> {
    this.y = this.t.page.margin;
    this.firstHeader();
    this.tableHeader();
    const rowHeights = this.d.lines.map((l, i) => this.heightOf(this.rowValues(i, l), this.widths, this.fontSize, 3));
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
    if (this.d.claims?.length) await this.claimSchedule(this.d.claims);
    // A voided batch says so across its first page, so that a printed copy cannot pass for a batch to pay.
    if (this.d.voided) this.voidedMark(this.d.voided);
    this.footers();
  }

  /**
   * Every claim behind the lines: who, on which contract and invoice, approved when, for how much. A batch of 100,000
   * claims is thousands of pages: drawn a few rows per turn of the event loop, not in one stretch of half a minute.
   */
  private async claimSchedule(claims: StatementClaim[]): Promise<void> {
    const { doc, c } = this;
    const ct = this.t.claimsTable;
    const sum = ct.columns.reduce((s, col) => s + col.width, 0);
    const widths = ct.columns.map((col) => (col.width * this.width) / sum);
    const size = ct.fontSize;
    const cells = (values: string[], y: number, s: Style, maxLines = 1) => {
      let cx = this.x;
      for (const [i, col] of ct.columns.entries()) {
        block(doc, values[i], cx + 4, y, widths[i] - 8, s, maxLines, { align: col.align ?? 'left' });
        cx += widths[i];
      }
    };
    const header = () => {
      const h = size * 3.4;
      doc.save().rect(this.x, this.y, this.width, h).fill(c.panel).restore();
      cells(
        ct.columns.map((col) => col.zh),
        this.y + 4,
        { bold: true, size, color: c.text },
      );
      cells(
        ct.columns.map((col) => col.en),
        this.y + 4 + size * 1.5,
        { size: size - 1.5, color: c.muted },
      );
      this.y += h;
    };
    this.newPage(false);
    this.y += line(doc, `${ct.title.zh}  ${ct.title.en}`, this.x, this.y, { bold: true, size: 12, color: c.text }) + 8;
    header();
    for (const [i, claim] of claims.entries()) {
      if (i > 0 && i % ROWS_PER_TURN === 0) await breathe();
      const values = claimValues(ct.columns, i, claim);
      // as tall as its longest value needs, up to 4 lines: a lab's full name, a 20-digit invoice number
      const rowH = Math.max(size * 2.2, this.heightOf(values, widths, size, 4));
      if (this.y + rowH > this.bottom) {
        this.newPage(false);
        header();
      }
      if (i % 2 === 1) doc.save().rect(this.x, this.y, this.width, rowH).fill(c.zebra).restore();
      cells(values, this.y + 3, { size, color: c.text }, 4);
      this.y += rowH;
    }
    doc
      .save()
      .lineWidth(1)
      .strokeColor(c.text)
      .moveTo(this.x, this.y)
      .lineTo(this.x + this.width, this.y)
      .stroke()
      .restore();
    const total = claims.reduce((s, cl) => s + cl.amountFen, 0);
    this.y += 4;
    line(
      doc,
      `${this.t.table.total.zh}  ${this.t.table.total.en}  ${tableAmount(total)}`,
      this.x,
      this.y,
      { bold: true, size, color: c.text },
      { width: this.width, align: 'right' },
    );
  }

  private voidedMark(voided: { at: string; reason: string }): void {
    const { doc } = this;
    doc.switchToPage(doc.bufferedPageRange().start);
    const [[label, text]] = voidedRow(voided);
    line(
      doc,
      `${label}  ${text}`,
      this.x,
      this.t.page.margin + 6,
      { bold: true, size: 9, color: this.c.voided },
      { width: this.width, align: 'right' },
    );
    voidStamp(doc, doc.page.width / 2, doc.page.height * 0.45, this.width * 0.7);
  }

  private newPage(withTableHeader: boolean): void {
    this.doc.addPage();
    this.y = this.t.page.margin;
    const { t, d, c } = this;
    line(this.doc, `${d.regionName} · ${t.title.zh}（续）`, this.x, this.y, { bold: true, size: 10, color: c.primary });
    line(
      this.doc,
      `${d.batchNo ?? d.settlementId} · ${formatPeriod(d.periodLabel)}`,
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
        return d.batchNo ?? d.settlementId;
      case 'regionName':
        return d.regionName;
      case 'periodLabel':
        return formatPeriod(d.periodLabel);
      case 'status':
        return `${t.statusLabels[d.status].zh} ${t.statusLabels[d.status].en}`;
      case 'paymentRef':
        return d.paymentRef ?? '—';
      case 'createdAt':
        return formatDateTime(d.createdAt);
      case 'paidAt':
        return d.paidAt === null ? '—' : formatDateTime(d.paidAt);
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
        case 'payeeBank':
          return bankCell(l, this.t.table.noBank);
        case 'claimCount':
          return this.d.voided ? '—' : String(l.claimCount);
        case 'amount':
          return tableAmount(l.amountFen);
      }
    });
  }

  /** How tall a row is whose values wrap in columns of `widths`, each to at most `maxLines` lines. */
  private heightOf(values: string[], widths: number[], size: number, maxLines: number): number {
    style(this.doc, { size, color: this.c.text });
    const lh = this.doc.currentLineHeight(true);
    const lines = values.map((v, i) => Math.min(maxLines, Math.round(this.doc.heightOfString(v, { width: widths[i] - 8 }) / lh)));
    return Math.max(1, ...lines) * lh + 6;
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
      if (col.key === 'claimCount') return this.d.voided ? '—' : String(claims);
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
    const countsEn = { payees: counted(d.lines.length, 'payee'), claims: counted(claims, 'claim') };
    const left = this.x + 16;
    const half = this.width / 2;
    line(doc, `${t.totals.zh}  ${t.totals.en}`, left, this.y + 10, { size: 8, color: c.muted });
    line(doc, formatYuan(d.totalFen), left, this.y + 22, { bold: true, size: 20, color: c.primary });
    line(doc, `${fill(t.totals.payeesZh, counts)} · ${fill(t.totals.payeesEn, countsEn)}`, left, this.y + 52, {
      size: 7.5,
      color: c.muted,
    });
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

  private footers(): void {
    const { doc, t, d, c } = this;
    writeFooters(
      doc,
      { x: this.x, width: this.width, margin: t.page.margin },
      c,
      `${d.regionName} · ${t.title.zh} · ${d.batchNo ?? d.settlementId}`,
      t.footer,
    );
  }
}
