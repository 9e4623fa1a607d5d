import { Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service';
import { AuditController } from './audit.controller';
import { SanctionsController } from './sanctions.controller';
import { SanctionsService } from './sanctions.service';

/** The shared credit-sanction list and the audit log's reading and verification. */
@Module({ controllers: [SanctionsController, AuditController], providers: [SanctionsService, AuditLogService], exports: [SanctionsService] })
export class OversightModule {}
