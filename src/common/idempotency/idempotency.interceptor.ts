import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { IdempotencyClaim, requestContext } from '../context/request-context';
import { IdempotencyRace, TransactionService } from '../database/transaction.service';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from '../http/error.filter';
import { IdempotencyRecord, idempotencyRecord } from './idempotency-record.entity';
import { canonicalJson } from '../canonical-json';

const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;
const RACE_WAIT_MS = 5_000;

/**
 * Honours `Idempotency-Key` on every POST: the first request's status and body are stored in the
 * database and replayed for the same key and body; another body under the same key is a conflict.
 * The key is recorded inside the request's own transaction (TransactionService), so two concurrent
 * duplicates can never both execute: the loser waits for the winner's response and replays it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TransactionService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next.handle();
    return from(this.handle(req, http.getResponse<Response>(), key, next));
  }

  private get records() {
    return this.dataSource.getRepository(IdempotencyRecord);
  }

  private async handle(req: Request, res: Response, key: string, next: CallHandler): Promise<unknown> {
    if (!KEY_PATTERN.test(key)) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1–128 printable ASCII characters');
    const store = requestContext.getStore()!;
    const callerId = store.actor?.userId ?? 'anonymous';
    const route = `${req.method} ${req.originalUrl.split('?')[0]}`.slice(0, 200);
    const requestHash = createHash('sha256')
      .update(`${route}\n${canonicalJson(req.body)}`)
      .digest('hex');

    const existing = await this.records.findOneBy({ callerId, idemKey: key });
    if (existing) return this.replay(existing, requestHash, res);

    store.idempotency = { callerId, key, route, requestHash };
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (e) {
      if (e instanceof IdempotencyRace) return this.replay(await this.awaitWinner(callerId, key), requestHash, res);
      store.idempotency = undefined;
      // A refusal is the first response too: a repeat gets it again, even if the world has changed since.
      if (e instanceof DomainError && e.code !== 'IDEMPOTENCY_CONFLICT') {
        const error = toErrorBody(e);
        await this.save({ callerId, key, route, requestHash }, error.statusCode, error, false);
      }
      throw e;
    }
    store.idempotency = undefined;
    await this.save({ callerId, key, route, requestHash }, res.statusCode, body, true);
    return body;
  }

  /**
   * Records the first response. After success the request's own claim row (if its handler ran a
   * transaction) gets it; a refused request's claim was rolled back, so it only inserts, never
   * overwriting a concurrent duplicate that may have succeeded meanwhile.
   */
  private async save(claim: IdempotencyClaim, status: number, body: unknown, succeeded: boolean): Promise<void> {
    const record = idempotencyRecord(claim, { status, body: JSON.stringify(body ?? null) });
    await this.tx.run(async (em) => {
      const records = em.getRepository(IdempotencyRecord);
      if (succeeded) {
        const updated = await records
          .createQueryBuilder()
          .update()
          .set({ responseStatus: record.responseStatus, responseBody: record.responseBody })
          .where('caller_id = :callerId AND idem_key = :key AND response_status IS NULL', { callerId: claim.callerId, key: claim.key })
          .execute();
        if (updated.affected) return;
      }
      await records.createQueryBuilder().insert().values(record).orIgnore().execute();
    });
  }

  private replay(record: IdempotencyRecord, requestHash: string, res: Response): unknown {
    if (record.requestHash !== requestHash) {
      throw new DomainError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request');
    }
    if (record.responseStatus === null)
      throw new DomainError('IDEMPOTENCY_CONFLICT', 'a request with this Idempotency-Key is still in progress');
    res.status(record.responseStatus);
    res.setHeader('Idempotent-Replayed', 'true');
    return JSON.parse(record.responseBody ?? 'null');
  }

  /** The winner committed; its response is written a moment later. */
  private async awaitWinner(callerId: string, key: string): Promise<IdempotencyRecord> {
    const deadline = Date.now() + RACE_WAIT_MS;
    for (;;) {
      const record = await this.records.findOneByOrFail({ callerId, idemKey: key });
      if (record.responseStatus !== null || Date.now() > deadline) return record;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
