import { formatYuan, toChineseCapitalAmount } from './chinese-amount';
import { block, Doc, formatDateTime, line, renderPdf } from './drawing';

/** A recorded clearing run as the platform prints it for the four treasuries: figures by province name. */
export interface ClearingRunData {
  id: string;
  runNo: string;
  from: string;
  to: string;
  createdAt: string;
  grossTotalFen: number;
  transferTotalFen: number;
  csvSha256: string;
  gross: { from: string; to: string; amountFen: number }[];
  net: { province: string; netFen: number }[];
  transfers: { from: string; to: string; amountFen: number }[];
  /** Set when the run was voided: the PDF is then stamped 已作废 / VOID, with the day and the reason. */
  voided?: { at: string; reason: string };
}

export const NO_PAYMENTS = '本期无跨省支付 · No cross-province payments in the period';

export const PAGE = { size: 'A4', layout: 'portrait' as const, margin: 48 };
export const COLORS = {
  primary: '#A3201D',
  text: '#1F2328',
  muted: '#6B6F76',
  panel: '#FBF6EC',
  rule: '#E3D6BC',
  pays: '#B45309',
  receives: '#15803D',
};

/** One A4 page (more only for an unusual number of flows): the run's identity, then gross flows, net positions, transfers. */
export function renderClearingRun(d: ClearingRunData): Promise<Buffer> {
  const info = {
    Title: `跨省清算单 ${d.runNo}${d.voided ? '（已作废）' : ''}`,
    Author: '长三角科技创新券 通用通兑',
    Subject: `Clearing run ${d.from} – ${d.to}`,
  };
  return renderPdf(PAGE, info, (doc) => draw(doc, d));
}

function draw(doc: Doc, d: ClearingRunData): void {
  const page = new ClearingPage(doc);
  page.heading(
    ['跨省清算单', 'Cross-province Clearing Run'],
    [
      ['清算编号 Run No.', d.voided ? `${d.runNo}（已作废 VOID）` : d.runNo],
      // Periods are Beijing days, as every date of the service. A run takes in every line paid up to `to` that no earlier
      // run took in, some paid before `from` (on a period's last day after its run): the period alone would hide them.
      ['清算期间 Period', `${d.from} 至 ${d.to}（按支付日，北京时间）`],
      ['纳入范围 Lines taken in', `期间内支付的结算行，及 ${d.from} 前支付、此前未清算的结算行`],
      ['生成时间 Recorded', `${formatDateTime(d.createdAt)}（北京时间）`],
      ['CSV SHA-256', d.csvSha256],
      ['系统标识 Run ID', d.id],
      ...voidedRow(d.voided),
    ],
  );
  page.table(
    '一、跨省应付（总额） Gross flows',
    ['付款省份（发券地） Pays', '收款省份（服务机构所在地） Receives', '金额 Amount'],
    [3, 4, 2],
    d.gross.map((g) => [g.from, g.to, formatYuan(g.amountFen)]),
  );
  page.table(
    '二、净头寸 Net positions',
    ['省份 Province', '方向 Side', '净额 Net'],
    [3, 4, 2],
    d.net.map((n) => [n.province, side(n.netFen), formatYuan(n.netFen)]),
    d.net.map((n) => sideColor(n.netFen)),
  );
  page.table(
    '三、划转指令 Transfers',
    ['付款省份 From', '收款省份 To', '金额 Amount'],
    [3, 4, 2],
    d.transfers.map((t) => [t.from, t.to, formatYuan(t.amountFen)]),
    [],
    // Flows that cancel out leave nothing to transfer: the period had payments, and the gross table shows them.
    d.gross.length > 0 ? '轧差后无需划转 · Nothing to transfer after netting' : NO_PAYMENTS,
  );
  page.ensure(70);
  page.figure('划转合计 Transfers total', d.transferTotalFen, COLORS.primary, `跨省总额 Gross ${formatYuan(d.grossTotalFen)}`);
  // Over the figures, last, so no table paints over it; the first page's identity panel says so in words too.
  if (d.voided) voidStamp(doc, doc.page.width / 2, doc.page.height * 0.45, page.width * 0.7);
}

/** A province's side of a net figure, and its colour. */
export const side = (fen: number) => (fen < 0 ? '应付 pays' : fen > 0 ? '应收 receives' : '持平 even');
export const sideColor = (fen: number) => (fen < 0 ? COLORS.pays : fen > 0 ? COLORS.receives : COLORS.muted);

/** Where a clearing document's next part goes, down its pages: a new page when a part would not fit. */
export class ClearingPage {
  readonly x = PAGE.margin;
  readonly width: number;
  y = PAGE.margin;
  private readonly bottom: number;

  constructor(private readonly doc: Doc) {
    this.width = doc.page.width - 2 * PAGE.margin;
    this.bottom = doc.page.height - PAGE.margin;
  }

  ensure(height: number): void {
    if (this.y + height <= this.bottom) return;
    this.doc.addPage();
    this.y = PAGE.margin;
  }

  heading(title: [string, string], meta: [string, string][]): void {
    this.y = clearingHeading(this.doc, this.y, title, meta);
  }

  /** A panel with one amount in figures (its magnitude) and in words, a bar of `color`, and a line of `note` under it. */
  figure(label: string, fen: number, color: string, note: string): void {
    const { doc, x, y, width } = this;
    doc.save().lineWidth(0.8).fillColor(COLORS.panel).strokeColor(COLORS.rule).rect(x, y, width, 62).fillAndStroke().restore();
    doc.save().rect(x, y, 4, 62).fill(color).restore();
    line(doc, label, x + 16, y + 10, { size: 8, color: COLORS.muted });
    line(doc, formatYuan(Math.abs(fen)), x + 16, y + 24, { bold: true, size: 18, color });
    line(doc, note, x + 16, y + 47, { size: 7.5, color: COLORS.muted });
    line(doc, '人民币（大写） In words', x + width / 2, y + 10, { size: 8, color: COLORS.muted });
    block(
      doc,
      toChineseCapitalAmount(Math.abs(fen)),
      x + width / 2,
      y + 24,
      width / 2 - 16,
      { bold: true, size: 12, color: COLORS.text },
      2,
    );
    this.y += 62 + 18;
  }

  /** A titled table across the page; the last column right-aligned; `none` in place of rows when there are none. */
  table(
    title: string,
    header: string[],
    widths: number[],
    rows: string[][],
    colors: (string | undefined)[] = [],
    none = NO_PAYMENTS,
  ): void {
    const { doc, x, width } = this;
    this.ensure(60);
    this.y += line(doc, title, x, this.y, { bold: true, size: 12, color: COLORS.text }) + 4;
    const sum = widths.reduce((s, w) => s + w, 0);
    const ws = widths.map((w) => (w * width) / sum);
    const cells = (values: string[], rowY: number, bold: boolean, color?: string) => {
      let cx = x;
      for (const [i, v] of values.entries()) {
        const align = i === values.length - 1 ? 'right' : 'left';
        block(doc, v, cx + 6, rowY, ws[i] - 12, { bold, size: 9.5, color: color ?? COLORS.text }, 1, { align });
        cx += ws[i];
      }
    };
    doc.save().rect(x, this.y, width, 20).fill(COLORS.panel).restore();
    cells(header, this.y + 5, true);
    this.y += 20;
    if (rows.length === 0) this.y += line(doc, none, x + 6, this.y + 5, { size: 9, color: COLORS.muted }) + 8;
    for (const [i, r] of rows.entries()) {
      this.ensure(20);
      cells(r, this.y + 5, false, colors[i]);
      doc
        .save()
        .lineWidth(0.3)
        .strokeColor(COLORS.rule)
        .moveTo(x, this.y + 20)
        .lineTo(x + width, this.y + 20)
        .stroke()
        .restore();
      this.y += 20;
    }
    this.y += 16;
  }
}

/** A voided run says so across its (last) page, so that a printed copy cannot pass for a run to pay on. */
export function voidStamp(doc: Doc, cx: number, cy: number, w: number): void {
  const h = 110;
  doc.save();
  doc.rotate(-15, { origin: [cx, cy] });
  doc.opacity(0.45);
  doc
    .lineWidth(4)
    .strokeColor(COLORS.primary)
    .roundedRect(cx - w / 2, cy - h / 2, w, h, 8)
    .stroke();
  line(
    doc,
    '已作废',
    cx - w / 2,
    cy - h / 2 + 12,
    { bold: true, size: 52, color: COLORS.primary },
    { width: w, align: 'center', characterSpacing: 10 },
  );
  line(doc, 'VOID', cx - w / 2, cy + h / 2 - 30, { bold: true, size: 14, color: COLORS.primary }, { width: w, align: 'center' });
  doc.restore();
}

/** A voided run's row of the identity panel: when and why. */
export const voidedRow = (voided: { at: string; reason: string } | undefined): [string, string][] =>
  voided ? [['作废 Voided', `${formatDateTime(voided.at)}（北京时间）作废，原因：${voided.reason}`]] : [];

/**
 * The heading of a clearing document (the brand's rule and line, its title in Chinese and English) and its identity
 * panel of labelled values, drawn from `y` across the page; returns where the body starts.
 */
export function clearingHeading(doc: Doc, y: number, [title, english]: [string, string], meta: [string, string][]): number {
  const x = PAGE.margin;
  const width = doc.page.width - 2 * PAGE.margin;
  doc.save().rect(x, y, width, 3).fill(COLORS.primary).restore();
  y += 14;
  y += line(doc, '长三角科技创新券 · 通用通兑', x, y, { bold: true, size: 12, color: COLORS.primary });
  y += line(doc, title, x, y, { bold: true, size: 22, color: COLORS.text }, { characterSpacing: 2 }) - 2;
  y += line(doc, english, x, y, { size: 10, color: COLORS.muted }) + 10;
  const metaH = meta.length * 26 + 10;
  doc.save().lineWidth(0.6).fillColor(COLORS.panel).strokeColor(COLORS.rule).rect(x, y, width, metaH).fillAndStroke().restore();
  for (const [i, [label, value]] of meta.entries()) {
    line(doc, label, x + 10, y + 6 + i * 26, { size: 7.5, color: COLORS.muted });
    block(doc, value, x + 10, y + 17 + i * 26, width - 20, { bold: true, size: 9.5, color: COLORS.text }, 1);
  }
  return y + metaH + 18;
}
