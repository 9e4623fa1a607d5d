import { Module } from '@nestjs/common';
import { ClearingRunsController } from '../clearing/clearing-runs.controller';
import { ClearingRunsService } from '../clearing/clearing-runs.service';
import { ClearingController } from '../clearing/clearing.controller';
import { ClearingService } from '../clearing/clearing.service';
import { DocumentsModule } from '../documents/documents.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { PoliciesModule } from '../policies/policies.module';
import { SettlementController } from './settlement.controller';
import { SettlementQueries } from './settlement.queries';
import { SettlementViews } from './settlement-views';
import { CreateSettlement } from './use-cases/create-settlement';
import { PaySettlement } from './use-cases/pay-settlement';
import { VoidSettlement } from './use-cases/void-settlement';

/** Settlement batches, their statements, and the cross-province clearing over paid lines (and its recorded runs). */
@Module({
  imports: [PoliciesModule, DocumentsModule, NotificationsModule],
  controllers: [SettlementController, ClearingController, ClearingRunsController],
  providers: [SettlementViews, CreateSettlement, PaySettlement, VoidSettlement, SettlementQueries, ClearingService, ClearingRunsService],
})
export class SettlementModule {}
