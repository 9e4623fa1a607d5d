import { parse } from 'csv-parse/sync';
import { catalogued } from '../errors/domain-error';

/** A row of a CSV upload: its cells by the header's names, and the line of the file it starts on (the header is line 1). */
export interface CsvRecord {
  line: number;
  cells: Record<string, string>;
}

/**
 * Rows of a CSV upload as records keyed by its header line (UTF-8, with or without a BOM, Excel-style quoting) —
 * csv-parse, not hand-written splitting. A file that does not parse, or a row with more cells than the header, is a 400
 * naming the line.
 *
 * Each row is named by the physical line it starts on, as an editor shows it, past blank lines and cells that hold
 * line breaks. csv-parse tells the line a record ends on (`info.lines`) but counts a CRLF inside quotes as two lines,
 * so CRLF is read as LF first (inside a cell too); the start is then the first line after the previous record that is
 * not blank, as csv-parse skips only blank lines between records.
 */
export function csvRecords(text: string, required: string[], optional: string[] = []): CsvRecord[] {
  const unix = text.replace(/\r\n/g, '\n');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's types do not follow `info: true`, which wraps each record with what it knows of it
    parsed = parse(unix, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as typeof parsed;
  } catch (e) {
    // csv-parse's CsvError: a code, the line it stopped at and an English message (for what no rule below names)
    const { code, lines, message } = e as { code?: string; lines?: number; message: string };
    const line = lines ?? 1;
    if (code === 'CSV_QUOTE_NOT_CLOSED') throw catalogued('VALIDATION_FAILED', 'imports.csvQuoteNotClosed', { line });
    if (code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE')
      throw catalogued('VALIDATION_FAILED', 'imports.csvQuote', { line });
    if (code?.endsWith('INVALID_OPENING_QUOTE')) throw catalogued('VALIDATION_FAILED', 'imports.csvQuoteInCell', { line });
    // what remains of csv-parse's codes is about its options, not the file; its words are all there is to say
    throw catalogued('VALIDATION_FAILED', 'imports.notCsv', { line, reason: message });
  }
  if (parsed.length === 0) throw catalogued('VALIDATION_FAILED', 'imports.emptyCsv', { columns: required.join(',') });
  const [first, ...rows] = parsed;
  const header = first.record.map((h) => h.trim()); // the first line, even in a file with no rows under it
  // two columns of one name: which one a row means cannot be told
  const repeated = header.find((name, i) => name !== '' && header.indexOf(name) !== i);
  if (repeated) throw catalogued('VALIDATION_FAILED', 'imports.repeatedColumn', { column: repeated });
  const missing = required.filter((c) => !header.includes(c)).join(', ');
  if (missing) throw catalogued('VALIDATION_FAILED', 'imports.missingColumns', { columns: required.join(', '), missing });
  const lines = unix.split(/[\r\n]/);
  let previousEnd = first.info.lines;
  return rows.map(({ record, info }) => {
    let line = previousEnd + 1;
    while (line < info.lines && lines[line - 1].trim() === '') line++;
    previousEnd = info.lines;
    // A cell past the header is most often a comma left unquoted, which shifts every cell after it: the file is refused
    // rather than read with a truncated description; empty ones past it are a spreadsheet's (a stray cell in another
    // row gives every row one). A cell under a column the header leaves unnamed (a spreadsheet's trailing commas) counts
    // as one past it. A short row leaves its last required columns out for the validator to name; an optional column the
    // header names reads as empty there (a spreadsheet that drops trailing empty cells), not as one the file left out.
    if (record.some((cell, i) => (i >= header.length || header[i] === '') && cell.trim() !== ''))
      throw catalogued('VALIDATION_FAILED', 'imports.extraCells', { line, cells: record.length, columns: header.filter(Boolean).length });
    const cells = Object.fromEntries(
      header.flatMap((name, i) => (name !== '' && i < record.length ? [[name, record[i]]] : optional.includes(name) ? [[name, '']] : [])),
    );
    return { line, cells };
  });
}
