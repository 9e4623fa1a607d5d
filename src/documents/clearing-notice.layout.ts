import { formatYuan, toChineseCapitalAmount } from './chinese-amount';
import { clearingHeading, COLORS, NO_PAYMENTS, PAGE, voidedRow, voidStamp } from './clearing-run.layout';
import { block, Doc, formatDateTime, line, renderPdf } from './drawing';

/**
 * A province's clearing notice (清算通知书): its side of one recorded run, for its treasury to file and pay on. Provinces
 * and amounts as the run stored them; names already formatted (名称（代码）).
 */
export interface ClearingNoticeData {
  runId: string;
  runNo: string;
  from: string;
  to: string;
  createdAt: string;
  csvSha256: string;
  province: string;
  netFen: number;
  grossPaidFen: number;
  grossReceivedFen: number;
  /** The transfers it makes (to whom) and receives (from whom). */
  pays: { to: string; amountFen: number }[];
  receives: { from: string; amountFen: number }[];
  /** The run's gross flows its province pays or receives. */
  gross: { from: string; to: string; amountFen: number }[];
  /** How many settlement lines of its province (issuer or payee) the run took in: its lines.csv lists them. */
  lineCount: number;
  /** Set when the run was voided: the notice is then stamped 已作废 / VOID, with the day and the reason. */
  voided?: { at: string; reason: string };
}

export function renderClearingNotice(d: ClearingNoticeData): Promise<Buffer> {
  const info = {
    Title: `跨省清算通知书 ${d.runNo} ${d.province}${d.voided ? '（已作废）' : ''}`,
    Author: '长三角科技创新券 通用通兑',
    Subject: `Clearing notice ${d.from} – ${d.to}`,
  };
  return renderPdf(PAGE, info, (doc) => draw(doc, d));
}

const side = (fen: number) => (fen < 0 ? '应付 pays' : fen > 0 ? '应收 receives' : '持平 even');

function draw(doc: Doc, d: ClearingNoticeData): void {
  const x = PAGE.margin;
  const width = doc.page.width - 2 * PAGE.margin;
  const bottom = doc.page.height - PAGE.margin;
  let y = PAGE.margin;
  const ensure = (h: number) => {
    if (y + h <= bottom) return;
    doc.addPage();
    y = PAGE.margin;
  };

  y = clearingHeading(
    doc,
    y,
    ['跨省清算通知书', 'Cross-province Clearing Notice'],
    [
      ['通知对象 To', `${d.province}财政（国库）`],
      ['清算编号 Run No.', d.voided ? `${d.runNo}（已作废 VOID）` : d.runNo],
      ['清算期间 Period', `${d.from} 至 ${d.to}（按支付日，北京时间）`],
      ['生成时间 Recorded', `${formatDateTime(d.createdAt)}（北京时间）`],
      ['清算单 CSV SHA-256', d.csvSha256],
      ['系统标识 Run ID', d.runId],
      ...voidedRow(d.voided),
    ],
  );

  // The province's net position first: what its treasury pays or receives on this run, in figures and in words.
  const netColor = d.netFen < 0 ? COLORS.pays : d.netFen > 0 ? COLORS.receives : COLORS.muted;
  doc.save().lineWidth(0.8).fillColor(COLORS.panel).strokeColor(COLORS.rule).rect(x, y, width, 62).fillAndStroke().restore();
  doc.save().rect(x, y, 4, 62).fill(netColor).restore();
  line(doc, `本省净头寸 Net position · ${side(d.netFen)}`, x + 16, y + 10, { size: 8, color: COLORS.muted });
  line(doc, formatYuan(Math.abs(d.netFen)), x + 16, y + 24, { bold: true, size: 18, color: netColor });
  line(doc, `总额 应付 ${formatYuan(d.grossPaidFen)} · 应收 ${formatYuan(d.grossReceivedFen)}`, x + 16, y + 47, {
    size: 7.5,
    color: COLORS.muted,
  });
  line(doc, '人民币（大写） In words', x + width / 2, y + 10, { size: 8, color: COLORS.muted });
  block(
    doc,
    toChineseCapitalAmount(Math.abs(d.netFen)),
    x + width / 2,
    y + 24,
    width / 2 - 16,
    { bold: true, size: 12, color: COLORS.text },
    2,
  );
  y += 62 + 18;

  const table = (title: string, header: string[], widths: number[], rows: string[][], colors: (string | undefined)[], none: string) => {
    ensure(60);
    y += line(doc, title, x, y, { bold: true, size: 12, color: COLORS.text }) + 4;
    const total = widths.reduce((s, w) => s + w, 0);
    const ws = widths.map((w) => (w * width) / total);
    const cells = (values: string[], rowY: number, bold: boolean, color?: string) => {
      let cx = x;
      for (const [i, v] of values.entries()) {
        const align = i === values.length - 1 ? 'right' : 'left';
        block(doc, v, cx + 6, rowY, ws[i] - 12, { bold, size: 9.5, color: color ?? COLORS.text }, 1, { align });
        cx += ws[i];
      }
    };
    doc.save().rect(x, y, width, 20).fill(COLORS.panel).restore();
    cells(header, y + 5, true);
    y += 20;
    if (rows.length === 0) y += line(doc, none, x + 6, y + 5, { size: 9, color: COLORS.muted }) + 8;
    for (const [i, r] of rows.entries()) {
      ensure(20);
      cells(r, y + 5, false, colors[i]);
      doc
        .save()
        .lineWidth(0.3)
        .strokeColor(COLORS.rule)
        .moveTo(x, y + 20)
        .lineTo(x + width, y + 20)
        .stroke()
        .restore();
      y += 20;
    }
    y += 16;
  };

  const transfers = [
    ...d.pays.map((p) => ({ row: ['划出 pays to', p.to, formatYuan(p.amountFen)], color: COLORS.pays })),
    ...d.receives.map((r) => ({ row: ['划入 receives from', r.from, formatYuan(r.amountFen)], color: COLORS.receives })),
  ];
  table(
    '一、本省划转 Transfers of the province',
    ['方向 Side', '对方省份 Counterparty', '金额 Amount'],
    [3, 4, 2],
    transfers.map((t) => t.row),
    transfers.map((t) => t.color),
    d.gross.length > 0 ? '轧差后本省无需划转 · Nothing to transfer after netting' : NO_PAYMENTS,
  );
  table(
    '二、本省跨省应付与应收（总额） Gross flows of the province',
    ['付款省份（发券地） Pays', '收款省份（服务机构所在地） Receives', '金额 Amount'],
    [3, 4, 2],
    d.gross.map((g) => [g.from, g.to, formatYuan(g.amountFen)]),
    [],
    NO_PAYMENTS,
  );

  ensure(30);
  block(
    doc,
    `本省在本次清算中的结算行 ${d.lineCount} 笔（本省为发券地或收款方所在地），明细见 lines.csv；按划转指令付款、收款。`,
    x,
    y,
    width,
    { size: 8.5, color: COLORS.muted },
    2,
  );
  if (d.voided) voidStamp(doc, doc.page.width / 2, doc.page.height * 0.45, width * 0.7);
}
