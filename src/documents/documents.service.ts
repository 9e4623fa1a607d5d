import { Injectable } from '@nestjs/common';
import { annualReportCsv } from './annual-report.csv';
import type { AnnualReportData } from './annual-report.data';
import { renderAnnualReport } from './annual-report.layout';
import { renderCertificate } from './certificate.layout';
import { ClearingNoticeData, renderClearingNotice } from './clearing-notice.layout';
import { ClearingRunData, renderClearingRun } from './clearing-run.layout';
import type { CertificateData, StatementData } from './document-data';
import { statementLinesCsv } from './statement.csv';
import { renderStatement } from './statement.layout';

// Callers take the data types from the service they hand them to.
export type { CertificateData, StatementData, StatementLine } from './document-data';
export type { AnnualReportData } from './annual-report.data';
export type { ClearingRunData } from './clearing-run.layout';
export type { ClearingNoticeData } from './clearing-notice.layout';

/** The renderers behind one injectable service; each is a plain function of its data, in the file named for it. */
@Injectable()
export class DocumentsService {
  renderVoucherCertificate(d: CertificateData): Promise<Buffer> {
    return renderCertificate(d);
  }

  renderSettlementStatement(d: StatementData): Promise<Buffer> {
    return renderStatement(d);
  }

  settlementLinesCsv(d: StatementData): string {
    return statementLinesCsv(d);
  }

  renderAnnualReport(d: AnnualReportData): Promise<Buffer> {
    return renderAnnualReport(d);
  }

  annualReportCsv(d: AnnualReportData): string {
    return annualReportCsv(d);
  }

  renderClearingRun(d: ClearingRunData): Promise<Buffer> {
    return renderClearingRun(d);
  }

  renderClearingNotice(d: ClearingNoticeData): Promise<Buffer> {
    return renderClearingNotice(d);
  }
}
