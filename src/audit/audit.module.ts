import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { AuditSealer } from './audit-sealer';
import { AuditSigner } from './audit-signer';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';

/** The hash-chained audit log: every unit of work's entries written with it, sealed into the chain, signed, read and verified. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditSigner, AuditSealer, AuditLog],
  exports: [AuditSealer, AuditLog],
})
export class AuditModule {}
