import { Module } from '@nestjs/common';
import { SanctionsController } from './sanctions.controller';
import { SanctionsService } from './sanctions.service';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** The shared credit-sanction list and statistics. */
@Module({
  controllers: [SanctionsController, StatsController],
  providers: [SanctionsService, StatsService],
  exports: [SanctionsService],
})
export class OversightModule {}
