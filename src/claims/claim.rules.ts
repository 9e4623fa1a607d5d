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
 * spaces and dashes dropped, letters upper-cased, so "3100-2613 702" and "３１００２６１３７０２" are one invoice.
 */
export const invoiceKey = (invoiceNo: string): string =>
  invoiceNo
    .normalize('NFKC')
    .replace(/[\s\-‐‑‒–—―]/g, '')
    .toUpperCase()
    .slice(0, 64);
