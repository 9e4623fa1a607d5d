import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';

@Injectable()
export class HealthRepository {
  constructor(private readonly db: Database) {}

  get dialect(): string {
    return this.db.dialect;
  }

  /** Whether the database answers a trivial query. */
  async ping(): Promise<boolean> {
    return this.db.rows(sql`SELECT 1 AS one`).then(
      () => true,
      () => false,
    );
  }
}
