import 'reflect-metadata';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { AppConfig, appConfig, loadEnvFiles } from './config/configuration';
import { Environment, validateEnvironment } from './config/env.validation';
import { unsetSigningKey } from './config/signing-key';

// The Nest application is required only where it runs, so a supervising primary stays small.
const loadApp = () => ({
  ...(require('@nestjs/core') as typeof import('@nestjs/core')),
  ...(require('./app.module') as typeof import('./app.module')),
  ...(require('./seed/seed.service') as typeof import('./seed/seed.service')),
});

/** One API node: migrations, first-start seeding, then HTTP until SIGTERM. */
async function serve(): Promise<void> {
  const { AppModule, SeedService } = loadApp();
  const { Logger } = require('nestjs-pino') as typeof import('nestjs-pino');
  const { configureApp } = require('./app.setup') as typeof import('./app.setup');
  const { createNestApp } = require('./common/http/adapter') as typeof import('./common/http/adapter');
  // HTTP_ADAPTER=fastify (default) or express: docs/adr/0012-http-adapter.md.
  const app = await createNestApp(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureApp(app);
  await app.get(SeedService).seedOnFirstStart();
  const config = app.get<AppConfig>(appConfig.KEY);
  // Fastify listens on localhost alone unless given an address; Express on every one: Fastify is told to do the same.
  if (app.getHttpAdapter().getType() === 'fastify') await app.listen(config.port, '0.0.0.0');
  else await app.listen(config.port);
  app
    .get(Logger)
    .log(`API on http://localhost:${config.port}/api (${app.getHttpAdapter().getType()}) — docs at /docs, public pages at /facilities`);
  // A worker whose primary died would keep the port half-served with nobody to replace it: it stops too, and the
  // service manager (deploy/voucher.service, Restart=always) starts the whole tree again.
  if (cluster.isWorker) {
    process.once('disconnect', () => {
      app.get(Logger).warn('the primary is gone: stopping this worker');
      void app.close().finally(() => process.exit(0));
    });
  }
}

/** Migrations and first-start seeding alone, then exit: run once before the workers start. */
async function setUp(): Promise<void> {
  const { NestFactory, AppModule, SeedService } = loadApp();
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  await app.get(SeedService).seedOnFirstStart();
  await app.close();
  process.exit(0); // a worker's channel to the primary would keep it alive
}

/**
 * API_WORKERS > 1 on MySQL/MariaDB: the nodes are stateless, so one machine runs several behind one port
 * (node:cluster). A first worker migrates and seeds, so the others never race at it; every worker gets
 * the same token secret and audit signing key; a worker that dies is replaced, and SIGTERM is passed on for a
 * graceful stop.
 */
async function supervise(workers: number, env: Environment): Promise<void> {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  process.env.JWT_SECRET ||= randomBytes(32).toString('hex');
  if (!process.env.AUDIT_SIGNING_KEY) {
    const { pem, warning } = unsetSigningKey(env);
    if (warning) log.warn(warning);
    process.env.AUDIT_SIGNING_KEY = pem;
  }
  const setupCode = await new Promise<number | null>((resolve) => cluster.fork({ API_SETUP_ONLY: '1' }).once('exit', resolve));
  if (setupCode !== 0) throw new Error(`setting up the database failed (exit code ${setupCode})`);

  let stopping = false;
  const fork = () =>
    cluster.fork().once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ code, signal }, 'API worker died; starting another');
      setTimeout(fork, 1000);
    });
  for (let i = 0; i < workers; i++) fork();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    });
  }
  log.info({ workers, pid: process.pid }, `API on http://localhost:${env.PORT}/api with ${workers} workers`);
}

// async: a configuration error thrown while validating becomes a rejection, printed below as its message alone.
async function main(): Promise<void> {
  if (!cluster.isPrimary) return process.env.API_SETUP_ONLY ? setUp() : serve();
  loadEnvFiles();
  const env = validateEnvironment(process.env);
  const workers = env.API_WORKERS === 0 ? availableParallelism() : env.API_WORKERS;
  // SQLite has one writer and serialises transactions in-process: it runs as one node.
  return workers > 1 && env.DB_TYPE !== 'sqlite' ? supervise(workers, env) : serve();
}

main().catch((e) => {
  // A configuration error names the bad value; nothing else is worth a stack trace here either.
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
