/** What callers hand to the renderers: plain values they have loaded, so rendering needs no database. */

export interface CertificateData {
  serial: string;
  issuingRegionName: string;
  issuingBureauName: string;
  holderName: string;
  holderCreditCode: string;
  faceValueFen: number;
  validFrom: string;
  validUntil: string;
  policyVersion: number;
  policyRegionCode: string;
  verifyUrl: string;
  issuedAt: string;
  /** Set when the voucher was revoked: the certificate is then stamped 已作废 (void) across its face. */
  revoked?: { at: string; reason: string | null };
}

export interface StatementLine {
  payeeName: string;
  payeeCreditCode: string;
  payeeProvinceName: string;
  amountFen: number;
  claimCount: number;
  /**
   * The bank the payee is paid into, as when the batch was prepared: the account in full for the paying bureau, which
   * pays into it, masked (**** **** 5432) for anyone else (the caller decides: payeeAccountFor).
   */
  bankName?: string | null;
  bankAccount?: string | null;
}

/** One approved claim of the batch, for the statement's per-claim schedule. */
export interface StatementClaim {
  payeeName: string;
  contractNo: string;
  invoiceNo: string;
  decidedAt: string | null;
  redemptions: number;
  /** What the payee claimed: beside the approved amount, the statement shows what a cut took. */
  claimedFen: number;
  amountFen: number;
}

export interface StatementData {
  settlementId: string;
  /** The readable number printed in place of the id (batches prepared before numbering print their id). */
  batchNo?: string | null;
  regionName: string;
  periodLabel: string;
  status: 'open' | 'paid' | 'voided';
  /** Set when the open batch was voided: its statement and CSV say 已作废, and its claims went back (no schedule). */
  voided?: { at: string; reason: string };
  paymentRef: string | null;
  createdAt: string;
  paidAt: string | null;
  totalFen: number;
  lines: StatementLine[];
  /** Every claim behind the lines, when the statement shows the per-claim schedule. */
  claims?: StatementClaim[];
}

/** Refuses a statement whose lines do not add up to its total, rather than print or pay from it. */
export function assertStatementTotal(d: StatementData): void {
  const sum = d.lines.reduce((s, l) => s + l.amountFen, 0);
  if (!Number.isSafeInteger(sum) || sum !== d.totalFen) {
    throw new Error(`settlement ${d.settlementId}: lines add up to ${sum} fen, total says ${d.totalFen}`);
  }
  const claimed = d.claims?.reduce((s, c) => s + c.amountFen, 0);
  if (claimed !== undefined && claimed !== d.totalFen) {
    throw new Error(`settlement ${d.settlementId}: claims add up to ${claimed} fen, total says ${d.totalFen}`);
  }
}
