import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, DataSourceOptions, Migration, MigrationExecutor, QueryRunner } from 'typeorm';
import { isRetryable } from '../common/persistence/db-errors';
import { MigrationLockRepository } from './migration-lock.repository';
import { withoutStatementTimeout } from './data-source-options';
import { rerunnable } from './rerunnable-ddl';

const LEASE_SEC = 60;
const RENEW_MS = 15_000;
const POLL_MS = 500;
const logger = new Logger('Migrations');

/**
 * Runs `work` (migrating or reverting) while this process holds the migration lease, so that API nodes starting
 * together, a setup worker and `npm run migration:run` never migrate at once: the others wait until the holder is
 * done and then find nothing pending. SQLite runs one process, so it has nothing to wait for. Its statements have no
 * DB_STATEMENT_TIMEOUT_SEC: an ALTER of a large table may rightly run for minutes.
 */
export async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'better-sqlite3') return work();
  return withoutStatementTimeout(() => leased(dataSource, work));
}

async function leased<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const lock = new MigrationLockRepository(runner);
  const me = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  try {
    for (let attempt = 1; ; attempt++) {
      // Two nodes creating the row at once: Galera certifies one insert and reports the other as a deadlock.
      const made = await lock.ensure().then(() => true, notWhenRetryable);
      if (made) break;
      if (attempt === 10) throw new Error('could not create the migration lock row');
      await sleep(POLL_MS);
    }
    let waitingFor: string | null = null;
    while (!(await lock.claim(me, LEASE_SEC).catch(notWhenRetryable))) {
      const holder = await lock.holder();
      if (holder !== waitingFor && holder !== null) logger.log(`waiting for ${holder} to finish migrating`);
      waitingFor = holder;
      await sleep(POLL_MS);
    }
    // Renewed well before it expires; a holder that dies stops renewing, and the lease passes on after LEASE_SEC.
    const renewal = setInterval(
      () =>
        void lock.renew(me, LEASE_SEC).then(
          (held) => held || logger.warn('the migration lease expired while migrating: another process may migrate too'),
          (e: Error) => logger.warn(`renewing the migration lease: ${e.message}`),
        ),
      RENEW_MS,
    );
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await lock.release(me);
    }
  } finally {
    await runner.release();
  }
}

/** A claim that lost a race with another node's (Galera reports it as a deadlock) is a claim that did not succeed. */
function notWhenRetryable(e: unknown): false {
  if (isRetryable(e)) return false;
  throw e;
}

/**
 * Pending migrations, once across every process that starts on the database. A process that dies while migrating
 * leaves on MySQL/MariaDB a migration half applied (its DDL committed statement by statement): the next one runs it
 * again through a runner that leaves out what is done already (rerunnable). `queryRunner`: the connection to migrate
 * through (a test's, to cut it off), else one from the pool.
 */
export async function runMigrations(dataSource: DataSource, queryRunner?: QueryRunner): Promise<Migration[]> {
  const ran = await withMigrationLock(dataSource, async () => {
    const runner = queryRunner ?? dataSource.createQueryRunner();
    try {
      const executor = new MigrationExecutor(dataSource, rerunnable(runner));
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      if (!queryRunner) await runner.release();
    }
  });
  if (ran.length) logger.log(`ran ${ran.map((m) => m.name).join(', ')}`);
  return ran;
}

/** The service's DataSource, connected and migrated (TypeOrmModule's dataSourceFactory). */
export async function migratedDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource(options).initialize();
  try {
    await runMigrations(dataSource);
    return dataSource;
  } catch (e) {
    await dataSource.destroy();
    throw e;
  }
}
