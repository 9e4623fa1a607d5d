import type { AnnualReportData, ProvinceFlowFigure } from './annual-report.data';
import { formatYuan } from './chinese-amount';
import { block, Doc, formatDateTime, formatDay, line, renderPdf, style, Style, writeFooters } from './drawing';
import { annualReportTemplate, AnnualReportTemplate } from './templates';

// Charts are drawn with pdfkit's own vector operations (rectangles, lines, text) rather than Vega-Lite → SVG →
// svg-to-pdfkit: the report needs bars and axes only, pdfkit is already the documents' one PDF library, and its text
// uses the embedded Noto Sans SC subset directly — an SVG pipeline would add vega, vega-lite and svg-to-pdfkit and need
// a font callback to map the SVG's Chinese labels back onto that font.

/** A4 pages: header and key figures, then six numbered sections with their charts and tables; page numbers last. */
export async function renderAnnualReport(d: AnnualReportData): Promise<Buffer> {
  const t = annualReportTemplate();
  const info = { Title: reportTitle(d, t), Author: d.bureauName, Subject: `${t.title.en} ${d.year}` };
  return renderPdf(t.page, info, (doc) => new AnnualReportLayout(doc, t, d).draw());
}

/** 安徽省2026年科技创新券年度报告: the title as the header, the running header and the footer print it. */
const reportTitle = (d: AnnualReportData, t: AnnualReportTemplate): string => `${d.regionName}${d.year}年${t.title.zh}`;

/** Table and axis amounts sit under a （元） header, so they drop the currency sign. */
const yuan = (fen: number): string => formatYuan(fen).replace('¥', '');
/** Whole yuan without the decimals, for axis ticks. */
const yuanTick = (fen: number): string => (fen % 100 === 0 ? yuan(fen).slice(0, -3) : yuan(fen));

/** part / whole as a percentage with one decimal, from integers (BigInt, so no product of fen overflows). */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const tenths = Number((BigInt(part) * 1000n + BigInt(whole) / 2n) / BigInt(whole));
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

/** Axis ticks from 0 covering `max` (fen): about five steps of 1, 2 or 5 × 10ⁿ fen, at least one yuan. */
export function ticks(max: number): number[] {
  if (max <= 0) return [0, 100];
  const raw = Math.max(100, Math.ceil(max / 5));
  let magnitude = 1;
  while (magnitude * 10 <= raw) magnitude *= 10;
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

const hours = (h: number | null): string => (h === null ? '—' : `${h.toFixed(1)} 小时（约 ${(h / 24).toFixed(1)} 天）`);
const SANCTION_STATUS: Record<string, string> = { in_force: '执行中', lifted: '已解除', ended: '已到期' };
const UNIT: Record<string, string> = { hour: '机时', sample: '样品', item: '项' };
const SECTION_GAP = 18;

class AnnualReportLayout {
  private readonly x: number;
  private readonly width: number;
  private readonly bottom: number;
  private y = 0;

  constructor(
    private readonly doc: Doc,
    private readonly t: AnnualReportTemplate,
    private readonly d: AnnualReportData,
  ) {
    this.x = t.page.margin;
    this.width = doc.page.width - 2 * t.page.margin;
    this.bottom = doc.page.height - t.page.margin - 14; // room for the page footer
  }

  private get c(): AnnualReportTemplate['colors'] {
    return this.t.colors;
  }

  draw(): void {
    this.y = this.t.page.margin;
    this.header();
    this.keyFigures();
    this.budget();
    this.vouchers();
    this.flows();
    this.facilities();
    this.payment();
    this.integrity();
    this.footers();
  }

  // ---- page flow ----

  private ensureSpace(height: number): void {
    if (this.y + height <= this.bottom) return;
    this.doc.addPage();
    this.y = this.t.page.margin;
    const { d, t, c } = this;
    line(this.doc, `${reportTitle(d, t)}（续）`, this.x, this.y, { bold: true, size: 10, color: c.primary });
    this.y += 24;
  }

  /** A numbered heading, kept on the page with the first `keep` points of what follows it. */
  private heading(zh: string, en: string, keep: number): void {
    this.ensureSpace(30 + keep);
    const { doc, c } = this;
    doc
      .save()
      .rect(this.x, this.y + 2, 4, 16)
      .fill(c.primary)
      .restore();
    line(doc, zh, this.x + 12, this.y, { bold: true, size: 13, color: c.text });
    style(doc, { bold: true, size: 13, color: c.text });
    const w = doc.widthOfString(zh);
    line(doc, en, this.x + 20 + w, this.y + 4, { size: 8.5, color: c.muted });
    this.y += 26;
  }

  private note(text: string): void {
    this.y += block(this.doc, text, this.x, this.y, this.width, { size: 8, color: this.c.muted }, 3) + 4;
  }

  // ---- header and key figures ----

  private header(): void {
    const { doc, t, d, c } = this;
    doc.save().rect(this.x, this.y, this.width, 3).fill(c.primary).restore();
    this.y += 14;
    this.y += line(doc, d.bureauName, this.x, this.y, { bold: true, size: 11, color: c.primary });
    this.y += line(doc, `${d.regionName}${d.year}年`, this.x, this.y, { bold: true, size: 22, color: c.text }, { characterSpacing: 1 });
    this.y += line(doc, t.title.zh, this.x, this.y, { bold: true, size: 22, color: c.text }, { characterSpacing: 2 }) - 2;
    this.y += line(doc, `${t.title.en} ${d.year} · ${d.regionCode}`, this.x, this.y, { size: 10, color: c.muted });
    const scope = d.regionCode === d.provinceCode ? '含下辖各市' : '本市';
    line(
      doc,
      `统计口径：${d.year} 年度预算及其发放的创新券（${scope}）  ·  生成时间：${formatDateTime(d.generatedAt)}（北京时间）`,
      this.x,
      this.y + 4,
      { size: 8, color: c.muted },
    );
    this.y += 26;
  }

  private keyFigures(): void {
    const { doc, d, c } = this;
    const tiles: [string, string, string][] = [
      ['年度预算', formatYuan(d.budget.budgetFen), `已承诺 ${percent(d.budget.committedFen, d.budget.budgetFen)}`],
      ['发放创新券', `${d.vouchers.issued} 张`, `面值 ${formatYuan(d.vouchers.faceValueFen)}`],
      ['已使用创新券', `${d.vouchers.used} 张`, `补贴 ${formatYuan(d.vouchers.spentFen)}`],
      ['已支付补贴', formatYuan(d.budget.paidFen), `${d.captureToPayment.count} 笔`],
    ];
    const gap = 8;
    const w = (this.width - gap * (tiles.length - 1)) / tiles.length;
    const h = 62;
    for (const [i, [label, value, sub]] of tiles.entries()) {
      const bx = this.x + i * (w + gap);
      doc.save().lineWidth(0.6).fillColor(c.panel).strokeColor(c.rule).rect(bx, this.y, w, h).fillAndStroke().restore();
      line(doc, label, bx + 10, this.y + 8, { size: 8.5, color: c.muted });
      block(doc, value, bx + 10, this.y + 22, w - 16, { bold: true, size: 14, color: c.primary }, 1);
      block(doc, sub, bx + 10, this.y + 44, w - 16, { size: 7.5, color: c.muted }, 1);
    }
    this.y += h + SECTION_GAP;
  }

  // ---- 一、budget ----

  private budget(): void {
    const { doc, d, c } = this;
    const b = d.budget;
    this.heading('一、预算及其构成', 'Budget and its split', 200);
    const parts: [string, string, number][] = [
      ['已支付', 'paid', b.paidFen],
      ['已核销待支付', 'captured, not yet paid', b.capturedFen],
      ['冻结中', 'held', b.heldFen],
      ['券面未用余额', 'voucher balances', b.voucherAvailableFen],
      ['预算可用余额', 'budget available', b.availableFen],
    ];
    // Two stacked bars: the whole budget, split in the order money moves through it, and the committed part alone
    // (at a budget's scale the first years' spending is a sliver; the second bar shows its shape).
    this.stackedBar('全部预算', parts, b.budgetFen);
    this.stackedBar('其中已承诺', parts.slice(0, 4), b.committedFen);
    this.y += 4;

    const cols = [this.width * 0.4, this.width * 0.26, this.width * 0.17, this.width * 0.17];
    const align: ('left' | 'right')[] = ['left', 'right', 'right', 'right'];
    this.tableRow(['项目', '金额（元）', '占预算', '占已承诺'], cols, { bold: true, size: 8.5, color: c.text }, align, c.panel);
    for (const [i, [zh, en, fen]] of parts.entries()) {
      doc
        .save()
        .rect(this.x + 4, this.y + 4, 9, 9)
        .fill(c.split[i])
        .restore();
      const ofCommitted = i < 4 ? percent(fen, b.committedFen) : '';
      this.tableRow([`      ${zh}  ${en}`, yuan(fen), percent(fen, b.budgetFen), ofCommitted], cols, { size: 8.5, color: c.text }, align);
    }
    this.tableRow(
      ['年度预算总额（= 可用 + 已承诺）', yuan(b.budgetFen), percent(b.budgetFen, b.budgetFen), ''],
      cols,
      { bold: true, size: 8.5, color: c.text },
      align,
      c.panel,
    );
    this.y += 4;
    this.note(
      `已承诺 ${formatYuan(b.committedFen)} = 券面未用余额 + 冻结中 + 已核销待支付 + 已支付；与平台统计数据及账本一致（按分计，取整）。`,
    );
    this.y += SECTION_GAP - 4;
  }

  /** A labelled bar of `whole`, split into the parts' colours (by their index in the budget split). */
  private stackedBar(label: string, parts: [string, string, number][], whole: number): void {
    const { doc, c } = this;
    const labelW = 62;
    const barH = 16;
    const w = this.width - labelW;
    line(doc, label, this.x, this.y + 3, { size: 8, color: c.muted });
    doc
      .save()
      .lineWidth(0.6)
      .strokeColor(c.rule)
      .rect(this.x + labelW, this.y, w, barH)
      .stroke()
      .restore();
    let bx = this.x + labelW;
    for (const [i, [, , fen]] of parts.entries()) {
      if (whole <= 0 || fen <= 0) continue;
      const pw = (fen / whole) * w;
      doc.save().rect(bx, this.y, pw, barH).fill(c.split[i]).restore();
      bx += pw;
    }
    this.y += barH + 6;
  }

  /** One table row of cells with the given widths; returns nothing, moves the cursor. */
  private tableRow(values: string[], widths: number[], s: Style, align: ('left' | 'right' | 'center')[], fillColor?: string): void {
    const { doc, c } = this;
    const h = 17;
    if (fillColor) doc.save().rect(this.x, this.y, this.width, h).fill(fillColor).restore();
    let cx = this.x;
    for (const [i, v] of values.entries()) {
      block(doc, v, cx + 4, this.y + 4, widths[i] - 8, s, 1, { align: align[i] });
      cx += widths[i];
    }
    doc
      .save()
      .lineWidth(0.3)
      .strokeColor(c.rule)
      .moveTo(this.x, this.y + h)
      .lineTo(this.x + this.width, this.y + h)
      .stroke()
      .restore();
    this.y += h;
  }

  // ---- 二、vouchers ----

  private vouchers(): void {
    const { d, c } = this;
    const v = d.vouchers;
    this.heading('二、创新券发放与使用', 'Vouchers issued and used', 120);
    const cols = [this.width * 0.46, this.width * 0.18, this.width * 0.36];
    const left: ('left' | 'right')[] = ['left', 'right', 'right'];
    this.tableRow(['项目', '张数', '金额（元）'], cols, { bold: true, size: 8.5, color: c.text }, left, c.panel);
    const rows: [string, string, string][] = [
      ['发放创新券（面值）', String(v.issued), yuan(v.faceValueFen)],
      [`已使用创新券（占发放 ${percent(v.used, v.issued)}）· 补贴已使用`, String(v.used), yuan(v.spentFen)],
      ['退回预算（过期、撤销、审核核减）', '—', yuan(v.releasedFen)],
      ['状态：有效', String(v.byStatus.active), ''],
      ['状态：已用完', String(v.byStatus.exhausted), ''],
      ['状态：已过期', String(v.byStatus.expired), ''],
      ['状态：已撤销', String(v.byStatus.revoked), ''],
    ];
    for (const r of rows) this.tableRow(r, cols, { size: 8.5, color: c.text }, left);
    this.y += SECTION_GAP;
  }

  // ---- 三、flows ----

  private flows(): void {
    const { d } = this;
    const chartH = 190;
    this.heading('三、跨省流向', 'Cross-province flows of captured subsidies', chartH);
    const charts: [string, ProvinceFlowFigure[]][] = [[`${d.regionName}创新券在各省的使用（流出）`, d.flowsOut]];
    if (d.flowsIn) charts.push([`各省创新券在${d.regionName}机构的使用（流入）`, d.flowsIn]);
    const gap = 20;
    const w = (this.width - gap * (charts.length - 1)) / charts.length;
    for (const [i, [title, flows]] of charts.entries()) this.barChart(this.x + i * (w + gap), this.y, w, chartH, title, flows);
    this.y += chartH + 8;
    const out = d.flowsOut.reduce((s, f) => s + f.capturedFen, 0);
    const cross = d.flowsOut.filter((f) => f.crossProvince).reduce((s, f) => s + f.capturedFen, 0);
    this.note(
      `核销补贴合计 ${formatYuan(out)}，其中跨省 ${formatYuan(cross)}（${percent(cross, out)}）。灰色为本省，红色为跨省；柱上为金额（元）与笔数。按核销时的补贴额统计，与平台资金流向统计口径一致。`,
    );
    this.y += SECTION_GAP - 4;
  }

  /** A vertical bar chart of captured fen per province: y axis with ticks and grid lines, a labelled bar per province. */
  private barChart(x: number, y: number, w: number, h: number, title: string, flows: ProvinceFlowFigure[]): void {
    const { doc, c } = this;
    line(doc, title, x, y, { bold: true, size: 9, color: c.text });
    line(doc, '金额（元）', x, y + 16, { size: 7, color: c.muted });
    const axisW = 52;
    const top = y + 30;
    const base = y + h - 22;
    const plotX = x + axisW;
    const plotW = w - axisW;
    const max = Math.max(0, ...flows.map((f) => f.capturedFen));
    const tk = ticks(max + Math.ceil(max / 6)); // headroom for the labels above the tallest bar
    const scale = (base - top) / tk[tk.length - 1];
    for (const v of tk) {
      const ty = base - v * scale;
      doc
        .save()
        .lineWidth(0.4)
        .strokeColor(c.grid)
        .moveTo(plotX, ty)
        .lineTo(plotX + plotW, ty)
        .stroke()
        .restore();
      line(doc, yuanTick(v), x, ty - 4, { size: 6.5, color: c.muted }, { width: axisW - 6, align: 'right' });
    }
    doc.save().lineWidth(0.8).strokeColor(c.text);
    doc
      .moveTo(plotX, top - 4)
      .lineTo(plotX, base)
      .lineTo(plotX + plotW, base)
      .stroke();
    doc.restore();
    if (max === 0) {
      line(doc, '本年度暂无数据', plotX, (top + base) / 2 - 5, { size: 9, color: c.muted }, { width: plotW, align: 'center' });
    }
    const slot = plotW / flows.length;
    const barW = Math.min(40, slot * 0.55);
    for (const [i, f] of flows.entries()) {
      const cx = plotX + slot * i + slot / 2;
      const bh = f.capturedFen * scale;
      if (bh > 0)
        doc
          .save()
          .rect(cx - barW / 2, base - bh, barW, bh)
          .fill(f.crossProvince ? c.cross : c.home)
          .restore();
      line(doc, f.provinceName, cx - slot / 2, base + 5, { size: 8, color: c.text }, { width: slot, align: 'center' });
      line(doc, yuan(f.capturedFen), cx - slot / 2, base - bh - 20, { size: 6.5, color: c.text }, { width: slot, align: 'center' });
      line(doc, `${f.count} 笔`, cx - slot / 2, base - bh - 11, { size: 6.5, color: c.muted }, { width: slot, align: 'center' });
    }
  }

  // ---- 四、facilities ----

  private facilities(): void {
    const { doc, d, c } = this;
    const rowH = 26;
    this.heading('四、使用最多的十台设施', 'The ten most used facilities', 17 + rowH * Math.min(3, Math.max(1, d.topFacilities.length)));
    if (d.topFacilities.length === 0) {
      this.note('本年度暂无核销记录。');
      this.y += SECTION_GAP - 4;
      return;
    }
    const cols = [this.width * 0.07, this.width * 0.43, this.width * 0.26, this.width * 0.24];
    const align: ('left' | 'right' | 'center')[] = ['center', 'left', 'left', 'right'];
    this.tableRow(
      ['排名', '设施 · 服务机构', '使用次数', '核销补贴（元）'],
      cols,
      { bold: true, size: 8.5, color: c.text },
      align,
      c.panel,
    );
    const maxUses = Math.max(...d.topFacilities.map((f) => f.uses));
    for (const f of d.topFacilities) {
      this.ensureSpace(rowH);
      let cx = this.x;
      block(doc, String(f.rank), cx + 4, this.y + 8, cols[0] - 8, { bold: true, size: 9, color: c.primary }, 1, { align: 'center' });
      cx += cols[0];
      block(doc, f.facilityName, cx + 4, this.y + 3, cols[1] - 8, { size: 8.5, color: c.text }, 1);
      block(doc, `${f.providerName} · ${f.provinceName}`, cx + 4, this.y + 14, cols[1] - 8, { size: 7, color: c.muted }, 1);
      cx += cols[1];
      // The count as a bar, scaled to the most used facility.
      const barMax = cols[2] - 60;
      const bw = Math.max(2, (f.uses / maxUses) * barMax);
      doc
        .save()
        .rect(cx + 4, this.y + 8, bw, 10)
        .fill(c.accent)
        .restore();
      line(doc, `${f.uses} 次 · ${f.quantity} ${UNIT[f.unit] ?? f.unit}`, cx + 8 + bw, this.y + 8, { size: 7.5, color: c.text });
      cx += cols[2];
      block(doc, yuan(f.subsidyFen), cx + 4, this.y + 8, cols[3] - 8, { size: 8.5, color: c.text }, 1, { align: 'right' });
      doc
        .save()
        .lineWidth(0.3)
        .strokeColor(c.rule)
        .moveTo(this.x, this.y + rowH)
        .lineTo(this.x + this.width, this.y + rowH)
        .stroke()
        .restore();
      this.y += rowH;
    }
    this.y += SECTION_GAP;
  }

  // ---- 五、capture to payment ----

  private payment(): void {
    const { doc, d, c } = this;
    const p = d.captureToPayment;
    this.heading('五、从核销到支付', 'Time from capture to payment', 130);
    const facts: [string, string][] = [
      ['已支付笔数', `${p.count} 笔`],
      ['中位数', hours(p.medianHours)],
      ['90 分位', hours(p.p90Hours)],
    ];
    const w = this.width / facts.length;
    for (const [i, [label, value]] of facts.entries()) {
      line(doc, label, this.x + i * w, this.y, { size: 8, color: c.muted });
      block(doc, value, this.x + i * w, this.y + 12, w - 10, { bold: true, size: 11, color: c.text }, 1);
    }
    this.y += 36;
    // Horizontal bars: how many payments fell in each span.
    const labelW = 70;
    const barMax = this.width - labelW - 60;
    const max = Math.max(1, ...p.buckets.map((b) => b.count));
    for (const b of p.buckets) {
      line(doc, b.label, this.x, this.y + 2, { size: 8.5, color: c.text });
      const bw = (b.count / max) * barMax;
      if (b.count > 0)
        doc
          .save()
          .rect(this.x + labelW, this.y, bw, 13)
          .fill(c.split[0])
          .restore();
      line(doc, `${b.count} 笔`, this.x + labelW + bw + 6, this.y + 2, { size: 8, color: c.muted });
      this.y += 18;
    }
    doc
      .save()
      .lineWidth(0.8)
      .strokeColor(c.text)
      .moveTo(this.x + labelW, this.y - 18 * p.buckets.length - 3)
      .lineTo(this.x + labelW, this.y)
      .stroke()
      .restore();
    this.y += 4;
    this.note('自服务机构核销之时起，至结算批次由第二复核人支付之时止，与平台统计数据口径一致。');
    this.y += SECTION_GAP - 4;
  }

  // ---- 六、claims, disputes and sanctions ----

  private integrity(): void {
    const { d, c } = this;
    const cl = d.claims;
    const ds = d.disputes;
    this.heading('六、审核、异议与失信惩戒', 'Claims refused, disputes and sanctions', 120);
    const cols = [this.width * 0.46, this.width * 0.18, this.width * 0.36];
    const align: ('left' | 'right')[] = ['left', 'right', 'right'];
    this.tableRow(['项目', '件数', '金额（元）'], cols, { bold: true, size: 8.5, color: c.text }, align, c.panel);
    const rows: [string, string, string][] = [
      ['兑付申报', String(cl.submitted), yuan(cl.claimedFen)],
      ['其中核定（核定额）', String(cl.approved), yuan(cl.approvedFen)],
      ['核定时核减（申报额与核定额之差）', String(cl.cut), yuan(cl.cutFen)],
      ['其中驳回（申报额）', String(cl.rejected), yuan(cl.rejectedFen)],
      ['其中待审（申报额）', String(cl.pending), yuan(cl.pendingFen)],
      ['用券企业对服务提出异议', String(ds.raised), ''],
      ['异议裁定：保留核销（按裁定用量）', String(ds.resolved), ''],
      ['异议裁定：撤销核销', String(ds.annulled), ''],
      ['异议待处理', String(ds.open), ''],
    ];
    for (const r of rows) {
      this.ensureSpace(17);
      this.tableRow(r, cols, { size: 8.5, color: c.text }, align);
    }
    // Claims count by the day they were submitted, vouchers by budget year: a claim submitted in January on last
    // year's vouchers is here, and its cut returned to last year's budget (section 二). Say so, lest the two be compared.
    this.note('兑付申报按提交日期（北京时间）计入年度，创新券按预算年度计入：次年初提交的上年度创新券申报列入次年，其核减退回上年度预算。');
    this.y += 12;

    const s = d.sanctions;
    this.ensureSpace(60);
    line(
      this.doc,
      `失信惩戒：本年度记录 ${s.recorded} 条，执行中 ${s.inForce} 条，已解除 ${s.lifted} 条，已到期 ${s.ended} 条`,
      this.x,
      this.y,
      {
        bold: true,
        size: 9.5,
        color: c.text,
      },
    );
    this.y += 18;
    if (s.items.length === 0) {
      this.note('本年度无涉及本地区的失信惩戒记录。');
      return;
    }
    const sc = [this.width * 0.27, this.width * 0.35, this.width * 0.14, this.width * 0.12, this.width * 0.12];
    const sa: ('left' | 'right' | 'center')[] = ['left', 'left', 'left', 'center', 'center'];
    this.tableRow(['统一社会信用代码', '事由', '记录地区', '记录日期', '状态'], sc, { bold: true, size: 8, color: c.text }, sa, c.panel);
    for (const item of s.items) {
      this.ensureSpace(17);
      this.tableRow(
        [item.creditCode, item.reason, item.recordedRegionName, formatDay(item.createdAt), SANCTION_STATUS[item.status]],
        sc,
        { size: 8, color: c.text },
        sa,
      );
    }
  }

  private footers(): void {
    const { doc, t, d, c } = this;
    writeFooters(doc, { x: this.x, width: this.width, margin: t.page.margin }, c, `${d.bureauName} · ${reportTitle(d, t)}`, t.footer);
  }
}
