import { parse } from 'csv-parse/sync';
import { invalidInput } from '../errors/domain-error';

/**
 * Rows of a CSV upload as records keyed by its header line (UTF-8, with or without a BOM, Excel-style quoting) —
 * csv-parse, not hand-written splitting. A file that does not parse is a 400 naming the line.
 */
export function csvRecords(text: string, required: string[]): Record<string, string>[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    });
  } catch (e) {
    throw invalidInput(`body: not a CSV file (${(e as Error).message})`);
  }
  const header = records.length > 0 ? Object.keys(records[0]) : [];
  const missing = required.filter((c) => records.length > 0 && !header.includes(c));
  if (missing.length > 0) throw invalidInput(`body: the CSV header must name ${required.join(', ')} (missing ${missing.join(', ')})`);
  return records;
}
