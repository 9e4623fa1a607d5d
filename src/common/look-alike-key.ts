/** What no reference number is told apart by: anything but letters and digits, and what Unicode says to ignore. */
const NOT_REFERENCE_TEXT = /[^\p{L}\p{N}]|\p{Default_Ignorable_Code_Point}/u;
const DECIMAL_DIGIT = /\p{Nd}/u;
/** Letters, upper-cased, that a clerk (or a forger) puts for the digits they look like: O for 0, I and l for 1. */
const LOOKS_LIKE_DIGIT: Record<string, string> = { O: '0', I: '1', L: '1' };

/**
 * A decimal digit of any script as its ASCII digit (Arabic-Indic ٣ → 3). Unicode encodes each script's digits as
 * contiguous runs of 0–9 (a stability guarantee), so the digit's value is its place in its run; no library does this.
 */
function asciiDigit(ch: string): string | undefined {
  if (!DECIMAL_DIGIT.test(ch)) return undefined;
  let start = ch.codePointAt(0)!;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return String((ch.codePointAt(0)! - start) % 10);
}

/**
 * The form of a reference number (an invoice's, a bank payment's) under which two that a reader takes for one are one:
 * compatibility forms folded and accents taken apart (NFKD: full-width ＡＢ１ is AB1), every separator, mark and
 * invisible character dropped, upper-cased, any script's digits and the letters O, I and L read as the digits they look
 * like. At most `maxLength` code points: a key never ends in half a character.
 */
export const lookAlikeKey = (text: string, maxLength: number): string =>
  [...text.normalize('NFKD')]
    .filter((ch) => !NOT_REFERENCE_TEXT.test(ch))
    // upper-casing may make one character two (ß → SS): split them, so the slice below counts code points as the
    // key's VARCHAR does (100 ß were a 200-character key, which MariaDB refused)
    .flatMap((ch) => [...(asciiDigit(ch) ?? ch.toUpperCase())])
    .map((ch) => LOOKS_LIKE_DIGIT[ch] ?? ch)
    .slice(0, maxLength)
    .join('');
