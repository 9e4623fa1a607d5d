import { Global, Module } from '@nestjs/common';
import { LedgerCheckService } from './ledger-check.service';
import { LedgerController } from './ledger.controller';
import { LedgerService } from './ledger.service';

@Global()
@Module({ controllers: [LedgerController], providers: [LedgerService, LedgerCheckService], exports: [LedgerService, LedgerCheckService] })
export class LedgerModule {}
