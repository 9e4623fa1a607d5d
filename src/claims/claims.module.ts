import { Module } from '@nestjs/common';
import { PoliciesModule } from '../policies/policies.module';
import { RedemptionsModule } from '../redemptions/redemptions.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { ClaimsController } from './claims.controller';
import { ClaimsQueries } from './claims.queries';
import { DecideClaim } from './use-cases/decide-claim';
import { SubmitClaim } from './use-cases/submit-claim';

/** Claims: the payee asks the issuing bureau for the captured subsidy; approval makes it a payable. */
@Module({
  imports: [PoliciesModule, RedemptionsModule, VouchersModule],
  controllers: [ClaimsController],
  providers: [SubmitClaim, DecideClaim, ClaimsQueries],
})
export class ClaimsModule {}
