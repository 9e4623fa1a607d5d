import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { OversightModule } from '../oversight/oversight.module';
import { PoliciesModule } from '../policies/policies.module';
import { QuotesService } from './quotes.service';
import { ComparisonController, FacilityQuotesController, RedemptionsController } from './redemptions.controller';
import { RedemptionsService } from './redemptions.service';

/** Quotes, holds, capture, cancellation and expiry of redemptions (Lifecycle 3 of DOMAIN.md). */
@Module({
  imports: [OrganizationsModule, PoliciesModule, OversightModule],
  controllers: [RedemptionsController, FacilityQuotesController, ComparisonController],
  providers: [RedemptionsService, QuotesService],
})
export class RedemptionsModule {}
