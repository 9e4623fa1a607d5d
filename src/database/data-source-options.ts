import * as mysql2 from 'mysql2';
import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { fitInPlaceRefs } from '../common/persistence/columns';
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
  fitInPlaceRefs(db.type);
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
    driver: sessionSettingsMysql2(db),
    // mysql2 would capture a stack trace on every query (6.5% of a hold's CPU); our errors never show one.
    trace: false,
  };
}

/**
 * mysql2 whose pool prepares every new connection before its first use (the settings are queued on the connection,
 * so they run first; setting them per transaction would cost a round trip each time):
 * - READ COMMITTED, which the unit of work relies on;
 * - a row-lock wait of at most DB_LOCK_WAIT_SEC (5 s), well inside the unit of work's retry budget;
 * - on MariaDB, a transaction idle for DB_IDLE_TRANSACTION_SEC (10 s) ended by the server: a node frozen or cut off
 *   mid-transaction (a lost machine sends no FIN) would otherwise hold its row locks for wait_timeout (8 h), and every
 *   other node's work on those rows, and the retry of its Idempotency-Key, would answer 503 all that time;
 * - causal reads on Galera (wsrep_sync_wait = 1): a read waits until this node has applied every write the cluster
 *   committed before it, so a hold created through one node is found through another at once. `auto` sets it where
 *   the server runs wsrep; a server without wsrep variables (MySQL, TiDB) refuses the statement, which then only
 *   says there is nothing to set.
 * A connection that cannot take a setting it needs is not used without it: it is dropped.
 */
function sessionSettingsMysql2({
  causalReads,
  lockWaitSec,
  idleTransactionSec,
}: Pick<DatabaseConfig, 'causalReads' | 'lockWaitSec' | 'idleTransactionSec'>) {
  const prepare = (connection: mysql2.PoolConnection) => {
    const dropOnError = (error: mysql2.QueryError | null) => error && connection.destroy();
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', dropOnError);
    connection.query(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSec}`, dropOnError);
    if (causalReads === 'on') connection.query('SET SESSION wsrep_sync_wait = 1', dropOnError);
    if (causalReads === 'auto') connection.query('SET SESSION wsrep_sync_wait = IF(@@wsrep_on, 1, 0)', () => undefined);
    // MariaDB only (10.3+); MySQL and TiDB refuse the variable, which leaves them as they were.
    connection.query(`SET SESSION idle_transaction_timeout = ${idleTransactionSec}`, () => undefined);
  };
  return Object.create(mysql2, {
    createPool: {
      value: (options: mysql2.PoolOptions) => {
        const pool = mysql2.createPool(options);
        pool.on('connection', prepare);
        return pool;
      },
    },
  });
}
