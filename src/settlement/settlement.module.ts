import { Module } from '@nestjs/common';
import { ClearingController } from '../clearing/clearing.controller';
import { ClearingService } from '../clearing/clearing.service';
import { DocumentsModule } from '../documents/documents.module';
import { PoliciesModule } from '../policies/policies.module';
import { SettlementController } from './settlement.controller';
import { SettlementService } from './settlement.service';

/** Settlement batches, their statements, and the cross-province clearing over paid lines. */
@Module({
  imports: [PoliciesModule, DocumentsModule],
  controllers: [SettlementController, ClearingController],
  providers: [SettlementService, ClearingService],
})
export class SettlementModule {}
