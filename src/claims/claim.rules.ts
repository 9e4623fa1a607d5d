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
