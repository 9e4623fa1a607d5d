import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { OversightModule } from '../oversight/oversight.module';
import { PoliciesModule } from '../policies/policies.module';
import { ApplicationsService } from './applications.service';
import { ApplicationsController, VouchersController } from './vouchers.controller';
import { VouchersService } from './vouchers.service';

@Module({
  imports: [OrganizationsModule, PoliciesModule, OversightModule, DocumentsModule],
  controllers: [ApplicationsController, VouchersController],
  providers: [VouchersService, ApplicationsService],
  exports: [VouchersService, ApplicationsService],
})
export class VouchersModule {}
