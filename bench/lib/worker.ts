import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { mariaConnection } from '../../test/support/app-under-test';
import { BenchWorld, prepareApprovedClaims, preparePaidLines, removeSettlements } from './bench-world';
import { generateVolume, VolumeInput } from './volume';

/** One autocannon run, described as data so it can cross into the child process that generates the load. */
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
  if (t.task === 'load') return generate(t.spec);
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
