import { parse } from 'csv-parse/sync';
import { catalogued, invalidInput } from '../errors/domain-error';

/**
 * Rows of a CSV upload as records keyed by its header line (UTF-8, with or without a BOM, Excel-style quoting) —
 * csv-parse, not hand-written splitting. A file that does not parse is a 400 naming the line.
 */
export function csvRecords(text: string, required: string[]): Record<string, string>[] {
  let records: Record<string, string>[];
  let header: string[] | null = null; // the first line, even in a file with no rows under it
  try {
    records = parse(text, {
      bom: true,
      columns: (first: string[]) => (header = first.map((h) => h.trim())),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    });
  } catch (e) {
    throw invalidInput(`body: not a CSV file (${(e as Error).message})`);
  }
  if (header === null) throw catalogued('VALIDATION_FAILED', 'imports.emptyCsv', { columns: required.join(',') });
  const missing = required.filter((c) => !header!.includes(c)).join(', ');
  if (missing) throw catalogued('VALIDATION_FAILED', 'imports.missingColumns', { columns: required.join(', '), missing });
  return records;
}
