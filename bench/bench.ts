import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareBenchWorld, prepareBookings } from './lib/bench-world';
import { projectRoot } from '../src/common/paths';
import { HoldTarget, measureCeiling, measureFairCeiling } from './lib/ceiling';
import { startHttpFloor } from './lib/http-floor';
import { HttpClient } from '../test/support/http-client';
import { processCpuMs, rssSampler, ServiceProcess, spawnService } from './lib/service-process';
import { cpuMsSince, inChild, runLoad } from './lib/worker';
import { createConnection } from 'mysql2/promise';
import { mariaConnection } from '../test/support/app-under-test';
import { VOLUMES, VolumeName } from './lib/volume';
import { median } from './lib/volume-bench';
import { bufferPoolMb, measureKeptVolume, readKeptVolume, runAtVolume } from './lib/volume-run';
import { runMain } from './lib/cli';

/** The targets on a 2-core machine. */
const TARGETS = {
  holdsPerSec: 800,
  holdsP99Ms: 100,
  ratioToCeiling: 0.5,
  searchPerSec: 2_500,
  settlement100kSec: 10,
  clearing200kSec: 5,
  peakRssMb: 300,
};

/** Seconds of each alternating round of the fair ceiling and the holds. */
const ROUND_SEC = 3;

/** CPU milliseconds the service's processes spent on `work`: per request, what bounds throughput on this machine. */
async function cpuMs<T>(service: ServiceProcess, work: () => Promise<T>): Promise<[T, number]> {
  const [result, cpu] = await cpuOf({ service: () => service.cpuMs() }, work);
  return [result, cpu.service];
}

/**
 * MariaDB's own CPU milliseconds so far, read from /proc when it runs on this machine (its pid file readable), else
 * undefined: with the service's and the load generator's, where a hold's share of the two cores goes.
 */
async function databaseCpuMeter(): Promise<(() => number) | undefined> {
  const conn = await createConnection(mariaConnection());
  try {
    const [[row]] = (await conn.query('SELECT @@pid_file AS pidFile, @@datadir AS datadir')) as unknown as [
      { pidFile: string; datadir: string }[],
    ];
    const pid = Number(readFileSync(isAbsolute(row.pidFile) ? row.pidFile : join(row.datadir, row.pidFile), 'utf8').trim());
    return existsSync(`/proc/${pid}/stat`) ? () => processCpuMs([pid]) : undefined;
  } catch {
    return undefined;
  } finally {
    await conn.end();
  }
}

/** Statements MariaDB received while `work` ran (its `Questions` counter): round trips per request, besides CPU. */
async function statements<T>(work: () => Promise<T>): Promise<[T, number]> {
  const conn = await createConnection(mariaConnection());
  const questions = async () => {
    const [[row]] = (await conn.query("SHOW GLOBAL STATUS LIKE 'Questions'")) as unknown as [{ Value: string }[]];
    return Number(row.Value);
  };
  try {
    const before = await questions();
    const result = await work();
    // The counter's own query is one statement.
    return [result, (await questions()) - before - 1];
  } finally {
    await conn.end();
  }
}

/** CPU milliseconds each meter counted while `work` ran. */
async function cpuOf<T, K extends string>(meters: Record<K, () => number>, work: () => Promise<T>): Promise<[T, Record<K, number>]> {
  const names = Object.keys(meters) as K[];
  const before = names.map((name) => meters[name]());
  const result = await work();
  return [result, Object.fromEntries(names.map((name, i) => [name, meters[name]() - before[i]])) as Record<K, number>];
}

/** CPU milliseconds per request, to two decimals (null where a meter could not be read). */
function perRequest<K extends string>(cpu: Record<K, number>, requests: number): Record<K, number | null> {
  const round = (ms: number) => (Number.isFinite(ms) ? Number((ms / requests).toFixed(2)) : null);
  return Object.fromEntries(Object.entries<number>(cpu).map(([name, ms]) => [name, round(ms)])) as Record<K, number | null>;
}

/** Wall-clock seconds `work` took. */
async function seconds<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const result = await work();
  return [result, (performance.now() - t) / 1000];
}

/**
 * `npm run bench -- [--workers N] [--duration 12] [--connections 32] [--pool N] [--profile] [--quick] [--holds-only]
 *   [--request-logs] [--rounds 3]
 *   [--volume hundredth|tenth|half|year [--reuse-database DB]] [--buffer-pool-mb N]`
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: String(availableParallelism()) },
      duration: { type: 'string', default: '12' },
      connections: { type: 'string', default: '32' },
      pool: { type: 'string' },
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      // --holds-only: the ceilings and the holds, nothing else; for trying a change to the hold's cost (with --profile).
      'holds-only': { type: 'boolean', default: false },
      // --http-floor: after the holds' rounds, the fair ceiling's hold behind a bare HTTP server too (bench/lib/http-floor.ts).
      'http-floor': { type: 'boolean', default: false },
      // --request-logs: the service at LOG_LEVEL=info, as deployed, its request lines written to a file (else warn).
      'request-logs': { type: 'boolean', default: false },
      // --rounds: alternating rounds of the fair ceiling and the holds after the main measures (0: none).
      rounds: { type: 'string', default: '3' },
      volume: { type: 'string' },
      // The InnoDB buffer pool for the run (SET GLOBAL, put back afterwards): a deployment sizes it to its data.
      'buffer-pool-mb': { type: 'string' },
      'reuse-database': { type: 'string' },
    },
  });
  if (values.volume !== undefined && !(values.volume in VOLUMES))
    throw new Error(`--volume takes one of ${Object.keys(VOLUMES).join(', ')}`);
  const durationSec = Number(values.duration);
  const connections = Number(values.connections);
  const workers = Number(values.workers);
  const profileDir = join(projectRoot, 'bench', 'results', 'profiles');
  const loadBefore = loadavg();
  const restoreBufferPool = values['buffer-pool-mb'] ? await setBufferPool(Number(values['buffer-pool-mb'])) : async () => {};
  // --profile: each service process writes a V8 CPU profile when it stops (open it in Chrome DevTools).
  const reuse = values['reuse-database'];
  if (reuse && !values.volume) throw new Error('--reuse-database measures a kept volume: give its --volume too');
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const running = await spawnService({
    workers,
    poolSize: values.pool ? Number(values.pool) : undefined,
    nodeArgs,
    requestLogs: values['request-logs'],
    reuse: reuse ? { dbName: reuse, signingKeyPem: readKeptVolume(reuse).signingKeyPem } : undefined,
  });
  const rss = rssSampler(running);
  const log = (line: string) => {
    rss.logged(line);
    const now = running.rssMb();
    console.log(
      `[bench] ${line} (service rss ${Math.round(now.total)} MB in ${running.pids().length} processes, largest ${Math.round(now.largest)} MB)`,
    );
  };
  try {
    const http = new HttpClient(running.baseUrl);
    if (reuse) return await measureKeptVolume(reuse, running, http, { connections, durationSec, workers, loadBefore, log });
    const [world, worldSec] = await seconds(() => prepareBenchWorld(http, { enterprises: 32, vouchersEach: 4 }));
    log(
      `world ready in ${worldSec.toFixed(1)} s: ${world.holds.length} vouchers for holds, ${world.searchPaths.length} search queries over 200 facilities`,
    );
    // --volume: the same measures on this nearly empty database and after a year's data (or a part of it) is written into it.
    if (values.volume) {
      return await runAtVolume(values.volume as VolumeName, running, http, world, {
        connections,
        durationSec,
        workers,
        loadBefore,
        log,
      });
    }

    const ceiling = await measureCeiling(
      running.dbName,
      world.holds.map((h) => h.voucherId),
      connections,
      Math.min(durationSec, 10),
    );
    log(
      `ceiling (raw mysql2, ${connections} connections, guarded update + transfer insert per transaction): ${ceiling.perSec.toFixed(0)}/s`,
    );
    const databaseCpuMs = (await databaseCpuMeter()) ?? (() => NaN);
    const [fairCeiling, fairCeilingCpu] = await cpuOf({ database: databaseCpuMs, client: () => cpuMsSince() }, () =>
      measureFairCeiling(running.dbName, world.holds, connections, Math.min(durationSec, 10)),
    );
    const fairCeilingCpuMsPerHold = perRequest(fairCeilingCpu, fairCeiling.commits);
    log(
      `fair ceiling (raw mysql2, ${connections} connections, a hold's own ${fairCeiling.statementsPerHold} statements with its row locks, one READ COMMITTED transaction): ${fairCeiling.perSec.toFixed(0)}/s; CPU per hold: MariaDB ${fairCeilingCpuMsPerHold.database} ms, its client ${fairCeilingCpuMsPerHold.client} ms`,
    );
    // The replayed holds left audit entries pending: sealed now (listing the log seals first), not during the measured holds.
    const sealReplayed = async () => {
      const sealed = await http.request('GET', '/api/audit?limit=1', { token: world.staff.platform });
      if (sealed.status !== 200) throw new Error(`sealing after the fair ceiling: ${sealed.status} ${sealed.text.slice(0, 200)}`);
    };
    await sealReplayed();

    await runLoad({ url: running.baseUrl, connections, durationSec: 3, holds: world.holds });
    const [[holds, holdsCpu], holdsStatements] = await statements(() =>
      cpuOf({ service: () => running.cpuMs(), database: databaseCpuMs }, () =>
        runLoad({ url: running.baseUrl, connections, durationSec, holds: world.holds }),
      ),
    );
    const holdsCpuMsPerRequest = perRequest({ ...holdsCpu, loadGenerator: holds.cpuMs }, holds.ok + holds.non2xx);
    const cpuMsPerHold = holdsCpu.service / (holds.ok + holds.non2xx);
    const statementsPerHold = holdsStatements / (holds.ok + holds.non2xx);
    log(
      `holds: ${holds.requestsPerSec.toFixed(0)}/s, p50 ${holds.p50Ms} ms, p99 ${holds.p99Ms} ms, non-2xx ${holds.non2xx}, errors ${holds.errors} ${JSON.stringify(holds.statusCodes)}; service CPU ${cpuMsPerHold.toFixed(2)} ms and ${statementsPerHold.toFixed(1)} statements per hold; MariaDB ${holdsCpuMsPerRequest.database} ms, load generator ${holdsCpuMsPerRequest.loadGenerator} ms of CPU per hold`,
    );
    log(
      `holds / ceiling ${(holds.requestsPerSec / ceiling.perSec).toFixed(3)}, holds / fair ceiling ${(holds.requestsPerSec / fairCeiling.perSec).toFixed(3)}`,
    );
    // The machine's speed drifts, up to 2× between neighbouring minutes, and the two figures above are a minute apart:
    // short rounds of one then the other give ratios that the drift moves less.
    const roundRatios: number[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      const fair = await measureFairCeiling(running.dbName, world.holds, connections, ROUND_SEC);
      await sealReplayed();
      const held = await runLoad({ url: running.baseUrl, connections, durationSec: ROUND_SEC, holds: world.holds });
      if (held.non2xx + held.errors > 0)
        throw new Error(`holds in round ${round + 1}: ${JSON.stringify(held.statusCodes)}, ${held.errors} errors`);
      roundRatios.push(Number((held.requestsPerSec / fair.perSec).toFixed(3)));
    }
    const roundsMedian = roundRatios.length > 0 ? median(roundRatios) : null;
    if (roundRatios.length > 0) {
      log(
        `holds / fair ceiling in ${roundRatios.length} alternating rounds of ${ROUND_SEC} s: ${roundRatios.join(', ')}; median ${roundsMedian}`,
      );
    }
    if (running.requestLog) log(`request logs on: ${running.requestLog.lines()} request lines so far in ${running.requestLog.file}`);
    if (values['http-floor'])
      await measureHttpFloor(running, world.holds, {
        connections,
        durationSec,
        rounds: Number(values.rounds),
        nodeArgs,
        sealReplayed,
        log,
      });
    if (values['holds-only']) return 0;

    const [search, searchCpuMs] = await cpuMs(running, () =>
      runLoad({ url: running.baseUrl, connections, durationSec, paths: world.searchPaths }),
    );
    const cpuMsPerSearch = searchCpuMs / (search.ok + search.non2xx);
    log(
      `search: ${search.requestsPerSec.toFixed(0)}/s, p50 ${search.p50Ms} ms, p99 ${search.p99Ms} ms, non-2xx ${search.non2xx}; service CPU ${cpuMsPerSearch.toFixed(2)} ms per search`,
    );

    // Instrument booking: a month view of a facility with 500 bookings, then bookings at full load, half of them on
    // that busy facility and half spread over the other facilities with calendars (those the holds do not order from).
    const [booked, bookedSec] = await seconds(() => prepareBookings(http, world, 500));
    log(`calendars on ${booked.otherIds.length + 1} facilities and 500 bookings of the busy one in ${bookedSec.toFixed(1)} s`);
    const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10); // Shanghai date
    const monthPath = (offsetDays: number) =>
      `/api/facilities/${booked.busyId}/availability?from=${day(Date.now() + offsetDays * 86_400_000)}&to=${day(Date.now() + (offsetDays + 30) * 86_400_000)}`;
    const [availability, availabilityCpuMs] = await cpuMs(running, () =>
      runLoad({ url: running.baseUrl, connections, durationSec, paths: [0, 1, 2, 3].map(monthPath) }),
    );
    const cpuMsPerAvailability = availabilityCpuMs / (availability.ok + availability.non2xx);
    log(
      `availability (31 days, 500 bookings): ${availability.requestsPerSec.toFixed(0)}/s, p50 ${availability.p50Ms} ms, p99 ${availability.p99Ms} ms, non-2xx ${availability.non2xx}; service CPU ${cpuMsPerAvailability.toFixed(2)} ms per request`,
    );
    const bookingLoad = await runLoad({
      url: running.baseUrl,
      connections,
      durationSec,
      bookings: {
        holds: world.holds.map((h) => ({ token: h.token, voucherId: h.voucherId })),
        busyId: booked.busyId,
        otherIds: booked.otherIds,
        fromMs: booked.freeFromMs,
      },
    });
    log(
      `bookings (${connections} connections, half on one facility): ${bookingLoad.requestsPerSec.toFixed(0)}/s, p50 ${bookingLoad.p50Ms} ms, p99 ${bookingLoad.p99Ms} ms, non-2xx ${bookingLoad.non2xx} ${JSON.stringify(bookingLoad.statusCodes)}`,
    );

    // A quick run is for trying a change: it stops here and records nothing.
    if (values.quick) return 0;

    const [prepared, preparedSec] = await seconds(() =>
      inChild<{ payees: number; totalFen: number }>({ task: 'claims', database: running.dbName, world, count: 100_000 }),
    );
    log(`prepared 100,000 approved claims (${prepared.payees} payees) in ${preparedSec.toFixed(1)} s`);
    const [settlement, settlement100kSec] = await seconds(() =>
      http.request('POST', '/api/settlements', { token: world.staff['bureau-zj'], body: { regionCode: '330000' } }),
    );
    if (settlement.status !== 201 || settlement.body.totalFen !== prepared.totalFen || settlement.body.lines.length !== prepared.payees) {
      throw new Error(
        `settlement of the prepared claims went wrong: ${settlement.status} ${JSON.stringify(settlement.body).slice(0, 300)}`,
      );
    }
    const [, settlementPaySec] = await seconds(async () => {
      // Dual control: the bureau's second reviewer pays the batch its first one created.
      const paid = await http.request('POST', `/api/settlements/${settlement.body.id}/pay`, {
        token: world.staff['bureau-zj-2'],
        body: { paymentRef: 'BENCH-PAY' },
      });
      if (paid.status !== 200) throw new Error(`paying the settlement: ${paid.status} ${paid.text.slice(0, 300)}`);
    });
    log(
      `settlement of 100,000 claims: ${settlement100kSec.toFixed(2)} s (paying its ${prepared.payees} lines: ${settlementPaySec.toFixed(2)} s)`,
    );

    const [lineSettlements, linesSec] = await seconds(() =>
      inChild<string[]>({ task: 'lines', database: running.dbName, world, count: 200_000 }),
    );
    log(`prepared 200,000 paid settlement lines in ${linesSec.toFixed(1)} s`);
    const [clearing, clearing200kSec] = await seconds(() =>
      http.request('GET', `/api/clearing?from=${world.year}-01-01&to=${world.year}-12-31`, { token: world.staff.platform }),
    );
    const net =
      clearing.status === 200 ? (clearing.body as { net: { netFen: number }[] }).net.reduce((s, n) => s + n.netFen, 0) : undefined;
    if (clearing.status !== 200 || net !== 0 || clearing.body.transfers.length > 3)
      throw new Error(`clearing went wrong: ${JSON.stringify(clearing?.body).slice(0, 300)}`);
    log(`clearing of 200,000 paid lines: ${clearing200kSec.toFixed(2)} s (${clearing.body.transfers.length} transfers)`);
    // The lines were written for the clearing alone, with no claims or payments behind them: take them out again.
    await inChild({ task: 'remove', database: running.dbName, settlementIds: lineSettlements });

    const check = await http.request('GET', '/api/ledger/check', { token: world.staff.platform });
    if (!check.body.balanced) throw new Error(`ledger check after the benchmark: ${check.body.violations.slice(0, 5).join('; ')}`);
    log(`ledger check: balanced over ${check.body.transfers ?? '?'} transfers`);

    const loadAfter = loadavg();
    const results = {
      database: 'mariadb',
      holdsPerSec: Math.round(holds.requestsPerSec),
      holdsP99Ms: holds.p99Ms,
      ceilingPerSec: Math.round(ceiling.perSec),
      ratioToCeiling: Number((holds.requestsPerSec / ceiling.perSec).toFixed(3)),
      fairCeilingPerSec: Math.round(fairCeiling.perSec),
      ratioToFairCeiling: Number((holds.requestsPerSec / fairCeiling.perSec).toFixed(3)),
      // The same ratio from alternating rounds of the two (see above), and their median.
      ratioToFairCeilingRounds: roundRatios,
      ratioToFairCeilingRoundsMedian: roundsMedian,
      searchPerSec: Math.round(search.requestsPerSec),
      settlement100kSec: Number(settlement100kSec.toFixed(3)),
      clearing200kSec: Number(clearing200kSec.toFixed(3)),
      peakRssMb: Math.round(rss.peak.largest),
      peakRssTotalMb: Math.round(rss.peak.total),
      workers,
      holdsP50Ms: holds.p50Ms,
      holdsNon2xx: holds.non2xx + holds.errors,
      holdsCpuMsPerRequest: Number(cpuMsPerHold.toFixed(3)),
      // Where a hold's share of the cores goes (MariaDB's null when it runs elsewhere), beside the fair ceiling's.
      holdsCpuMsPerRequestByProcess: holdsCpuMsPerRequest,
      fairCeilingCpuMsPerHold,
      holdsStatementsPerRequest: Number(statementsPerHold.toFixed(2)),
      searchCpuMsPerRequest: Number(cpuMsPerSearch.toFixed(3)),
      searchP50Ms: search.p50Ms,
      availabilityP99Ms: availability.p99Ms,
      availabilityPerSec: Math.round(availability.requestsPerSec),
      availabilityCpuMsPerRequest: Number(cpuMsPerAvailability.toFixed(3)),
      bookingsPerSec: Math.round(bookingLoad.requestsPerSec),
      bookingsP99Ms: bookingLoad.p99Ms,
      bookingsNon2xx: bookingLoad.non2xx + bookingLoad.errors,
      searchP99Ms: search.p99Ms,
      searchNon2xx: search.non2xx + search.errors,
      settlementPaySec: Number(settlementPaySec.toFixed(3)),
      connections,
      durationSec,
      requestLogs: values['request-logs'],
      servicePoolSize: running.dbPoolSize,
      databaseSocket: process.env.DB_SOCKET || null,
      cpus: availableParallelism(),
      loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))),
      loadAverageAfter: loadAfter.map((x) => Number(x.toFixed(2))),
      node: process.version,
      serviceNodeFlags: '--max-old-space-size=256',
      at: new Date().toISOString(),
    };
    print(results);
    if (values.profile) {
      log(`profiled, so not recorded; the profiles are written to ${profileDir} as the service stops`);
    } else {
      const dir = join(projectRoot, 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${results.at.slice(0, 10)}.json`);
      // The day's volume run, if any, stays beside the ordinary figures.
      const volume = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { volume?: unknown }).volume : undefined;
      writeFileSync(file, `${JSON.stringify(volume ? { ...results, volume } : results, null, 2)}\n`);
      log(`written ${file}`);
    }
    return results.holdsNon2xx === 0 && results.searchNon2xx === 0 ? 0 : 1;
  } finally {
    rss.stop();
    await running.close();
    await restoreBufferPool();
  }
}

/** Sets the server's InnoDB buffer pool to `mb` (it resizes online); returns how to put the previous size back. */
async function setBufferPool(mb: number): Promise<() => Promise<void>> {
  const set = async (to: number) => {
    const conn = await createConnection(mariaConnection());
    await conn.query('SET GLOBAL innodb_buffer_pool_size = ?', [to * 2 ** 20]).finally(() => conn.end());
  };
  const before = await bufferPoolMb();
  await set(mb);
  console.log(`[bench] InnoDB buffer pool ${before} MB → ${mb} MB for this run`);
  return () => set(before);
}

function print(r: Record<string, unknown>): void {
  const verdict = (key: keyof typeof TARGETS) => {
    const target = TARGETS[key];
    const value = r[key] as number;
    const lowerIsBetter = ['holdsP99Ms', 'settlement100kSec', 'clearing200kSec', 'peakRssMb'].includes(key);
    return `${(lowerIsBetter ? value <= target : value >= target) ? 'meets' : 'MISSES'} ${lowerIsBetter ? '≤' : '≥'} ${target}`;
  };
  console.log('\n| measure | value | target |\n|---|---|---|');
  for (const key of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) console.log(`| ${key} | ${r[key]} | ${verdict(key)} |`);
  console.log(
    `| ceilingPerSec | ${r.ceilingPerSec} | |\n| fairCeilingPerSec | ${r.fairCeilingPerSec} | |\n| ratioToFairCeiling | ${r.ratioToFairCeiling} | |\n| ratioToFairCeiling, median of alternating rounds ${JSON.stringify(r.ratioToFairCeilingRounds)} | ${r.ratioToFairCeilingRoundsMedian} | |\n| holdsP50Ms | ${r.holdsP50Ms} | |\n| searchP99Ms | ${r.searchP99Ms} | |\n| peakRssTotalMb (${r.workers} workers and the primary) | ${r.peakRssTotalMb} | |`,
  );
  console.log(`load average before ${JSON.stringify(r.loadAverageBefore)}, after ${JSON.stringify(r.loadAverageAfter)} on ${r.cpus} cores`);
}

/**
 * The fair ceiling's hold behind a bare HTTP server (bench/lib/http-floor.ts) in as many processes and with as large
 * a pool as the service's: its rate and CPU per hold, then rounds of the fair ceiling, the service's holds and the
 * floor's, each ratio to the fair ceiling of its round.
 */
async function measureHttpFloor(
  running: ServiceProcess,
  holds: HoldTarget[],
  o: {
    connections: number;
    durationSec: number;
    rounds: number;
    nodeArgs: string[];
    sealReplayed: () => Promise<void>;
    log: (line: string) => void;
  },
): Promise<void> {
  const { connections, durationSec, rounds, sealReplayed, log } = o;
  const floor = await startHttpFloor(
    {
      database: running.dbName,
      workers: running.pids().length - 1,
      poolSize: running.dbPoolSize,
      jwtSecret: process.env.JWT_SECRET!,
      holds,
    },
    o.nodeArgs,
  );
  try {
    const databaseCpuMs = (await databaseCpuMeter()) ?? (() => NaN);
    await runLoad({ url: floor.baseUrl, connections, durationSec: 3, holds });
    await sealReplayed();
    const [held, cpu] = await cpuOf({ floor: () => floor.cpuMs(), database: databaseCpuMs }, () =>
      runLoad({ url: floor.baseUrl, connections, durationSec, holds }),
    );
    const perHold = perRequest({ ...cpu, loadGenerator: held.cpuMs }, held.ok + held.non2xx);
    await sealReplayed();
    log(
      `HTTP floor: ${held.requestsPerSec.toFixed(0)}/s, p50 ${held.p50Ms} ms, p99 ${held.p99Ms} ms ${JSON.stringify(held.statusCodes)}; CPU per hold: its processes ${perHold.floor} ms, MariaDB ${perHold.database} ms, load generator ${perHold.loadGenerator} ms`,
    );
    const service: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const fair = await measureFairCeiling(running.dbName, holds, connections, ROUND_SEC);
      await sealReplayed();
      const ofService = await runLoad({ url: running.baseUrl, connections, durationSec: ROUND_SEC, holds });
      const ofFloor = await runLoad({ url: floor.baseUrl, connections, durationSec: ROUND_SEC, holds });
      await sealReplayed();
      if (ofService.non2xx + ofService.errors + ofFloor.non2xx + ofFloor.errors > 0)
        throw new Error(`HTTP floor round ${round + 1}: ${JSON.stringify(ofService.statusCodes)} ${JSON.stringify(ofFloor.statusCodes)}`);
      service.push(Number((ofService.requestsPerSec / fair.perSec).toFixed(3)));
      bare.push(Number((ofFloor.requestsPerSec / fair.perSec).toFixed(3)));
    }
    if (rounds > 0)
      log(
        `in ${rounds} rounds of the fair ceiling, the holds and the floor: holds / fair ceiling ${service.join(', ')} (median ${median(service)}); floor / fair ceiling ${bare.join(', ')} (median ${median(bare)})`,
      );
  } finally {
    await floor.close();
  }
}

runMain(main, 2);
