import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';

@Injectable()
export class HealthRepository {
  constructor(private readonly db: Database) {}

  get dialect(): string {
    return this.db.dialect;
  }

  /**
   * The database's clock, in milliseconds since the epoch (SQLite's is this machine's own), or undefined when it does
   * not answer within `withinMs` (a server that stalls just after the ping).
   */
  async clockMs(withinMs: number): Promise<number | undefined> {
    const q =
      this.db.dialect === 'sqlite'
        ? sql`SELECT (julianday('now') - 2440587.5) * 86400000.0 AS ms`
        : sql`SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS ms`;
    return within(
      withinMs,
      this.db.row<{ ms: unknown }>(q).then((row) => Number(row!.ms)),
    );
  }

  /**
   * Whether the database answers a trivial query within `withinMs`. A stalled server accepts the query and never
   * answers: a load balancer's check must hear "down" while its own timeout still runs, not wait with the requests.
   */
  async ping(withinMs: number): Promise<boolean> {
    const answered = await within(
      withinMs,
      this.db.rows(sql`SELECT 1 AS one`).then(() => true),
    );
    return answered === true;
  }
}

/** The answer, or undefined when it fails or does not come within `ms` (the query goes on, bounded by the pool). */
function within<T>(ms: number, answer: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([answer.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
