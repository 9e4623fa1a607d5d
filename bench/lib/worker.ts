import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { fork } from 'node:child_process';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { percentile } from '../../src/oversight/stats.rules';
import { mariaConnection } from '../../test/support/app-under-test';
import { BenchWorld, prepareApprovedClaims, preparePaidLines, removeSettlements } from './bench-world';
import { generateVolume, VolumeInput } from './volume';

/** Seconds a paced load runs at its rate before its latencies count (see `paced`). */
const PACED_WARMUP_SEC = 2;

/** One load run (autocannon's, or `paced`), described as data to cross into the child process that generates it. */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** GET these paths in turn. */
  paths?: string[];
  /** GET these paths in turn, each with its caller's token. */
  authorizedPaths?: { path: string; token: string }[];
  /** POST /api/redemptions with these in turn: each request a valid hold of one unit. */
  holds?: { token: string; voucherId: string; facilityId: string }[];
  /**
   * POST /api/bookings of one hour each, half of them on the busy facility, the rest spread over the others; each
   * facility's hours are taken in turn from `fromMs` on, so every request is for a free slot.
   */
  bookings?: { holds: { token: string; voucherId: string }[]; busyId: string; otherIds: string[]; fromMs: number };
  /**
   * GET `paths` or `authorizedPaths` at this steady rate instead of as fast as `connections` allow (see `paced`);
   * `connections` is then ignored.
   */
  ratePerSec?: number;
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  statusCodes: Record<string, number>;
  /** CPU milliseconds the load generator itself used: it shares the machine's cores with the service and MariaDB. */
  cpuMs: number;
}

/** Work the benchmark hands to a child process, so that neither the load generator nor the bulk preparation shares the service's event loop or counts in its memory. */
export type Task =
  | { task: 'load'; spec: LoadSpec }
  | { task: 'claims'; database: string; world: BenchWorld; count: number; seed?: number }
  | { task: 'lines'; database: string; world: BenchWorld; count: number }
  | { task: 'remove'; database: string; settlementIds: string[] }
  | { task: 'volume'; database: string; input: VolumeInput };

export function inChild<T>(task: Task): Promise<T> {
  return new Promise((resolve, reject) => {
    // The service's node flags (a heap cap, --cpu-prof) are the service's: the child runs with defaults.
    const child = fork(join(__dirname, 'worker.js'), [], { stdio: 'inherit', execArgv: [], env: { ...process.env, NODE_OPTIONS: '' } });
    child.once('message', (m) => resolve(m as T));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`bench worker (${task.task}) exited with ${code}`)));
    child.send(task);
  });
}

export const runLoad = (spec: LoadSpec) => inChild<LoadResult>({ task: 'load', spec });

async function perform(t: Task): Promise<unknown> {
  if (t.task === 'load') return t.spec.ratePerSec ? paced(t.spec, t.spec.ratePerSec) : generate(t.spec);
  const conn = await createConnection({ ...mariaConnection(), database: t.database });
  try {
    if (t.task === 'claims') return await prepareApprovedClaims(conn, t.world, t.count, t.seed);
    if (t.task === 'lines') return await preparePaidLines(conn, t.world, t.count);
    if (t.task === 'volume') return await generateVolume(conn, t.input, (line) => console.log(`[volume] ${line}`));
    return await removeSettlements(conn, t.settlementIds);
  } finally {
    await conn.end();
  }
}

/** User and system CPU milliseconds of this process (all its threads) since `before`, or since it started. */
export function cpuMsSince(before?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  let next = 0;
  const hour = 3_600_000;
  const nextHour = new Map<string, number>();
  const booking = spec.bookings
    ? {
        method: 'POST',
        path: '/api/bookings',
        setupRequest: () => {
          const b = spec.bookings!;
          const n = next++;
          const h = b.holds[n % b.holds.length];
          const facilityId = n % 2 === 0 ? b.busyId : b.otherIds[(n >> 1) % b.otherIds.length];
          const k = nextHour.get(facilityId) ?? 0;
          nextHour.set(facilityId, k + 1);
          const start = b.fromMs + k * hour;
          return {
            method: 'POST',
            path: '/api/bookings',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.token}` },
            body: JSON.stringify({
              facilityId,
              voucherId: h.voucherId,
              start: new Date(start).toISOString(),
              end: new Date(start + hour).toISOString(),
            }),
          };
        },
      }
    : undefined;
  const request = booking
    ? booking
    : spec.holds
      ? {
          method: 'POST',
          path: '/api/redemptions',
          setupRequest: () => {
            const h = spec.holds![next++ % spec.holds!.length];
            return {
              method: 'POST',
              path: '/api/redemptions',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${h.token}` },
              body: JSON.stringify({ voucherId: h.voucherId, facilityId: h.facilityId, quantity: 1 }),
            };
          },
        }
      : spec.authorizedPaths
        ? {
            method: 'GET',
            setupRequest: () => {
              const p = spec.authorizedPaths![next++ % spec.authorizedPaths!.length];
              return { method: 'GET', path: p.path, headers: { authorization: `Bearer ${p.token}` } };
            },
          }
        : { method: 'GET', setupRequest: () => ({ method: 'GET', path: spec.paths![next++ % spec.paths!.length], headers: {} }) };
  const cpuBefore = process.cpuUsage();
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 30,
    requests: [request],
  });
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([s, v]) => [s, Number(v.count)]));
  return {
    requestsPerSec: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSec: r.duration,
    statusCodes,
    cpuMs: cpuMsSince(cpuBefore),
  };
}

/**
 * GET `spec.paths` (or `authorizedPaths`) in turn, one request every 1/rate s on its schedule whatever the earlier ones
 * are doing (an open loop: a user does not wait for another's answer), each latency counted from the moment it was
 * due, so that time spent queued in front of the service counts too. Written here because autocannon's `overallRate`
 * sends each connection's quota back to back at the top of every second: a burst each second, not a rate.
 * The first PACED_WARMUP_SEC at the same rate are not counted: a fresh load process compiles its HTTP client and
 * opens its connections then: on 2026-12-02 the whole slowest 1 % of a 10-s run at 350/s fell in its first 0.3 s, and
 * a 12-s run had a p99 of 52 ms over all its requests and of 17 ms from its third second on.
 */
async function paced(spec: LoadSpec, ratePerSec: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const warmup = Math.round(ratePerSec * PACED_WARMUP_SEC);
  const total = warmup + Math.round(ratePerSec * spec.durationSec);
  const targets = spec.paths?.map((path) => ({ path, token: undefined })) ?? spec.authorizedPaths!;
  const one = ({ path, token }: { path: string; token?: string }, dueAt: number, counted: boolean) =>
    new Promise<void>((done) => {
      const headers = token ? { authorization: `Bearer ${token}` } : {};
      const req = get(`${spec.url}${path}`, { agent, headers, timeout: 30_000 }, (res) => {
        res.resume();
        res.once('end', () => {
          if (counted) {
            latencies.push(performance.now() - dueAt);
            statusCodes[res.statusCode!] = (statusCodes[res.statusCode!] ?? 0) + 1;
          }
          done();
        });
      });
      req.once('timeout', () => {
        if (counted) timeouts++;
        req.destroy();
      });
      req.once('error', () => {
        if (counted) errors++; // a timeout counts here too, as autocannon counts it
        done();
      });
    });
  const dueAt = (n: number) => started + (n * 1000) / ratePerSec;
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < total;) {
    for (const now = performance.now(); sent < total && dueAt(sent) <= now; sent++)
      inFlight.push(one(targets[sent % targets.length], dueAt(sent), sent >= warmup));
    await new Promise((wake) => setTimeout(wake, Math.max(0, dueAt(sent) - performance.now())));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const durationSec = (performance.now() - dueAt(warmup)) / 1000;
  const at = (p: number) => Math.round(percentile(latencies, p) ?? NaN);
  const ok = Object.entries(statusCodes).reduce((n, [code, count]) => (code.startsWith('2') ? n + count : n), 0);
  return {
    requestsPerSec: ok / durationSec,
    p50Ms: at(50),
    p99Ms: at(99),
    ok,
    non2xx: latencies.length - ok,
    errors,
    timeouts,
    durationSec,
    statusCodes,
    cpuMs: cpuMsSince(cpuBefore),
  };
}

if (require.main === module) {
  process.once('message', (task: Task) => {
    perform(task).then(
      (result) => process.send!(result ?? null, () => process.exit(0)),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
