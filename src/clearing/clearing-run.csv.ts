import { stringify } from 'csv-stringify/sync';
import { beijingDate } from '../common/clock';
import { fenToYuanDecimal } from '../documents/chinese-amount';
import { csvText } from '../documents/statement.csv';
import type { ClearedLine } from '../settlement/settlement.repository';
import type { ClearingRunEntry } from './clearing-run.entity';

const COLUMNS = ['runId', 'from', 'to', 'kind', 'fromProvinceCode', 'toProvinceCode', 'provinceCode', 'amountFen', 'amountYuan'];

/**
 * A run's figures for the treasuries: one row per gross flow, net position and transfer, UTF-8 with BOM (Excel) and
 * CRLF, amounts in fen and in yuan. Made from the stored entries alone, so the same run always gives the same bytes.
 */
export function clearingRunCsv(run: { id: string; fromDate: string; toDate: string }, entries: ClearingRunEntry[]): string {
  const records = entries.map((e) => ({
    runId: run.id,
    from: run.fromDate,
    to: run.toDate,
    kind: e.kind,
    fromProvinceCode: e.fromProvinceCode ?? '',
    toProvinceCode: e.toProvinceCode ?? '',
    provinceCode: e.provinceCode ?? '',
    amountFen: e.amountFen,
    amountYuan: fenToYuanDecimal(e.amountFen),
  }));
  return stringify(records, { bom: true, header: true, columns: COLUMNS, record_delimiter: 'windows' });
}

const LINE_COLUMNS = [
  'runId',
  'runNo',
  'settlementId',
  'batchNo',
  'regionCode',
  'issuingProvinceCode',
  'payeeProvinceCode',
  'payeeId',
  'payeeName',
  'amountFen',
  'amountYuan',
  'paidAt',
  'paidOn',
  'paymentRef',
];

/**
 * The settlement lines a run took in, one row each, in the order they were paid: for each province pair they add up to
 * the run's gross flow, to the fen, and each names its batch, so the clearing officer can hold a run against the
 * batches behind it. `paidOn` is the Beijing day of the payment: a day before the run's `from` marks a line paid after
 * an earlier run of its period was recorded, taken in here so that none is left behind. Same encoding as the entries.
 */
export function clearingRunLinesCsv(run: { id: string; runNo: string }, lines: ClearedLine[]): string {
  const records = lines.map((l) => ({
    runId: run.id,
    runNo: run.runNo,
    settlementId: l.settlementId,
    batchNo: l.batchNo ?? '',
    regionCode: l.regionCode,
    issuingProvinceCode: l.issuingProvinceCode,
    payeeProvinceCode: l.payeeProvinceCode,
    payeeId: l.payeeId,
    payeeName: csvText(l.payeeName),
    amountFen: l.amountFen,
    amountYuan: fenToYuanDecimal(l.amountFen),
    paidAt: l.paidAt,
    paidOn: beijingDate(l.paidAt),
    paymentRef: csvText(l.paymentRef ?? ''),
  }));
  return stringify(records, { bom: true, header: true, columns: LINE_COLUMNS, record_delimiter: 'windows' });
}
