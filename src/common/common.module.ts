import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { TransactionService } from './database/transaction.service';
import { ErrorFilter } from './http/error.filter';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { Sweeps } from './sweeps';

/** Cross-cutting pieces, once: transactions, sweeps, the auth guard, idempotency, the error filter. */
@Global()
@Module({
  providers: [
    TransactionService,
    Sweeps,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
  exports: [TransactionService, Sweeps],
})
export class CommonModule {}
