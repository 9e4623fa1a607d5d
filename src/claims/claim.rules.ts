import { lookAlikeKey } from '../common/look-alike-key';

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

/** A claimed redemption as the give-back rule needs it: which voucher it spent and what it captured. */
export interface ClaimedShare {
  id: string;
  voucherId: string;
  capturedFen: number;
}

/**
 * What each voucher gets back when a claim is decided for `approvedFen` (0 for a rejection for good): the approval is
 * spread in claim order (allocateApproval) and each redemption gives back what it captured beyond its share, summed per
 * voucher, in voucher id order (the order the vouchers are locked in). Also each redemption's share where it is below
 * its capture. What is given back and what is approved add up to what was claimed, fen for fen.
 */
export function givenBackByVoucher(
  approvedFen: number,
  redemptions: ClaimedShare[],
): { byVoucher: [voucherId: string, fen: number][]; reducedShares: Map<string, number> } {
  const shares = allocateApproval(
    approvedFen,
    redemptions.map((r) => r.capturedFen),
  );
  const byVoucher = new Map<string, number>();
  const reducedShares = new Map<string, number>();
  redemptions.forEach((r, i) => {
    const back = r.capturedFen - shares[i];
    if (back === 0) return;
    reducedShares.set(r.id, shares[i]);
    byVoucher.set(r.voucherId, (byVoucher.get(r.voucherId) ?? 0) + back);
  });
  return { byVoucher: [...byVoucher].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), reducedShares };
}

/**
 * The form of an invoice number under which no claimant may claim it twice (lookAlikeKey, 64 code points):
 * "3100-2613 702", "３１００２６１３７０２", "3100\u200b2613702" and "31OO2613702" are one invoice. A key with any letter
 * outside A–Z is not an invoice number (IsInvoiceNo refuses it).
 */
export const invoiceKey = (invoiceNo: string): string => lookAlikeKey(invoiceNo, 64);

/** Whether an invoice number's key is made of A–Z and 0–9 only, and has any. */
export const isInvoiceKey = (key: string): boolean => /^[0-9A-Z]{1,64}$/.test(key);
