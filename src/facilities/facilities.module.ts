import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { FacilitiesController } from './facilities.controller';
import { FacilitiesService } from './facilities.service';
import { FacilityImport } from './facility-import';

@Module({
  imports: [OrganizationsModule],
  controllers: [FacilitiesController],
  providers: [FacilitiesService, FacilityImport],
  exports: [FacilitiesService],
})
export class FacilitiesModule {}
