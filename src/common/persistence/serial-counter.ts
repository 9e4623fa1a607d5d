import { Database } from './database';
import { sql } from './sql';

/**
 * Reserves the next `count` numbers of a prefix and year in `serial_counter` and returns the last of them, in the
 * caller's transaction. One upsert takes the counter row's exclusive lock directly (insert ignore then update would take
 * a shared lock first and deadlock with a concurrent issuer), so two reservations never overlap, on any node.
 */
export async function reserveCounter(db: Database, prefix: string, year: number, count: number): Promise<number> {
  if (db.dialect === 'sqlite') {
    const row = await db.row<{ last_value: number }>(
      sql`INSERT INTO serial_counter (prefix, year, last_value) VALUES (${prefix}, ${year}, ${count})
          ON CONFLICT (prefix, year) DO UPDATE SET last_value = last_value + ${count} RETURNING last_value`,
    );
    return Number(row!.last_value);
  }
  // LAST_INSERT_ID(expr) hands the new value back on this connection, inserted or updated (MySQL, MariaDB, TiDB).
  await db.execute(
    sql`INSERT INTO serial_counter (prefix, year, last_value) VALUES (${prefix}, ${year}, LAST_INSERT_ID(${count}))
        ON DUPLICATE KEY UPDATE last_value = LAST_INSERT_ID(last_value + ${count})`,
  );
  return Number((await db.row<{ n: unknown }>(sql`SELECT LAST_INSERT_ID() AS n`))!.n);
}
