import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Mutex } from 'async-mutex';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { recordPending } from '../../audit/audit-chain';
import { AuditDraft, ContextStore, requestContext } from '../context/request-context';
import { isRetryable, isUniqueViolation } from './db-errors';
import { insertRows, lockRow } from './statements';
import { IdempotencyRecord, idempotencyRecord } from '../idempotency/idempotency-record.entity';

/** Thrown when a concurrent request with the same Idempotency-Key committed first. */
export class IdempotencyRace extends Error {}

const MAX_ATTEMPTS = 6;

/**
 * The one way to run a unit of work. On MariaDB/MySQL transactions run concurrently at READ COMMITTED
 * (each pooled connection is set to it when opened) and are retried on deadlock. better-sqlite3 gives
 * TypeORM a single connection, so on SQLite they run one at a time (STACK.md) — which also makes them
 * serialisable.
 */
@Injectable()
export class TransactionService {
  private readonly logger = new Logger(TransactionService.name);
  private readonly sqliteQueue: Mutex | null;
  private readonly auditListeners: (() => void)[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.sqliteQueue = dataSource.options.type === 'better-sqlite3' ? new Mutex() : null;
  }

  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const outer = requestContext.getStore();
    if (outer?.em) return work(outer.em);
    for (let attempt = 1; ; attempt++) {
      try {
        const once = () => this.once(outer, work);
        const { result, audited } = this.sqliteQueue ? await this.sqliteQueue.runExclusive(once) : await once();
        if (outer) outer.idempotency = undefined; // claimed and committed: later transactions of this request don't claim again
        if (audited) this.auditListeners.forEach((listener) => listener());
        return result;
      } catch (e) {
        if (!isRetryable(e) || attempt >= MAX_ATTEMPTS) throw e;
        this.logger.warn(`transaction retried after ${(e as Error).message} (attempt ${attempt})`);
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  /** Records an audit entry in the current transaction (written as pending at its end, chained by the AuditSealer). */
  audit(draft: AuditDraft): void {
    const store = requestContext.getStore();
    if (!store?.audit) throw new Error('audit outside a transaction');
    store.audit.push(draft);
  }

  /** Called after each commit that recorded audit entries. */
  onAuditCommitted(listener: () => void): void {
    this.auditListeners.push(listener);
  }

  /** Reads a row for update: a row lock on MariaDB/MySQL; SQLite transactions are already exclusive. */
  lock<E extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<E>, where: Partial<E>): Promise<E | null> {
    return lockRow(em, entity, where);
  }

  private once<T>(outer: ContextStore | undefined, work: (em: EntityManager) => Promise<T>): Promise<{ result: T; audited: boolean }> {
    const run = async (em: EntityManager) => {
      const store: ContextStore = { ...outer, em, audit: [] };
      return requestContext.run(store, async () => {
        if (outer?.idempotency) await this.claimKey(em, outer);
        const result = await work(em);
        await recordPending(em, store.audit!, store.actor);
        return { result, audited: store.audit!.length > 0 };
      });
    };
    // MariaDB/MySQL connections are at READ COMMITTED from the start (data-source-options.ts).
    return this.dataSource.transaction(run);
  }

  /** Inserting the key inside the transaction makes "executed" and "key recorded" one atomic fact. */
  private async claimKey(em: EntityManager, store: ContextStore): Promise<void> {
    try {
      await insertRows(em, IdempotencyRecord, [idempotencyRecord(store.idempotency!)]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new IdempotencyRace();
      throw e;
    }
  }
}
