import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { AuditDraft } from '../context/request-context';
import { DomainError, serviceBusy } from '../errors/domain-error';
import { currentTransaction, Database } from './database';
import { isRetryable } from './db-errors';
import { backoffMs, DEFAULT_RETRY, mayRetry, RetryPolicy } from './retry';
import { counted } from '../i18n/plural';

/** What one unit of work writes besides its own rows, flushed just before it commits. */
export interface UnitState {
  em: EntityManager;
  audit: AuditDraft[];
}

/** Writes a unit's buffered records (audit entries, domain events) in its transaction, just before the commit. */
export type Flusher = (state: UnitState) => Promise<void>;

/** The unit in progress: the transaction `Database` writes through, and what it buffers. */
const current = () => currentTransaction.getStore() as UnitState | undefined;

/**
 * Thrown by work that needs a step done in a transaction of its own before it can go on (reserving a block of serial
 * numbers): the unit rolls back, `step` runs outside it, and the unit starts again. Doing the step in place would need
 * a second pool connection while this unit holds one, and a full pool of units waiting for it would never move.
 */
export class PrepareFirst extends Error {
  constructor(readonly step: () => Promise<void>) {
    super('the unit of work needs a step of its own first');
  }
}

/** Counts since the process started, for /api/health and the cluster test's figures. */
export interface UnitOfWorkStats {
  /** Units run (a unit joined by a nested `run` counts once). */
  units: number;
  /** Attempts run again after a deadlock, certification conflict, lock timeout or TiDB write conflict. */
  retries: number;
  /** Units that ran out of attempts and answered 503 SERVICE_BUSY. */
  busy: number;
  /** The most attempts a unit has needed to commit: how close the busiest ones came to the budget. */
  mostAttempts: number;
}

/** A unit reruns at most this many times for PrepareFirst; each step gives it something to use, so one is usual. */
const MAX_PREPARATIONS = 5;

/**
 * The one way to run work that writes: a database transaction in which the work's rows, its audit entries and its
 * domain events (and, for a request with an Idempotency-Key, the stored response) commit together or not at all.
 *
 * Steps: begin → work (repositories write through `Database`, which finds this transaction) → flush the audit
 * entries and events → commit → after-commit listeners. A `run` inside a `run` joins the outer unit. A deadlock, a
 * Galera certification conflict, a lock timeout or a TiDB write conflict reruns the whole unit with backoff and
 * jitter; when the attempts run out the caller gets 503 SERVICE_BUSY with Retry-After, never a 500.
 *
 * MariaDB/MySQL: transactions run concurrently at READ COMMITTED (set on each pooled connection when it opens).
 * SQLite: TypeORM shares one connection, so units run one at a time (STACK.md) — which also makes them serialisable.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger(UnitOfWork.name);
  private readonly flushers: Flusher[] = [];
  private readonly committedListeners: ((state: UnitState) => void)[] = [];
  retryPolicy: RetryPolicy = DEFAULT_RETRY;
  private readonly counts: UnitOfWorkStats = { units: 0, retries: 0, busy: 0, mostAttempts: 0 };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly db: Database,
  ) {}

  get active(): boolean {
    return current() !== undefined;
  }

  get stats(): UnitOfWorkStats {
    return { ...this.counts };
  }

  /**
   * `snapshot`: the unit reads one consistent snapshot (REPEATABLE READ on MariaDB/MySQL, for this transaction only; SQLite's
   * units run alone already), for reads whose figures must add up while others write.
   */
  async run<T>(work: () => Promise<T>, options: { snapshot?: boolean } = {}): Promise<T> {
    if (current()) return work();
    this.counts.units++;
    const started = Date.now();
    let preparations = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.once(work, options.snapshot === true);
        this.counts.mostAttempts = Math.max(this.counts.mostAttempts, attempt);
        return result;
      } catch (e) {
        if (e instanceof PrepareFirst) {
          if (preparations++ === MAX_PREPARATIONS) throw this.busy(`still not prepared after ${counted(MAX_PREPARATIONS, 'step')}`);
          await e.step();
          attempt--; // not a lost race: no backoff, and the attempts stay for conflicts
          continue;
        }
        if (!isRetryable(e)) throw e;
        if (!mayRetry(this.retryPolicy, attempt, Date.now() - started))
          throw this.busy(`${counted(attempt, 'attempt')}: ${(e as Error).message}`);
        this.counts.retries++;
        await sleep(backoffMs(this.retryPolicy, attempt, Math.random()));
      }
    }
  }

  /**
   * One attempt, no retry: a lost race reaches the caller as the database's error (isRetryable). For background work
   * that another node's success makes unnecessary, such as sealing the audit log, where retrying would only fight it.
   */
  async attempt<T>(work: () => Promise<T>): Promise<T> {
    if (current()) return work();
    this.counts.units++;
    return this.once(work);
  }

  private busy(why: string): DomainError {
    this.counts.busy++;
    this.logger.warn(`unit of work gave up after ${why}`);
    return serviceBusy();
  }

  /** Records an audit entry of the current unit of work, written with it. */
  record(draft: AuditDraft): void {
    this.state().audit.push(draft);
  }

  /** Adds a step that writes buffered records just before each commit (the audit log, the outbox). */
  onFlush(flusher: Flusher): void {
    this.flushers.push(flusher);
  }

  /** Called after each commit (e.g. to seal audit entries soon). */
  onCommitted(listener: (state: UnitState) => void): void {
    this.committedListeners.push(listener);
  }

  private state(): UnitState {
    const state = current();
    if (!state) throw new Error('no unit of work is running');
    return state;
  }

  private async once<T>(work: () => Promise<T>, snapshot = false): Promise<T> {
    const body = async (em: EntityManager) => {
      const state: UnitState = { em, audit: [] };
      const outcome = await currentTransaction.run(state, async () => {
        let result: { value: T } | { refusal: DomainError };
        try {
          result = { value: await work() };
        } catch (e) {
          // A refusal of committed work keeps its changes; anything else rolls back.
          if (!(e instanceof DomainError && e.options.committed)) throw e;
          result = { refusal: e };
        }
        for (const flush of this.flushers) await flush(state);
        return result;
      });
      return { outcome, state };
    };
    // Only a snapshot names its level: the connections' own (READ COMMITTED) costs no statement per unit.
    const attempt = () =>
      snapshot && this.db.dialect === 'mysql' ? this.dataSource.transaction('REPEATABLE READ', body) : this.dataSource.transaction(body);
    const { outcome, state } = await this.db.exclusive(attempt);
    for (const listener of this.committedListeners) listener(state);
    if ('refusal' in outcome) throw outcome.refusal;
    return outcome.value;
  }
}
