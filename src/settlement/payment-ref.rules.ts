import { lookAlikeKey } from '../common/look-alike-key';

/**
 * The key under which a treasury payment reference pays one batch of an issuing region (unique on settlement
 * (region_code, payment_ref_key)): a bank's reference names one transfer, so a second batch claimed as paid by it is a
 * clerk's copy-paste or one transfer counted twice. Folded as invoice numbers are (lookAlikeKey): " TREASURY-2026-0117",
 * "ＴＲＥＡＳＵＲＹ２０２６０１１７" and "treasury 2026 O117" are one reference. Per region, not global: each region's batches
 * are paid by its own treasury through its own bank, two regions' banks may well both number a transfer 2026-0117, and
 * the refusal names the batch that used it, which a bureau of another region may not read.
 */
export const paymentRefKey = (paymentRef: string): string => lookAlikeKey(paymentRef, 100);

/** Whether a payment reference names anything once folded: "——" or "   " is no bank's reference. */
export const isPaymentRef = (paymentRef: string): boolean => paymentRefKey(paymentRef).length > 0;
