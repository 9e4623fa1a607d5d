import { Module } from '@nestjs/common';
import { DocumentsService } from './documents.service';

/** PDF certificates, settlement statements and annual reports, and their CSVs: pure rendering, no database. */
@Module({
  providers: [DocumentsService],
  exports: [DocumentsService],
})
export class DocumentsModule {}
