import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BookingsModule } from '../bookings/bookings.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { FacilitiesModule } from '../facilities/facilities.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { PoliciesModule } from '../policies/policies.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { SeedService } from './seed.service';

@Module({
  imports: [BookingsModule, AuthModule, OrganizationsModule, PoliciesModule, BudgetsModule, FacilitiesModule, VouchersModule],
  providers: [SeedService],
  exports: [SeedService],
})
export class SeedModule {}
