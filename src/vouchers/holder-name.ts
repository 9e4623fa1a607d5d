/** The mask shown in place of each hidden character. */
export const MASK = '*';
/** At most this many leading characters are shown… */
export const SHOWN_LEADING = 4;
/** …and at most this many trailing ones (a company name ends in its legal form: 公司, 中心, Ltd.). */
export const SHOWN_TRAILING = 2;

const graphemes = new Intl.Segmenter('zh-CN', { granularity: 'grapheme' });

/**
 * A voucher holder's name as the public verification page shows it: enough to match the certificate in hand, too
 * little to learn who holds a voucher from its code alone. 合肥微纳新材料科技有限公司 → 合肥微纳*******公司.
 *
 * Rule: the result has as many characters as the name (user-perceived characters, so an accent or an emoji is never
 * cut in half), each hidden one replaced by `*`, spaces included, so a Latin name's words do not show through. At most
 * half of the characters are shown, rounded down, and never more than 4 leading and 2 trailing: a short name keeps
 * most of itself hidden (张三 → 张*), a one-character name shows nothing.
 */
export function maskHolderName(name: string): string {
  const chars = Array.from(graphemes.segment(name.trim()), (s) => s.segment);
  const shown = Math.min(SHOWN_LEADING + SHOWN_TRAILING, Math.floor(chars.length / 2));
  const trailing = Math.min(SHOWN_TRAILING, Math.floor(shown / 2));
  const leading = shown - trailing;
  return chars.map((c, i) => (i < leading || i >= chars.length - trailing ? c : MASK)).join('');
}
