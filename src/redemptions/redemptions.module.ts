import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { PoliciesModule } from '../policies/policies.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { Quotes } from './quotes';
import { ComparisonController, FacilityQuotesController, RedemptionsController } from './redemptions.controller';
import { RedemptionsQueries } from './redemptions.queries';
import { CancelHold, CaptureHold, HoldClosing } from './use-cases/close-hold';
import { ExpireHolds } from './use-cases/expire-holds';
import { PlaceHold } from './use-cases/place-hold';
import { ConfirmUsage, ConfirmUsageBySilence, DisputeUsage, RateService, ResolveDispute, UsageRecord } from './use-cases/usage';

/** Quotes, holds, capture, cancellation and expiry of redemptions (Lifecycle 3 of DOMAIN.md). */
@Module({
  imports: [OrganizationsModule, PoliciesModule, VouchersModule],
  controllers: [RedemptionsController, FacilityQuotesController, ComparisonController],
  providers: [
    Quotes,
    HoldClosing,
    PlaceHold,
    CaptureHold,
    CancelHold,
    ExpireHolds,
    UsageRecord,
    ConfirmUsage,
    DisputeUsage,
    ResolveDispute,
    RateService,
    ConfirmUsageBySilence,
    RedemptionsQueries,
  ],
  exports: [Quotes, PlaceHold, HoldClosing, UsageRecord, CaptureHold, CancelHold],
})
export class RedemptionsModule {}
