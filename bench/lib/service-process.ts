import { NestFactory } from '@nestjs/core';
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { projectRoot } from '../../src/common/paths';
import { databaseConfig, DatabaseConfig } from '../../src/config/configuration';
import { SeedService } from '../../src/seed/seed.service';
import { createDatabase } from '../../test/support/app-under-test';
import { childPids, freePort, readProc, stopProcess, waitUntilServing } from '../../test/support/processes';

const TICK_MS = 10; // /proc times are in clock ticks of 1/100 s on Linux
const PAGE_BYTES = 4096;

/**
 * The peak RSS of the service's processes, sampled every 100 ms: the largest process's and all of them together, and
 * the last step `logged` before the largest peaked (the step running then is the one logged next).
 */
export function rssSampler(service: Pick<ServiceProcess, 'rssMb'>) {
  const peak = { largest: 0, total: 0, after: '' };
  let last = '(start)';
  const sample = () => {
    const now = service.rssMb();
    if (now.largest > peak.largest) Object.assign(peak, { largest: now.largest, after: last });
    peak.total = Math.max(peak.total, now.total);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    peak,
    logged: (line: string) => {
      sample();
      last = line;
    },
    stop: () => clearInterval(timer),
  };
}

export interface ServiceProcess {
  baseUrl: string;
  dbName: string;
  /** The audit signing key every process of the service signs checkpoints with (PKCS#8 PEM). */
  signingKeyPem: string;
  /** Database connections per service process (DB_POOL_SIZE, or the service's default). */
  dbPoolSize: number;
  /** The primary and its workers. */
  pids(): number[];
  /** CPU milliseconds the service's processes have used so far. */
  cpuMs(): number;
  /** Resident memory now, in MB: the largest process and all of them together. */
  rssMb(): { largest: number; total: number };
  /** With request logs on: the file the service's stdout goes to, and how many request lines it holds so far. */
  requestLog?: { file: string; lines(): number };
  close(): Promise<void>;
}

/** User and system CPU milliseconds the processes have used so far (from /proc; 0 for one that is gone). */
export function processCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = (readProc(pid, 'stat') ?? '').split(') ')[1]?.split(' ') ?? [];
    return sum + (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * TICK_MS; // utime, stime
  }, 0);
}

/**
 * The service as it is deployed: `node dist/src/main.js` with API_WORKERS processes on MariaDB (built first by
 * `npm run bench`), started on a fresh database whose schema and staff users are made beforehand in this process.
 * Its CPU and memory are read from /proc for the whole process tree.
 */
export async function spawnService(opts: {
  workers: number;
  poolSize?: number;
  nodeArgs?: string[];
  /**
   * LOG_LEVEL=info, as deployed: one line per request (method, path, status, time, ids) written to a file, as a
   * service manager's journal would take them. Off, the service runs at warn and writes no request lines.
   */
  requestLogs?: boolean;
  /** A database kept by an earlier run (BENCH_KEEP_DATABASE=1) and its audit key: migrated, served, kept again. */
  reuse?: { dbName: string; signingKeyPem: string };
}): Promise<ServiceProcess> {
  const { dbName, drop } = opts.reuse ? await reuseDatabase(opts.reuse.dbName) : await createDatabase('mariadb', 'vbench');
  const port = await freePort();
  // One audit key for the whole service, as a deployment sets it: without it each test-mode process makes its own.
  const signingKeyPem =
    opts.reuse?.signingKeyPem ?? (generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_WORKERS: String(opts.workers),
    PORT: String(port),
    LOG_LEVEL: opts.requestLogs ? 'info' : 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY: signingKeyPem,
    // The load generator is one loopback address registering a whole world: the per-address limit is not under test.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
  };
  if (opts.poolSize) env.DB_POOL_SIZE = String(opts.poolSize);
  // Its sweeps run as deployed, at the service's default interval in every worker (a test database turns them off).
  delete env.SWEEP_INTERVAL_SEC;
  let child: ChildProcess | undefined;
  try {
    Object.assign(process.env, env);
    const started = performance.now();
    const setup = await NestFactory.createApplicationContext(AppModule, { logger: false });
    // On a kept volume this is where the newer migrations (and their backfills) run.
    if (opts.reuse) console.log(`[bench] ${dbName} migrated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (!opts.reuse) await setup.get(SeedService).seedStaff();
    // The pool the service's processes open, as their configuration reads the same environment.
    const dbPoolSize = setup.get<DatabaseConfig>(databaseConfig.KEY).poolSize;
    await setup.close();

    const logFile = join(tmpdir(), `${dbName}-service.log`);
    const stdout = opts.requestLogs ? openSync(logFile, 'w') : 'inherit';
    child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--max-old-space-size=256', join(projectRoot, 'dist', 'src', 'main.js')], {
      env,
      stdio: ['ignore', stdout, 'inherit'],
    });
    if (typeof stdout === 'number') closeSync(stdout); // the child holds its own copy
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilServing(baseUrl, child);
    const primary = child;
    const pids = () => [primary.pid!, ...childPids(primary.pid!)];
    return {
      baseUrl,
      dbName,
      signingKeyPem,
      dbPoolSize,
      pids,
      cpuMs: () => processCpuMs(pids()),
      ...(opts.requestLogs
        ? {
            requestLog: {
              file: logFile,
              lines: () =>
                readFileSync(logFile, 'utf8')
                  .split('\n')
                  .filter((l) => l.includes('"res"')).length,
            },
          }
        : {}),
      rssMb: () => {
        const each = pids().map((pid) => (Number((readProc(pid, 'statm') ?? '0 0').split(' ')[1]) * PAGE_BYTES) / 2 ** 20);
        return { largest: Math.max(...each), total: each.reduce((a, b) => a + b, 0) };
      },
      close: async () => {
        await stopProcess(primary);
        if (opts.requestLogs) rmSync(logFile, { force: true });
        // BENCH_KEEP_DATABASE=1 leaves a generated volume behind, to EXPLAIN and time queries against it afterwards.
        if (process.env.BENCH_KEEP_DATABASE === '1' || opts.reuse) console.log(`[bench] database ${dbName} kept`);
        else await drop();
      },
    };
  } catch (e) {
    if (child) await stopProcess(child);
    await drop();
    throw e;
  }
}

/** The environment `createDatabase` sets, pointed at an existing database; dropping it is refused. */
async function reuseDatabase(dbName: string): Promise<{ dbName: string; drop: () => Promise<void> }> {
  const { drop } = await createDatabase('mariadb', 'vbench_unused');
  await drop();
  process.env.DB_NAME = dbName;
  return { dbName, drop: async () => {} };
}
