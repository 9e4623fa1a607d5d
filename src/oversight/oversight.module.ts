import { Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service';
import { AuditController } from './audit.controller';
import { SanctionsController } from './sanctions.controller';
import { SanctionsService } from './sanctions.service';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** The shared credit-sanction list, the audit log's reading and verification, and statistics. */
@Module({
  controllers: [SanctionsController, AuditController, StatsController],
  providers: [SanctionsService, AuditLogService, StatsService],
  exports: [SanctionsService],
})
export class OversightModule {}
