import { formatYuan } from './chinese-amount';
import { ClearingPage, COLORS, NO_PAYMENTS, PAGE, side, sideColor, voidedRow, voidStamp } from './clearing-run.layout';
import { block, Doc, formatDateTime, renderPdf } from './drawing';

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

function draw(doc: Doc, d: ClearingNoticeData): void {
  const page = new ClearingPage(doc);
  page.heading(
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
  page.figure(
    `本省净头寸 Net position · ${side(d.netFen)}`,
    d.netFen,
    sideColor(d.netFen),
    `总额 应付 ${formatYuan(d.grossPaidFen)} · 应收 ${formatYuan(d.grossReceivedFen)}`,
  );
  const transfers = [
    ...d.pays.map((p) => ({ row: ['划出 pays to', p.to, formatYuan(p.amountFen)], color: COLORS.pays })),
    ...d.receives.map((r) => ({ row: ['划入 receives from', r.from, formatYuan(r.amountFen)], color: COLORS.receives })),
  ];
  page.table(
    '一、本省划转 Transfers of the province',
    ['方向 Side', '对方省份 Counterparty', '金额 Amount'],
    [3, 4, 2],
    transfers.map((t) => t.row),
    transfers.map((t) => t.color),
    d.gross.length > 0 ? '轧差后本省无需划转 · Nothing to transfer after netting' : NO_PAYMENTS,
  );
  page.table(
    '二、本省跨省应付与应收（总额） Gross flows of the province',
    ['付款省份（发券地） Pays', '收款省份（服务机构所在地） Receives', '金额 Amount'],
    [3, 4, 2],
    d.gross.map((g) => [g.from, g.to, formatYuan(g.amountFen)]),
  );
  page.ensure(30);
  block(
    doc,
    `本省在本次清算中的结算行 ${d.lineCount} 笔（本省为发券地或收款方所在地），明细见 lines.csv；按划转指令付款、收款。`,
    page.x,
    page.y,
    page.width,
    { size: 8.5, color: COLORS.muted },
    2,
  );
  if (d.voided) voidStamp(doc, doc.page.width / 2, doc.page.height * 0.45, page.width * 0.7);
}
