import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { createNestApp } from '../../src/common/http/adapter';
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
