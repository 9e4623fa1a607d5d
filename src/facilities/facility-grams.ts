/**
 * The index behind the Chinese substring search: every pair of adjacent Han characters in a facility's name and
 * description, as one integer (first code point × 2^21 + second). A facility whose name or description contains q
 * contains each of q's pairs, so the facilities holding all of them are a superset of the matches, which the LIKE
 * then confirms; for a q of two characters (one pair, never spanning the name and the description) they are the
 * matches. An integer, not a CHAR(2): no collation can fold two different grams into one key (MariaDB's
 * utf8mb4_unicode_ci gives every character above U+FFFF the same weight).
 *
 * Only Han: the databases fold Latin letters in LIKE (case on both, accents too on MariaDB) in ways a table of exact
 * pairs cannot reproduce on both, while a Han character matches only itself. A q with any other character, or of one
 * character (no pair), is searched by the scan as before.
 */
const HAN = /^\p{Script=Han}$/u;

const CODE_POINT_SPACE = 2 ** 21; // above U+10FFFF

export function gramsOf(...texts: (string | null | undefined)[]): number[] {
  const grams = new Set<number>();
  for (const text of texts) {
    const chars = [...(text ?? '')];
    for (let i = 0; i + 1 < chars.length; i++) {
      if (HAN.test(chars[i]) && HAN.test(chars[i + 1]))
        grams.add(chars[i].codePointAt(0)! * CODE_POINT_SPACE + chars[i + 1].codePointAt(0)!);
    }
  }
  return [...grams];
}

/** The grams a search for q needs, or undefined when q is not all Han of two characters or more (the scan's case). */
export function searchGrams(q: string): number[] | undefined {
  const chars = [...q];
  return chars.length >= 2 && chars.every((c) => HAN.test(c)) ? gramsOf(q) : undefined;
}
