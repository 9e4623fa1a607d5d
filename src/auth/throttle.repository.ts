import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';
import { Throttle } from './throttle.entity';

@Injectable()
export class ThrottleRepository {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<Throttle | undefined> {
    return (await this.db.select(Throttle, 't', sql`WHERE t.throttle_key = ${key}`))[0];
  }

  /**
   * The subject's row, created when missing, locked for the rest of the unit of work, so that counts from several
   * nodes add up exactly (an upsert locks exclusively at once; see BudgetRepository.lockOrCreate).
   */
  async lockOrCreate(key: string, now: string): Promise<Throttle> {
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`INSERT INTO throttle (throttle_key, window_start, hits, recent, locked_until, updated_at) VALUES (${key}, NULL, 0, NULL, NULL, ${now})
              ON CONFLICT (throttle_key) DO NOTHING`
        : sql`INSERT INTO throttle (throttle_key, window_start, hits, recent, locked_until, updated_at) VALUES (${key}, NULL, 0, NULL, NULL, ${now})
              ON DUPLICATE KEY UPDATE updated_at = updated_at`,
    );
    return (await this.db.lock(Throttle, { throttleKey: key }))!;
  }

  async save(t: Throttle): Promise<void> {
    await this.db.execute(
      sql`UPDATE throttle SET window_start = ${t.windowStart}, hits = ${t.hits}, recent = ${t.recent}, locked_until = ${t.lockedUntil},
          refused_since = ${t.refusedSince}, refusals = ${t.refusals}, updated_at = ${t.updatedAt} WHERE throttle_key = ${t.throttleKey}`,
    );
  }

  /**
   * Subjects whose minute of refusals began at or before `endedBy` with more refusals than its first (the audited one),
   * not yet reported: the first of the next minute would report them, if one came. The oldest first.
   */
  endedRefusalMinutes(endedBy: string, limit: number): Promise<Throttle[]> {
    return this.db.select(
      Throttle,
      't',
      sql`WHERE t.refusals > 1 AND t.refused_since <= ${endedBy} ORDER BY t.refused_since LIMIT ${limit}`,
    );
  }

  /**
   * Marks a minute's count reported; false when it is no longer the count read: another node reported it, or a new
   * minute of refusals began and its first entry reported it.
   */
  async refusalsReported(t: Pick<Throttle, 'throttleKey' | 'refusedSince' | 'refusals'>): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE throttle SET refusals = 0 WHERE throttle_key = ${t.throttleKey} AND refused_since = ${t.refusedSince} AND refusals = ${t.refusals}`,
      )) === 1
    );
  }

  /** Rows nobody has touched since `before` (the sweep keeps a day). */
  purge(before: string): Promise<number> {
    return this.db.execute(sql`DELETE FROM throttle WHERE updated_at < ${before}`);
  }
}
