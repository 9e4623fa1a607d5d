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

/**
 * The form of an invoice number under which no claimant may claim it twice: full-width characters folded (NFKC),
 * spaces, dashes (any dash punctuation, and the minus sign) and invisible format characters (zero-width spaces and
 * joiners, the soft hyphen) dropped, letters upper-cased, so "3100-2613 702", "３１００２６１３７０２" and
 * "3100\u200b2613702" are one invoice.
 */
export const invoiceKey = (invoiceNo: string): string =>
  invoiceNo
    .normalize('NFKC')
    .replace(/[\p{White_Space}\p{Pd}\p{Cf}\u2212]/gu, '')
    .toUpperCase()
    .slice(0, 64);
