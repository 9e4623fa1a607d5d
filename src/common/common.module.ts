import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { BodilessInterceptor } from './http/bodiless.interceptor';
import { ErrorFilter } from './http/error.filter';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencySweep } from './idempotency/idempotency.sweep';
import { Sweeps } from './sweeps';

/** Cross-cutting pieces, once: sweeps, the auth guard, a body where none is taken, idempotency, the error filter. */
@Global()
@Module({
  providers: [
    Sweeps,
    IdempotencySweep,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: BodilessInterceptor },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
  exports: [Sweeps],
})
export class CommonModule {}
