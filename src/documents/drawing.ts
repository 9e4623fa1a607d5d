import { beijingTime } from '../common/clock';
import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import type { Bilingual, PageTemplate, Palette } from './templates';

// What both layouts draw with. Fonts: Noto Sans SC (OFL), read once; pdfkit embeds only the glyphs a document uses.

const REGULAR = 'NotoSansSC';
const BOLD = 'NotoSansSC-Bold';
let fontFiles: { regular: Buffer; bold: Buffer } | undefined;
function fonts(): { regular: Buffer; bold: Buffer } {
  fontFiles ??= {
    regular: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')),
    bold: readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')),
  };
  return fontFiles;
}

export type Doc = PDFKit.PDFDocument;

/**
 * A document in the template's page setup with both fonts registered, drawn by `draw` and collected into one Buffer.
 * A long document's `draw` is async and lets the event loop run between its rows (`breathe`): drawing is synchronous
 * JavaScript, and a node whose loop stops for seconds leaves its other requests' transactions idle, which MariaDB ends
 * after DB_IDLE_TRANSACTION_SEC.
 */
export async function renderPdf(page: PageTemplate, info: PDFKit.DocumentInfo, draw: (doc: Doc) => void | Promise<void>): Promise<Buffer> {
  const doc = new PDFDocument({
    size: page.size,
    layout: page.layout,
    margin: page.margin,
    bufferPages: true,
    lang: 'zh-CN',
    displayTitle: true,
    info: { Creator: 'YRD innovation vouchers', ...info },
  });
  const { regular, bold } = fonts();
  doc.registerFont(REGULAR, regular);
  doc.registerFont(BOLD, bold);
  doc.font(REGULAR);
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  await draw(doc);
  doc.end();
  return done;
}

/** Rows drawn between two turns of the event loop: some tens of milliseconds of drawing. */
export const ROWS_PER_TURN = 100;

/** Lets the event loop run (timers, sockets, other requests' statements) before drawing goes on. */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface Style {
  bold?: boolean;
  size: number;
  color: string;
}
export function style(doc: Doc, s: Style): Doc {
  return doc
    .font(s.bold ? BOLD : REGULAR)
    .fontSize(s.size)
    .fillColor(s.color);
}

/** One line of text that never wraps onto a new page; returns its height. */
export function line(doc: Doc, text: string, x: number, y: number, s: Style, options: PDFKit.Mixins.TextOptions = {}): number {
  style(doc, s).text(text, x, y, { lineBreak: false, ...options });
  return doc.currentLineHeight(true);
}

/** Wrapped text inside a box of the given width, at most maxLines lines (ellipsis past that). */
export function block(
  doc: Doc,
  text: string,
  x: number,
  y: number,
  width: number,
  s: Style,
  maxLines = 2,
  options: PDFKit.Mixins.TextOptions = {},
): number {
  style(doc, s);
  const height = doc.heightOfString(text, { width, ...options });
  const limit = doc.currentLineHeight(true) * maxLines;
  if (height <= limit) {
    doc.text(text, x, y, { width, ...options });
    return height;
  }
  doc.text(text, x, y, { width, height: limit, ellipsis: true, ...options });
  return limit;
}

/** Fills the {name} placeholders of a template string. */
export const fill = (format: string, values: Record<string, string | number>): string =>
  format.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));

/** 2027-07-14 → 2027年7月14日 (a calendar date: no time zone applies), on pages and certificates alike. */
export const formatDate = (date: string): string => {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

/** The Beijing day of an instant (or a plain date) as people read it: 2026年4月1日. */
export const formatDay = (value: string): string => formatDate(beijingTime(value).slice(0, 10));

/** An instant in Beijing time, or a plain date, as people read it: 2026年4月1日 09:00, 2026年4月1日. */
export const formatDateTime = (value: string): string => {
  const [date, time] = beijingTime(value).split(' ');
  return time ? `${formatDate(date)} ${time}` : formatDate(date);
};

/** A settlement period as people read it: 2026-Q4 → 2026年第四季度, 2026-12 → 2026年12月 (anything else as it is). */
export const formatPeriod = (label: string): string => {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(label);
  if (quarter) return `${quarter[1]}年第${'一二三四'[Number(quarter[2]) - 1]}季度`;
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  return month ? `${month[1]}年${Number(month[2])}月` : label;
};

/**
 * Page numbers need the page count, so footers are written last over the buffered pages: a rule, `left` on the left
 * and the page number of the count (both languages, from `footer`) on the right, inside the bottom margin.
 */
export function writeFooters(
  doc: Doc,
  area: { x: number; width: number; margin: number },
  c: Palette,
  left: string,
  footer: Bilingual,
): void {
  const { start, count } = doc.bufferedPageRange();
  for (let p = start; p < start + count; p++) {
    doc.switchToPage(p);
    const margins = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the bottom margin must not start a new page
    const y = doc.page.height - area.margin - 6;
    doc
      .save()
      .lineWidth(0.5)
      .strokeColor(c.rule)
      .moveTo(area.x, y - 4)
      .lineTo(area.x + area.width, y - 4)
      .stroke()
      .restore();
    const values = { page: p - start + 1, pages: count };
    line(doc, left, area.x, y, { size: 7, color: c.muted });
    line(
      doc,
      `${fill(footer.zh, values)} · ${fill(footer.en, values)}`,
      area.x,
      y,
      { size: 7, color: c.muted },
      { width: area.width, align: 'right' },
    );
    doc.page.margins.bottom = margins;
  }
}
