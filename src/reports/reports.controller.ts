import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { DocumentsService } from '../documents/documents.service';
import { AnnualReportQuery } from './annual-report.dto';
import { AnnualReportService } from './annual-report.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('oversight')
@Controller('reports')
export class ReportsController {
  constructor(
    private readonly reports: AnnualReportService,
    private readonly documents: DocumentsService,
  ) {}

  @Get('annual')
  @Explained({
    summary: 'A region’s annual report (年度报告) as a Chinese PDF with charts, or the same figures as CSV',
    who: 'The bureau of the region or of its province, and the platform for any region; enterprises, providers and other bureaus are refused 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'The budget and its split, vouchers issued and used, cross-province flows, the ten most used facilities, time from capture to payment, claims refused or cut (claims by the Beijing day they were submitted, vouchers and budget by budget year), usage disputes and credit sanctions. A province’s report includes its cities. Money in integer fen in the CSV; yuan in the PDF.',
  })
  @Authenticated('bureau', 'platform')
  @ApiProduces('application/pdf', 'text/csv')
  @ApiOkResponse({
    description: 'format=pdf (default): the report as application/pdf; format=csv: text/csv, UTF-8 with BOM, CRLF',
    content: {
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
      'text/csv': {
        schema: {
          type: 'string',
          example: 'section,key,label,count,amountFen,amountYuan,value\r\nbudget,budgetFen,年度预算总额,,100000000,1000000.00,\r\n',
        },
      },
    },
  })
  async annual(@CurrentActor() actor: Actor, @Query() q: AnnualReportQuery): Promise<StreamableFile> {
    const data = await this.reports.build(actor, q.regionCode, q.year);
    const name = `annual-report-${q.regionCode}-${q.year}`;
    if (q.format === 'csv') {
      return new StreamableFile(Buffer.from(this.documents.annualReportCsv(data), 'utf8'), {
        type: 'text/csv; charset=utf-8',
        disposition: `attachment; filename="${name}.csv"`,
      });
    }
    const pdf = await this.documents.renderAnnualReport(data);
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="${name}.pdf"` });
  }
}
