import { Module } from '@nestjs/common';
import { FacilitiesModule } from '../facilities/facilities.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { PageRenderer } from './page-renderer';
import { PagesController } from './pages.controller';

/** The public pages (HTML, Chinese, phone-sized): voucher verification, provider notices, the facility catalogue. */
@Module({ imports: [VouchersModule, OrganizationsModule, FacilitiesModule], controllers: [PagesController], providers: [PageRenderer] })
export class PagesModule {}
