/**
 * The index behind the substring search: every pair of adjacent indexed characters in a facility's name and
 * description, as one integer (first code point × 2^21 + second). A facility whose name or description contains q
 * contains each of q's pairs, so the facilities holding all of them are a superset of the matches, which the LIKE
 * then confirms; for a q of two Han characters (one pair, never spanning the name and the description) they are the
 * matches. An integer, not a CHAR(2): no collation can fold two different grams into one key.
 *
 * Indexed are Han characters, Latin letters and digits, each folded the way MariaDB's LIKE compares it
 * (utf8mb4_unicode_ci, read off the database into collation-folds.ts): `Ｃ`, `c` and `ç` are all `c`, `〇` and `⓪` are
 * `0`, the radical `⼀` is `一`. A text the LIKE matches thus holds every pair of q, on MariaDB and on SQLite (whose LIKE
 * folds only ASCII case). Above U+FFFF the collation gives every character the same weight; the index keeps those
 * apart, so there a two-character search finds the characters themselves. Any other character breaks a run. A q
 * without a pair (one character, or no two indexed characters side by side) is searched by the scan.
 */
import { COLLATION_CLASSES } from './collation-folds';

const HAN = /^\p{Script=Han}$/u;
export const LATIN_OR_DIGIT = /^[a-z0-9]$/;
/** A character the index holds as it is: a small Latin letter, a digit or a Han character. */
export const indexable = (char: string) => LATIN_OR_DIGIT.test(char) || HAN.test(char);
const FOLDS = new Map(COLLATION_CLASSES.flatMap((group) => [...group].slice(1).map((c) => [c, group[0]] as const)));

const CODE_POINT_SPACE = 2 ** 21; // above U+10FFFF

/** One character as the index holds it, or '' for a character that breaks a run. */
function folded(char: string): string {
  const fold = FOLDS.get(char) ?? char;
  return indexable(fold) ? fold : '';
}

export function gramsOf(...texts: (string | null | undefined)[]): number[] {
  const grams = new Set<number>();
  for (const text of texts) {
    let previous = '';
    for (const char of text ?? '') {
      const fold = folded(char);
      if (previous !== '' && fold !== '') grams.add(previous.codePointAt(0)! * CODE_POINT_SPACE + fold.codePointAt(0)!);
      previous = fold;
    }
  }
  return [...grams];
}

/** The grams a search for q needs, or undefined when q holds no pair (the scan's case). */
export function searchGrams(q: string): number[] | undefined {
  const grams = gramsOf(q);
  return grams.length > 0 ? grams : undefined;
}

/** Whether the facilities holding q's one gram are exactly those containing q: two Han characters, nothing to confirm. */
export const exactGram = (q: string): boolean => {
  const chars = [...q].map(folded);
  return chars.length === 2 && chars.every((c) => HAN.test(c));
};
