import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from '../common/database/naming.strategy';
import { projectRoot } from '../common/paths';
import type { DatabaseConfig } from '../config/configuration';
import { ENTITIES } from './entities';

/** One description of the database for the app, the CLI and the tests. */
export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, namingStrategy: new SnakeNamingStrategy(), synchronize: false, migrationsTransactionMode: 'each' as const };
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
    username: db.user,
    password: db.password,
    database: db.name,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: db.poolSize,
  };
}
