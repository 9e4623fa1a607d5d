import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencySweep } from './idempotency/idempotency.sweep';
import { Sweeps } from './sweeps';

/** Cross-cutting pieces, once: sweeps, the auth guard, idempotency, the error filter. */
@Global()
@Module({
  providers: [
    Sweeps,
    IdempotencySweep,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
  exports: [Sweeps],
})
export class CommonModule {}
