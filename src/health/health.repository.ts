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

  /** Whether the database answers a trivial query. */
  async ping(): Promise<boolean> {
    return this.db.rows(sql`SELECT 1 AS one`).then(
      () => true,
      () => false,
    );
  }
}
