import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { FacilitiesModule } from '../facilities/facilities.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { PageRenderer } from './page-renderer';
import { PagesController } from './pages.controller';

/** The public pages (HTML, Chinese, phone-sized): voucher verification, provider notices, the facility catalogue with ratings, opening hours and free slots. */
@Module({
  imports: [VouchersModule, OrganizationsModule, FacilitiesModule, BookingsModule],
  controllers: [PagesController],
  providers: [PageRenderer],
})
export class PagesModule {}
