import type { QueryRunner } from 'typeorm';
import { Sql, sql } from '../common/persistence/sql';

/**
 * The lease that lets one process at a time migrate a MySQL-family database: one row of a table of its own, made
 * outside the migrations (it must exist before they run). A holder claims it with a conditional UPDATE that commits
 * at once. A row lock held for the length of the migrations would not do: Galera does not replicate locks (a
 * SELECT … FOR UPDATE on another node is granted at once), and GET_LOCK is not supported there; a committed UPDATE is
 * certified on every node, so of two claims on different nodes one finds the row taken. The lease expires when its
 * holder stops renewing it (a process that died while migrating), measured by the database's clock, not the nodes'.
 */
export class MigrationLockRepository {
  constructor(private readonly runner: QueryRunner) {}

  async ensure(): Promise<void> {
    await this.runner.query(
      'CREATE TABLE IF NOT EXISTS migration_lock (id INTEGER NOT NULL PRIMARY KEY, holder VARCHAR(200) NULL, expires_at BIGINT NOT NULL)',
    );
    // An upsert, so two processes creating the row at once neither fail nor wait on each other's shared lock.
    await this.execute(sql`INSERT INTO migration_lock (id, holder, expires_at) VALUES (1, NULL, 0) ON DUPLICATE KEY UPDATE id = id`);
  }

  /** Takes the lease for `leaseSec` if it is free or expired. */
  async claim(holder: string, leaseSec: number): Promise<boolean> {
    return (
      (await this.execute(
        sql`UPDATE migration_lock SET holder = ${holder}, expires_at = UNIX_TIMESTAMP() + ${leaseSec}
            WHERE id = 1 AND (holder IS NULL OR expires_at < UNIX_TIMESTAMP())`,
      )) === 1
    );
  }

  /** Extends the holder's lease; false if it is no longer the holder. */
  async renew(holder: string, leaseSec: number): Promise<boolean> {
    return (
      (await this.execute(
        sql`UPDATE migration_lock SET expires_at = UNIX_TIMESTAMP() + ${leaseSec} WHERE id = 1 AND holder = ${holder}`,
      )) === 1
    );
  }

  async release(holder: string): Promise<void> {
    await this.execute(sql`UPDATE migration_lock SET holder = NULL, expires_at = 0 WHERE id = 1 AND holder = ${holder}`);
  }

  /** Who holds the lease now, if anyone. */
  async holder(): Promise<string | null> {
    const rows = (await this.runner.query('SELECT holder FROM migration_lock WHERE id = 1')) as { holder: string | null }[];
    return rows[0]?.holder ?? null;
  }

  private async execute(q: Sql): Promise<number> {
    return (await this.runner.query(q.sql, q.values, true)).affected ?? 0;
  }
}
