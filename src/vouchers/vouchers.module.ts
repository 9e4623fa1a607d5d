import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { PoliciesModule } from '../policies/policies.module';
import { ApplicationChecks } from './use-cases/application-checks';
import { ApplyForVoucher } from './use-cases/apply-for-voucher';
import { VoucherClosing } from './use-cases/close-voucher';
import { DecideApplication } from './use-cases/decide-application';
import { ExpireVouchers } from './use-cases/expire-vouchers';
import { HoldRelease } from './use-cases/hold-release';
import { RevokeVoucher } from './use-cases/revoke-voucher';
import { VoucherIssuer } from './use-cases/voucher-issuer';
import { ApplicationsController, VouchersController } from './vouchers.controller';
import { VouchersQueries } from './vouchers.queries';
import { SerialNumbers } from './serial-numbers';

/** Applications, issuance, revocation and expiry of vouchers; reading, verifying and certificates. */
@Module({
  imports: [OrganizationsModule, PoliciesModule, DocumentsModule],
  controllers: [ApplicationsController, VouchersController],
  providers: [
    ApplicationChecks,
    SerialNumbers,
    VoucherIssuer,
    VoucherClosing,
    HoldRelease,
    ApplyForVoucher,
    DecideApplication,
    RevokeVoucher,
    ExpireVouchers,
    VouchersQueries,
  ],
  exports: [ApplyForVoucher, DecideApplication, VoucherClosing, HoldRelease, VouchersQueries],
})
export class VouchersModule {}
