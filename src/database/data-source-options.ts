import * as mysql2 from 'mysql2';
import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from '../common/persistence/naming.strategy';
import { projectRoot } from '../common/paths';
import type { DatabaseConfig } from '../config/configuration';
import { ENTITIES } from './entities';

/** One description of the database for the app, the CLI and the tests. */
export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsTransactionMode: 'each' as const,
  };
  if (db.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path === ':memory:' ? db.path : resolve(projectRoot, db.path),
      // WAL: ~3x the write throughput (STACK.md); wait rather than fail if another process holds the lock.
      prepareDatabase: (conn: { pragma(sql: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
      },
    };
  }
  return {
    ...common,
    // TypeORM's 'mysql' emits FOR SHARE, a syntax error on MariaDB 10.11: use its own dialect there.
    type: db.type,
    host: db.host,
    port: db.port,
    // A database on the same machine is cheaper to reach through its Unix socket than through TCP.
    socketPath: db.socket,
    username: db.user,
    password: db.password,
    database: db.name,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: db.poolSize,
    driver: readCommittedMysql2,
    // mysql2 would capture a stack trace on every query (6.5% of a hold's CPU); our errors never show one.
    trace: false,
  };
}

/**
 * mysql2 whose pool puts every new connection at READ COMMITTED before its first use (the setting is
 * queued on the connection, so it runs first). TransactionService relies on it; setting the level per
 * transaction would cost a round trip each time.
 */
const readCommittedMysql2 = Object.create(mysql2, {
  createPool: {
    value: (options: mysql2.PoolOptions) => {
      const pool = mysql2.createPool(options);
      pool.on('connection', (connection) =>
        // A connection that cannot take the setting is not used at another level: it is dropped.
        connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (error) => error && connection.destroy()),
      );
      return pool;
    },
  },
});
