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
}

export interface StatementLine {
  payeeName: string;
  payeeCreditCode: string;
  payeeProvinceName: string;
  amountFen: number;
  claimCount: number;
}

export interface StatementData {
  settlementId: string;
  regionName: string;
  periodLabel: string;
  status: 'open' | 'paid';
  paymentRef: string | null;
  createdAt: string;
  paidAt: string | null;
  totalFen: number;
  lines: StatementLine[];
}

/** Refuses a statement whose lines do not add up to its total, rather than print or pay from it. */
export function assertStatementTotal(d: StatementData): void {
  const sum = d.lines.reduce((s, l) => s + l.amountFen, 0);
  if (!Number.isSafeInteger(sum) || sum !== d.totalFen) {
    throw new Error(`settlement ${d.settlementId}: lines add up to ${sum} fen, total says ${d.totalFen}`);
  }
}
