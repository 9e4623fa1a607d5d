import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { requestContext } from '../common/context/request-context';
import { isRetryable } from '../common/persistence/db-errors';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { appConfig, AppConfig } from '../config/configuration';
import { AuditRepository } from './audit.repository';

const BATCH = 1_000;

/**
 * Chains pending audit entries into the hash chain: soon after a commit that wrote some (batching the entries of
 * many transactions into one seal), before every read of the log, in the sweep and at shutdown. Pending entries
 * live in the database, so any node's sealer seals any node's entries; the timer here only makes it prompt.
 */
@Injectable()
export class AuditSealer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    sweeps: Sweeps,
  ) {
    uow.onFlush((state) => audit.insertPending(state.audit, requestContext.getStore()?.actor));
    uow.onCommitted((state) => state.audit.length > 0 && this.soon());
    sweeps.register('audit-seal', () => this.sealAll());
  }

  /** Seals everything pending now; returns how many entries. */
  sealAll(): Promise<number> {
    return this.seal((batch) => this.uow.run(batch));
  }

  private async seal(run: (batch: () => Promise<number>) => Promise<number>): Promise<number> {
    // Usually nothing is pending when the log is read: then no transaction and no head-row lock.
    if (!(await this.audit.anyPending())) return 0;
    let sealed = 0;
    for (;;) {
      const n = await run(() => this.audit.sealBatch(BATCH));
      sealed += n;
      if (n < BATCH) return sealed;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.sealAll().catch((e) => this.logger.warn(`sealing at shutdown: ${(e as Error).message} (the next sweep seals the rest)`));
  }

  /**
   * A seal shortly after a commit. One attempt per batch: on several nodes (Galera) their sealers conflict on the
   * chain head, and the loser's entries are usually in the winner's batch already, so it tries again a little later
   * (at a random moment, so the two do not meet again) instead of fighting with retries.
   */
  private soon(delayMs = this.config.auditSealDelayMs): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Outside the request that scheduled it: its transaction is over.
      requestContext
        .exit(() => this.seal((batch) => this.uow.attempt(batch)))
        .catch((e: Error) => {
          if (isRetryable(e)) this.soon(Math.max(this.config.auditSealDelayMs, 20) * (1 + Math.random()));
          else this.logger.warn(`sealing audit entries: ${e.message} (retried by the next seal)`);
        });
    }, delayMs);
    this.timer.unref();
  }
}
