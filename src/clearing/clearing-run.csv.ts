import { stringify } from 'csv-stringify/sync';
import { fenToYuanDecimal } from '../documents/chinese-amount';
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
