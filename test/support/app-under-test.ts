import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { createNestApp } from '../../src/common/http/adapter';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrator';
import { SeedService } from '../../src/seed/seed.service';
import { DEMO_PASSWORD } from './accounts';

export type DbKind = 'mariadb' | 'sqlite';

export interface RunningApp {
  app: INestApplication;
  baseUrl: string;
  dataSource: DataSource;
  db: DbKind;
  /** The MariaDB database or the SQLite file. */
  dbName: string;
  close(): Promise<void>;
}

/** The service's own way to the database (DB_SOCKET, else DB_HOST:DB_PORT), for the ceiling and the bulk preparation. */
export const mariaConnection = () => ({
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  socketPath: process.env.DB_SOCKET || undefined,
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
});

/**
 * A database of its own (a fresh MariaDB database or SQLite file) for a service to start on, with the
 * environment set for it (read by the Nest module when it is created, or passed to a service process).
 */
export async function createDatabase(db: DbKind, prefix: string): Promise<{ dbName: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    SEED_DEMO: 'never',
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SEC: '0',
    DEMO_PASSWORD,
    DB_TYPE: db,
    // The suites, the simulation and the bench register hundreds of organizations from one address.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
    LOGIN_FAILURES_PER_IP_PER_MIN: '1000000',
  });
  if (db === 'sqlite') {
    const file = join(tmpdir(), `${name}.db`);
    process.env.DB_PATH = file;
    return { dbName: file, drop: async () => ['', '-wal', '-shm'].forEach((s) => rmSync(file + s, { force: true })) };
  }
  const admin = await createConnection(mariaConnection());
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  process.env.DB_NAME = name;
  const drop = async () => {
    const c = await createConnection(mariaConnection());
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.end();
  };
  return { dbName: name, drop };
}

/**
 * A database of its own, already migrated: a copy of one migrated once per test run (TEST_DB_TEMPLATE, named by
 * test/support/global-setup.ts). The migrations' DDL took 6–23 s of each suite's start on MariaDB, about a hundred
 * starts a run; a copy of the tables' definitions and the migrations' rows takes 0.4–1.4 s. Without a template named
 * the app migrates the fresh database at its start, as in production (and as the migration suites need).
 */
export async function createMigratedDatabase(db: DbKind, prefix: string): Promise<{ dbName: string; drop: () => Promise<void> }> {
  const made = await createDatabase(db, prefix);
  const template = process.env.TEST_DB_TEMPLATE;
  if (!template) return made;
  try {
    if (db === 'sqlite') copyFileSync(await sqliteTemplate(template), made.dbName);
    else await copyMariaDatabase(await mariaTemplate(template), made.dbName);
  } catch (e) {
    await made.drop();
    throw e;
  }
  return made;
}

/** Migrates a database of the kind and settings in the environment, named `target` (a database or a file). */
async function migrate(target: string): Promise<void> {
  const config = databaseConfig();
  const dataSource = await new DataSource(dataSourceOptions({ ...config, name: target, path: target })).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** The run's template file, made by the first suite that needs it (made aside, then renamed: never seen half made). */
async function sqliteTemplate(name: string): Promise<string> {
  const file = join(tmpdir(), `${name}.db`);
  if (existsSync(file)) return file;
  const making = `${file}.${process.pid}`;
  await migrate(making); // closing the last connection folds the WAL into the file
  renameSync(making, file);
  return file;
}

/** A table kept in the template once its migrations are done: a suite that died making it left none. */
const TEMPLATE_READY = 'zz_template_ready';

/** The run's template database, made by the first suite that needs it, under a lock other test processes wait on. */
async function mariaTemplate(name: string): Promise<string> {
  const c = await createConnection(mariaConnection());
  try {
    await c.query('SELECT GET_LOCK(?, 600)', [name]);
    const [ready] = await c.query('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [
      name,
      TEMPLATE_READY,
    ]);
    if ((ready as unknown[]).length === 0) {
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await migrate(name);
      await c.query(`CREATE TABLE \`${name}\`.${TEMPLATE_READY} (id INT)`);
    }
    return name;
  } finally {
    await c.query('SELECT RELEASE_LOCK(?)', [name]);
    await c.end();
  }
}

/** Each table of `from` made again in `to` as SHOW CREATE TABLE gives it (keys, foreign keys, checks), with its rows. */
async function copyMariaDatabase(from: string, to: string): Promise<void> {
  const c = await createConnection({ ...mariaConnection(), multipleStatements: true });
  try {
    const [rows] = await c.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> ?",
      [from, TEMPLATE_READY],
    );
    const tables = (rows as { name: string }[]).map((r) => r.name);
    const ddl: string[] = [];
    for (const table of tables) {
      const [[made]] = (await c.query(`SHOW CREATE TABLE \`${from}\`.\`${table}\``)) as unknown as [Record<string, string>[]];
      ddl.push(made['Create Table'].replace(/ AUTO_INCREMENT=\d+/, ''));
    }
    // Foreign keys name tables made later in the list.
    await c.query(`USE \`${to}\`; SET FOREIGN_KEY_CHECKS = 0; ${ddl.join(';\n')}`);
    for (const table of tables) await c.query(`INSERT INTO \`${to}\`.\`${table}\` SELECT * FROM \`${from}\`.\`${table}\``);
  } finally {
    await c.end();
  }
}

/** Run by globalTeardown: the run's template goes with it. */
export async function dropTemplate(name: string): Promise<void> {
  rmSync(join(tmpdir(), `${name}.db`), { force: true });
  if ((process.env.DB_TYPE ?? 'sqlite') === 'sqlite') return;
  const c = await createConnection(mariaConnection());
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.end();
}

/**
 * The real service, in this process, on a database of its own (a fresh MariaDB database or SQLite
 * file, removed on close unless `keep`), listening on a free port, with the staff users seeded.
 * The environment is set before the Nest module is created: configuration is read at that moment.
 */
export async function startApp(opts: { db: DbKind; prefix: string; keep?: boolean; poolSize?: number }): Promise<RunningApp> {
  const { dbName, drop } = await createDatabase(opts.db, opts.prefix);
  if (opts.poolSize) process.env.DB_POOL_SIZE = String(opts.poolSize);
  let app: INestApplication | undefined;
  try {
    // HTTP_ADAPTER=fastify runs the suites on Fastify, as main.ts serves with it.
    app = await createNestApp(AppModule, { logger: false });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    await app.get(SeedService).seedStaff();
  } catch (e) {
    await app?.close().catch(() => undefined);
    if (!opts.keep) await drop();
    throw e;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const started = app;
  return {
    app: started,
    baseUrl: `http://127.0.0.1:${port}`,
    dataSource: started.get(DataSource),
    db: opts.db,
    dbName,
    close: async () => {
      await started.close();
      if (!opts.keep) await drop();
    },
  };
}
