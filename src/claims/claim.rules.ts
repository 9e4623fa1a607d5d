/**
 * Spreads an approved amount over a claim's redemptions in order: each gets what it captured until
 * the approval runs out. What a redemption does not get goes back to the budget.
 */
export function allocateApproval(approvedFen: number, capturedFen: number[]): number[] {
  let remaining = approvedFen;
  return capturedFen.map((captured) => {
    const share = Math.min(captured, remaining);
    remaining -= share;
    return share;
  });
}

/** What no invoice number is told apart by: anything but letters and digits, and what Unicode says to ignore. */
const NOT_INVOICE_TEXT = /[^\p{L}\p{N}]|\p{Default_Ignorable_Code_Point}/u;
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
 * The form of an invoice number under which no claimant may claim it twice: compatibility forms folded and accents
 * taken apart (NFKD), every separator, mark and invisible character dropped, upper-cased, any script's digits and the
 * letters O, I and L read as the digits they look like: "3100-2613 702", "３１００２６１３７０２", "3100\u200b2613702" and
 * "31OO2613702" are one invoice. A key with any letter outside A–Z is not an invoice number (IsInvoiceNo refuses it).
 */
export const invoiceKey = (invoiceNo: string): string =>
  [...invoiceNo.normalize('NFKD')]
    .filter((ch) => !NOT_INVOICE_TEXT.test(ch))
    .map((ch) => asciiDigit(ch) ?? ch.toUpperCase())
    .map((ch) => LOOKS_LIKE_DIGIT[ch] ?? ch)
    .slice(0, 64) // code points: a key never ends in half a character
    .join('');

/** Whether an invoice number's key is made of A–Z and 0–9 only, and has any. */
export const isInvoiceKey = (key: string): boolean => /^[0-9A-Z]{1,64}$/.test(key);
