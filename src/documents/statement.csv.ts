import { stringify } from 'csv-stringify/sync';
import { fenToYuanDecimal } from './chinese-amount';
import { assertStatementTotal, StatementData } from './document-data';
import { CsvColumn, statementTemplate } from './templates';

/** A cell starting with = + - @ would run as a formula in Excel: quote it as text. */
export const csvText = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/**
 * The statement's lines for the treasury: UTF-8 with BOM (Excel), CRLF, amounts in fen and in yuan. The columns before
 * the last are a file format others import (docs/adr/0009) and stay as they were; the last names the batch as its PDF
 * does (the readable number, or the id of a batch prepared before numbers), so the two match line by line; after it,
 * 作废 reads 已作废 on every line of a voided batch, which no treasury pays.
 */
export function statementLinesCsv(d: StatementData): string {
  assertStatementTotal(d);
  const t = statementTemplate();
  const records = d.lines.map((l, i): Record<CsvColumn, string | number> => ({
    settlementId: d.settlementId,
    index: i + 1,
    payeeName: csvText(l.payeeName),
    payeeCreditCode: csvText(l.payeeCreditCode),
    payeeProvinceName: csvText(l.payeeProvinceName),
    // The account the treasury pays into, as the statement prints it (masked but for the paying bureau); empty when the
    // payee has not given one. Its digits (8–30, spaces allowed: isBankAccount) follow a tab, which spreadsheets take as
    // text: read as a number, an 18-digit account would lose its last digits.
    payeeBankName: csvText(l.bankName ?? ''),
    payeeBankAccount: l.bankAccount ? `\t${l.bankAccount}` : '',
    // a voided batch's claims went back for a later batch: it counts none of them
    claimCount: d.voided ? '' : l.claimCount,
    amountFen: l.amountFen,
    amountYuan: fenToYuanDecimal(l.amountFen),
    batchNo: d.batchNo ?? d.settlementId,
    // the treasury pays no line of a voided batch: each says so, the file being read line by line
    voided: d.voided ? '已作废' : '',
  }));
  return stringify(records, { bom: true, header: true, columns: t.csv.columns, record_delimiter: 'windows' });
}
