import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BookingsModule } from '../bookings/bookings.module';
import { FacilitiesModule } from '../facilities/facilities.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { UnknownPathFilter } from './page-error.filter';
import { PageRenderer } from './page-renderer';
import { PagesController } from './pages.controller';

/** The public pages (HTML, Chinese, phone-sized): voucher verification, provider notices, the facility catalogue with ratings, opening hours and free slots. */
@Module({
  imports: [VouchersModule, OrganizationsModule, FacilitiesModule, BookingsModule],
  controllers: [PagesController],
  // UnknownPathFilter: unknown paths outside /api answer the pages' 404 (after CommonModule's ErrorFilter, so tried first)
  providers: [PageRenderer, { provide: APP_FILTER, useClass: UnknownPathFilter }],
})
export class PagesModule {}
