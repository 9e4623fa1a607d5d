import { Global, Module } from '@nestjs/common';
import { AuditSealer } from '../audit/audit-sealer';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { TransactionService } from './database/transaction.service';
import { ErrorFilter } from './http/error.filter';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { Sweeps } from './sweeps';

/** Cross-cutting pieces, once: transactions, the audit sealer, sweeps, the auth guard, idempotency, the error filter. */
@Global()
@Module({
  providers: [
    TransactionService,
    Sweeps,
    AuditSealer,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
  exports: [TransactionService, Sweeps, AuditSealer],
})
export class CommonModule {}
