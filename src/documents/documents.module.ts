import { Module } from '@nestjs/common';
import { DocumentsService } from './documents.service';

/** PDF certificates and settlement statements, and the treasury CSV: pure rendering, no database. */
@Module({
  providers: [DocumentsService],
  exports: [DocumentsService],
})
export class DocumentsModule {}
