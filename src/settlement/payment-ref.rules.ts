import { lookAlikeKey } from '../common/look-alike-key';

/**
 * The key under which a treasury payment reference pays one batch of an issuing region (unique on settlement
 * (region_code, payment_ref_key)): a bank's reference names one transfer, so a second batch claimed as paid by it is a
 * clerk's copy-paste or one transfer counted twice. Folded as invoice numbers are (lookAlikeKey): " TREASURY-2026-0117",
 * "ＴＲＥＡＳＵＲＹ２０２６０１１７" and "treasury 2026 O117" are one reference. Per region, not global: each region's batches
 * are paid by its own treasury through its own bank, two regions' banks may well both number a transfer 2026-0117, and
 * the refusal names the batch that used it, which a bureau of another region may not read.
 */
export const paymentRefKey = (paymentRef: string): string =>
  [...lookAlikeKey(paymentRef, 100)].map((ch) => LATIN_LOOK_ALIKE[ch] ?? ch).join('');

/**
 * Cyrillic and Greek capitals drawn as Latin ones (after lookAlikeKey's upper-casing and its O/I/L as 0/1): a
 * reference typed with Cyrillic Т, Е, А (a Russian keyboard layout, or a payer re-using a transfer on purpose) reads
 * as the Latin reference it shows, and paid a second batch with it. Invoice numbers need no such fold: their key must
 * be A–Z and digits (isInvoiceKey), where a payment reference may hold Chinese.
 */
const LATIN_LOOK_ALIKE: Record<string, string> = Object.fromEntries(
  [
    ['АΑ', 'A'],
    ['ВΒ', 'B'],
    ['СϹ', 'C'],
    ['ЕΕ', 'E'],
    ['НΗ', 'H'],
    ['ІΙӀ', '1'],
    ['Ј', 'J'],
    ['КΚ', 'K'],
    ['МΜ', 'M'],
    ['Ν', 'N'],
    ['ОΟ', '0'],
    ['РΡ', 'P'],
    ['Ѕ', 'S'],
    ['ТΤ', 'T'],
    ['ХΧ', 'X'],
    ['УΥ', 'Y'],
    ['Ζ', 'Z'],
  ].flatMap(([from, to]) => [...from].map((ch) => [ch, to])),
);

/** Whether a payment reference names anything once folded: "——" or "   " is no bank's reference. */
export const isPaymentRef = (paymentRef: string): boolean => paymentRefKey(paymentRef).length > 0;
