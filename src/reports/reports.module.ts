import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { OversightModule } from '../oversight/oversight.module';
import { AnnualReportService } from './annual-report.service';
import { ReportsController } from './reports.controller';

/** Reports for bureaus and the platform: the annual report per region (PDF and CSV), read-only. */
@Module({
  imports: [OversightModule, DocumentsModule],
  controllers: [ReportsController],
  providers: [AnnualReportService],
})
export class ReportsModule {}
