import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/paths';
import type { StatementData } from './document-data';

// Layout data lives in templates/*.json, so a bureau restyles documents without code; these types are what the layouts expect of it.

export interface Bilingual {
  zh: string;
  en: string;
}
export interface PageTemplate {
  size: string;
  layout: 'portrait' | 'landscape';
  margin: number;
}
export interface Palette {
  primary: string;
  accent: string;
  text: string;
  muted: string;
  panel: string;
  rule: string;
}
type CertificateSection = 'header' | 'title' | 'serial' | 'faceValue' | 'fields' | 'verify' | 'notes';
export type CertificateField = 'holderName' | 'holderCreditCode' | 'issuer' | 'issuingRegion' | 'validity' | 'policy' | 'issuedAt';

export interface CertificateTemplate {
  page: PageTemplate;
  colors: Palette;
  border: { outerInset: number; outerWidth: number; innerInset: number; innerWidth: number; cornerSize: number };
  sections: CertificateSection[];
  header: Bilingual;
  title: Bilingual & { size: number };
  serial: Bilingual & { size: number };
  faceValue: Bilingual & { capitalZh: string; capitalEn: string; size: number };
  fields: (Bilingual & { key: CertificateField })[];
  validityJoin: string;
  policyFormat: string;
  verify: Bilingual & { qrSize: number };
  /** The box the issuing bureau stamps, bottom right: its label, the bureau's name and the date of issue. */
  seal: Bilingual & { width: number; height: number; circleRadius: number };
  notes: { zh: string[]; en: string };
  /** The stamp across a revoked voucher's certificate. */
  void: Bilingual & { color: string; noteZh: string; noteEn: string; reasonZh: string };
}

type StatementColumn = 'index' | 'payeeName' | 'payeeCreditCode' | 'payeeBank' | 'payeeProvinceName' | 'claimCount' | 'amount';
export type ClaimColumn = 'index' | 'payeeName' | 'contractNo' | 'invoiceNo' | 'decidedAt' | 'redemptions' | 'claimed' | 'amount';
export type TableColumn<K extends string> = Bilingual & { key: K; width: number; align?: 'left' | 'center' | 'right' };
export type StatementMeta = 'settlementId' | 'regionName' | 'periodLabel' | 'status' | 'paymentRef' | 'createdAt' | 'paidAt';
export type CsvColumn =
  | 'batchNo'
  | 'settlementId'
  | 'index'
  | 'payeeName'
  | 'payeeCreditCode'
  | 'payeeProvinceName'
  | 'payeeBankName'
  | 'payeeBankAccount'
  | 'claimCount'
  | 'amountFen'
  | 'amountYuan'
  | 'voided';

export interface StatementTemplate {
  page: PageTemplate;
  colors: Palette & { zebra: string; open: string; paid: string; voided: string };
  title: Bilingual;
  meta: (Bilingual & { key: StatementMeta })[];
  statusLabels: Record<StatementData['status'], Bilingual>;
  table: {
    fontSize: number;
    columns: TableColumn<StatementColumn>[];
    pageSubtotal: Bilingual;
    total: Bilingual;
    /** What the bank cell says when the payee had no bank on file. */
    noBank: Bilingual;
  };
  claimsTable: { title: Bilingual; fontSize: number; columns: TableColumn<ClaimColumn>[] };
  totals: Bilingual & { capitalZh: string; capitalEn: string; payeesZh: string; payeesEn: string };
  signatures: (Bilingual & { seal?: boolean })[];
  footer: Bilingual;
  csv: { columns: { key: CsvColumn; header: string }[] };
}

export interface AnnualReportTemplate {
  page: PageTemplate;
  /** `split`: the budget split's five parts, paid → captured → held → voucher balances → budget available. */
  colors: Palette & { grid: string; home: string; cross: string; split: string[] };
  title: Bilingual;
  footer: Bilingual;
}

// Read once per process: a restyled template takes effect on restart.
const templates = new Map<string, unknown>();
function template<T>(name: string): T {
  if (!templates.has(name)) {
    templates.set(name, JSON.parse(readFileSync(join(projectRoot, 'templates', `${name}.json`), 'utf8')));
  }
  return templates.get(name) as T;
}

export const certificateTemplate = (): CertificateTemplate => template('voucher-certificate');
export const statementTemplate = (): StatementTemplate => template('settlement-statement');
export const annualReportTemplate = (): AnnualReportTemplate => template('annual-report');
