import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';

@Injectable()
export class HealthRepository {
  constructor(private readonly db: Database) {}

  get dialect(): string {
    return this.db.dialect;
  }

  /** The database's clock, in milliseconds since the epoch (SQLite's is this machine's own). */
  async clockMs(): Promise<number> {
    const q =
      this.db.dialect === 'sqlite'
        ? sql`SELECT (julianday('now') - 2440587.5) * 86400000.0 AS ms`
        : sql`SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS ms`;
    const row = await this.db.row<{ ms: unknown }>(q);
    return Number(row!.ms);
  }

  /**
   * Whether the database answers a trivial query within `withinMs`. A stalled server accepts the query and never
   * answers: a load balancer's check must hear "down" while its own timeout still runs, not wait with the requests.
   */
  async ping(withinMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
    const answer = this.db.rows(sql`SELECT 1 AS one`).then(
      () => true,
      () => false,
    );
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }
}
