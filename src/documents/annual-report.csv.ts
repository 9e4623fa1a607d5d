import { stringify } from 'csv-stringify/sync';
import type { AnnualReportData } from './annual-report.data';
import { fenToYuanDecimal } from './chinese-amount';
import { csvText } from './statement.csv';

type Row = { section: string; key: string; label: string; count?: number; amountFen?: number; value?: string | number };

/**
 * The report's figures, one per row, in the PDF's order: `section` and `key` are stable names for machines, `label` the
 * PDF's Chinese wording; money in integer fen (and yuan beside it), counts in `count`, other figures (hours) in
 * `value`. UTF-8 with BOM and CRLF, as the treasury CSV.
 */
export function annualReportCsv(d: AnnualReportData): string {
  const b = d.budget;
  const v = d.vouchers;
  const rows: Row[] = [
    { section: 'report', key: 'regionCode', label: '地区', value: `${d.regionCode} ${d.regionName}` },
    { section: 'report', key: 'year', label: '年度', value: d.year },
    { section: 'report', key: 'generatedAt', label: '生成时间', value: d.generatedAt },
    { section: 'budget', key: 'budgetFen', label: '年度预算总额', amountFen: b.budgetFen },
    { section: 'budget', key: 'availableFen', label: '预算可用余额', amountFen: b.availableFen },
    { section: 'budget', key: 'committedFen', label: '已承诺（发券）', amountFen: b.committedFen },
    { section: 'budget', key: 'voucherAvailableFen', label: '券面未用余额', amountFen: b.voucherAvailableFen },
    { section: 'budget', key: 'heldFen', label: '冻结中', amountFen: b.heldFen },
    { section: 'budget', key: 'capturedFen', label: '已核销待支付', amountFen: b.capturedFen },
    { section: 'budget', key: 'paidFen', label: '已支付', amountFen: b.paidFen },
    { section: 'vouchers', key: 'issued', label: '发放创新券', count: v.issued, amountFen: v.faceValueFen },
    { section: 'vouchers', key: 'used', label: '已使用创新券', count: v.used, amountFen: v.spentFen },
    { section: 'vouchers', key: 'releasedFen', label: '退回预算', amountFen: v.releasedFen },
    { section: 'vouchers', key: 'active', label: '有效', count: v.byStatus.active },
    { section: 'vouchers', key: 'exhausted', label: '已用完', count: v.byStatus.exhausted },
    { section: 'vouchers', key: 'expired', label: '已过期', count: v.byStatus.expired },
    { section: 'vouchers', key: 'revoked', label: '已撤销', count: v.byStatus.revoked },
    ...d.flowsOut.map((f) => ({
      section: 'flows_out',
      key: f.provinceCode,
      label: `${d.regionName}→${f.provinceName}`,
      count: f.count,
      amountFen: f.capturedFen,
    })),
    ...(d.flowsIn ?? []).map((f) => ({
      section: 'flows_in',
      key: f.provinceCode,
      label: `${f.provinceName}→${d.regionName}`,
      count: f.count,
      amountFen: f.capturedFen,
    })),
    ...d.topFacilities.map((f) => ({
      section: 'top_facilities',
      key: String(f.rank),
      label: `${f.facilityName}（${f.providerName}，${f.provinceName}）`,
      count: f.uses,
      amountFen: f.subsidyFen,
      value: f.quantity,
    })),
    { section: 'capture_to_payment', key: 'count', label: '已支付笔数', count: d.captureToPayment.count },
    { section: 'capture_to_payment', key: 'medianHours', label: '中位数（小时）', value: d.captureToPayment.medianHours ?? '' },
    { section: 'capture_to_payment', key: 'p90Hours', label: '90分位（小时）', value: d.captureToPayment.p90Hours ?? '' },
    ...d.captureToPayment.buckets.map((x, i) => ({ section: 'capture_to_payment', key: `bucket${i + 1}`, label: x.label, count: x.count })),
    { section: 'claims', key: 'submitted', label: '兑付申报', count: d.claims.submitted, amountFen: d.claims.claimedFen },
    { section: 'claims', key: 'approved', label: '核定', count: d.claims.approved, amountFen: d.claims.approvedFen },
    { section: 'claims', key: 'rejected', label: '驳回', count: d.claims.rejected, amountFen: d.claims.rejectedFen },
    { section: 'claims', key: 'cut', label: '核定时核减', count: d.claims.cut, amountFen: d.claims.cutFen },
    { section: 'claims', key: 'pending', label: '待审', count: d.claims.pending, amountFen: d.claims.pendingFen },
    { section: 'disputes', key: 'raised', label: '提出异议', count: d.disputes.raised },
    { section: 'disputes', key: 'open', label: '待处理', count: d.disputes.open },
    { section: 'disputes', key: 'resolved', label: '已裁定（保留核销）', count: d.disputes.resolved },
    { section: 'disputes', key: 'annulled', label: '已裁定（撤销核销）', count: d.disputes.annulled },
    { section: 'sanctions', key: 'recorded', label: '失信惩戒记录', count: d.sanctions.recorded },
    { section: 'sanctions', key: 'inForce', label: '仍在执行', count: d.sanctions.inForce },
    { section: 'sanctions', key: 'lifted', label: '已解除', count: d.sanctions.lifted },
    { section: 'sanctions', key: 'ended', label: '已到期', count: d.sanctions.ended },
  ];
  const records = rows.map((r) => ({
    section: r.section,
    key: r.key,
    label: csvText(r.label),
    count: r.count ?? '',
    amountFen: r.amountFen ?? '',
    amountYuan: r.amountFen === undefined ? '' : fenToYuanDecimal(r.amountFen),
    value: typeof r.value === 'string' ? csvText(r.value) : (r.value ?? ''),
  }));
  return stringify(records, {
    bom: true,
    header: true,
    columns: ['section', 'key', 'label', 'count', 'amountFen', 'amountYuan', 'value'],
    record_delimiter: 'windows',
  });
}
