import { Module } from '@nestjs/common';
import { RelationsController } from './relations.controller';
import { RelationsService } from './relations.service';
import { SanctionsController } from './sanctions.controller';
import { SanctionsService } from './sanctions.service';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** The shared credit-sanction list, relations bureaus found, and statistics. */
@Module({
  controllers: [SanctionsController, RelationsController, StatsController],
  providers: [SanctionsService, RelationsService, StatsService],
  exports: [SanctionsService, StatsService],
})
export class OversightModule {}
