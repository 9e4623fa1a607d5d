import * as mysql2 from 'mysql2';
import { AsyncLocalStorage } from 'node:async_hooks';
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
  statementTimeoutSec,
  acquireTimeoutSec,
}: Pick<DatabaseConfig, 'causalReads' | 'lockWaitSec' | 'idleTransactionSec' | 'statementTimeoutSec' | 'acquireTimeoutSec'>) {
  const prepare = (connection: mysql2.PoolConnection) => {
    const dropOnError = (error: mysql2.QueryError | null) => error && connection.destroy();
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', dropOnError);
    connection.query(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSec}`, dropOnError);
    if (causalReads === 'on') connection.query('SET SESSION wsrep_sync_wait = 1', dropOnError);
    if (causalReads === 'auto') connection.query('SET SESSION wsrep_sync_wait = IF(@@wsrep_on, 1, 0)', () => undefined);
    // MariaDB only (10.3+); MySQL and TiDB refuse the variable, which leaves them as they were.
    connection.query(`SET SESSION idle_transaction_timeout = ${idleTransactionSec}`, () => undefined);
    if (statementTimeoutSec > 0) boundStatements(connection, statementTimeoutSec * 1000);
  };
  return Object.create(mysql2, {
    createPool: {
      value: (options: mysql2.PoolOptions) => {
        const pool = mysql2.createPool(options);
        pool.on('connection', prepare);
        if (acquireTimeoutSec > 0) boundAcquisition(pool, acquireTimeoutSec * 1000);
        return pool;
      },
    },
  });
}

/** Set while migrating: an ALTER of a large table may rightly run for minutes. */
const unbounded = new AsyncLocalStorage<true>();

/** Runs `work` with no statement timeout on the statements it sends (migrations). */
export const withoutStatementTimeout = <T>(work: () => Promise<T>): Promise<T> => unbounded.run(true, work);

type QueryCallback = (error: mysql2.QueryError | null, ...rest: unknown[]) => void;

/**
 * Every statement sent on `connection` (outside migrations) fails after `timeoutMs` without an answer, and the connection
 * is dropped then: a stalled server never answers it, and a later statement queued behind it on the same connection would
 * wait as long. mysql2's own timeout only fails the statement (PROTOCOL_SEQUENCE_TIMEOUT) and leaves the connection in
 * the pool with the statement still pending. The request answers 503 DATABASE_UNAVAILABLE (isDatabaseUnavailable).
 */
function boundStatements(connection: mysql2.PoolConnection, timeoutMs: number): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
  (connection as unknown as { query: (...args: unknown[]) => unknown }).query = (sql: unknown, values?: unknown, cb?: unknown) => {
    const callback = (typeof values === 'function' ? values : cb) as QueryCallback | undefined;
    const bounded = typeof sql === 'string' || (typeof sql === 'object' && sql !== null && !('timeout' in sql));
    if (!bounded || !callback || unbounded.getStore()) return query(sql, values, cb);
    const options = typeof sql === 'string' ? { sql, timeout: timeoutMs } : { ...sql, timeout: timeoutMs };
    const done: QueryCallback = (error, ...rest) => {
      if (error?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
      callback(error, ...rest);
    };
    return typeof values === 'function' ? query(options, done) : query(options, values, done);
  };
}

/** Marks a waiter's callback as bounded already: mysql2 hands a queued waiter back to getConnection when a slot frees. */
const BOUNDED = Symbol('bounded acquisition');

/**
 * A request waits at most `timeoutMs` for a pool connection, connecting included, then fails with POOL_ACQUIRE_TIMEOUT
 * (503 DATABASE_UNAVAILABLE). mysql2 queues waiters without a limit: while the pool's connections hang on a stalled
 * server, every request behind them would wait for the stall to end. A waiter that gives up stays in mysql2's queue; the
 * connection it is handed later goes straight back.
 */
function boundAcquisition(pool: mysql2.Pool, timeoutMs: number): void {
  type Waiter = ((error: NodeJS.ErrnoException | null, connection?: mysql2.PoolConnection) => void) & { [BOUNDED]?: true };
  const getConnection = pool.getConnection.bind(pool) as (cb: Waiter) => void;
  (pool as unknown as { getConnection: (cb: Waiter) => void }).getConnection = (cb: Waiter) => {
    if (cb[BOUNDED]) return getConnection(cb);
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      const error: NodeJS.ErrnoException = new Error(`no database connection within ${timeoutMs} ms`);
      error.code = 'POOL_ACQUIRE_TIMEOUT';
      cb(error);
    }, timeoutMs);
    const waiter: Waiter = (error, connection) => {
      if (settled) return connection?.release();
      settled = true;
      clearTimeout(timer);
      cb(error, connection);
    };
    waiter[BOUNDED] = true;
    getConnection(waiter);
  };
}
