/**
 * Ledger accounts. Money enters a region's budget from its appropriation, is committed to vouchers,
 * held and spent there, and goes back to the budget when released. Payouts are a second flow:
 * approved claims become payables of the issuing region, and settlement pays them.
 */
export const account = {
  /** The appropriation a budget is funded from: its balance is minus the budget's total. */
  funds: (region: string, year: number) => `funds:${region}:${year}`,
  budget: (region: string, year: number) => `budget:${region}:${year}`,
  voucherAvailable: (voucherId: string) => `voucher:${voucherId}:available`,
  voucherHeld: (voucherId: string) => `voucher:${voucherId}:held`,
  voucherSpent: (voucherId: string) => `voucher:${voucherId}:spent`,
  /** The source of a region's payment obligations: minus the sum of approved claims. */
  payments: (region: string) => `payments:${region}`,
  payable: (region: string, payeeId: string) => `payable:${region}:${payeeId}`,
  paid: (region: string, payeeId: string) => `paid:${region}:${payeeId}`,
};

/** Source accounts are the only ones whose balance may be negative. */
export const mayGoNegative = (code: string) => code.startsWith('funds:') || code.startsWith('payments:');
