import { Injectable } from '@nestjs/common';
import { clock } from '../clock';
import { Database } from '../persistence/database';
import { isUniqueViolation } from '../persistence/db-errors';
import { join, sql } from '../persistence/sql';
import { IdempotencyRecord } from './idempotency-record.entity';

export interface IdempotencyClaim {
  callerId: string;
  key: string;
  route: string;
  requestHash: string;
}

/** Thrown when a concurrent request with the same caller and key committed first. */
export class IdempotencyRace extends Error {}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  async find(callerId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.findFirst([callerId], key);
  }

  /** The record of the first of `callerIds` that kept one under `key`, in one read. */
  async findFirst(callerIds: string[], key: string): Promise<IdempotencyRecord | undefined> {
    const found = await this.db.select(IdempotencyRecord, 'r', sql`WHERE r.caller_id IN (${join(callerIds)}) AND r.idem_key = ${key}`);
    for (const callerId of callerIds) {
      const record = found.find((r) => r.callerId === callerId);
      if (record) return record;
    }
    return undefined;
  }

  /** Inserted inside the request's own unit of work: "executed" and "key recorded" become one atomic fact. */
  async claim(claim: IdempotencyClaim, id: string): Promise<void> {
    try {
      const { callerId, key: idemKey, route, requestHash } = claim;
      const record: IdempotencyRecord = {
        id,
        callerId,
        idemKey,
        route,
        requestHash,
        responseStatus: null,
        responseBody: null,
        createdAt: clock.iso(),
      };
      await this.db.insert(IdempotencyRecord, [record]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new IdempotencyRace();
      throw e;
    }
  }

  /** The response, stored in the same unit of work as the work it answers. */
  async complete(id: string, status: number, body: string): Promise<void> {
    const stored = await this.db.execute(
      sql`UPDATE idempotency_record SET response_status = ${status}, response_body = ${body} WHERE id = ${id} AND response_status IS NULL`,
    );
    if (stored !== 1) throw new Error('the idempotency claim of this request vanished');
  }

  /** A claim without a response, older than `before`: the request that made it died; the next one may take the key over. */
  async releaseStale(record: IdempotencyRecord, before: string): Promise<boolean> {
    if (record.responseStatus !== null || record.createdAt >= before) return false;
    return (await this.db.execute(sql`DELETE FROM idempotency_record WHERE id = ${record.id} AND response_status IS NULL`)) === 1;
  }

  /** Records older than `before` (the sweep keeps a day). */
  purge(before: string, limit: number): Promise<number> {
    return this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`DELETE FROM idempotency_record WHERE id IN (SELECT id FROM idempotency_record WHERE created_at < ${before} LIMIT ${limit})`
        : sql`DELETE FROM idempotency_record WHERE created_at < ${before} LIMIT ${limit}`,
    );
  }
}
