import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { HttpClient } from '../test/support/http-client';
import { spawnService } from './lib/service-process';
import { freshTokens, volumeSearchPaths } from './lib/volume-bench';
import { readKeptVolume } from './lib/volume-run';
import { runLoad } from './lib/worker';
import { runMain } from './lib/cli';

/**
 * `npm run build && DB_SOCKET=/run/mysqld/mysqld.sock node dist/bench/pool-sizes.js --database NAME --pools 20,4
 *   [--rounds 2] [--workers 2]`
 *
 * Holds, search and availability at 32 connections on a kept volume (BENCH_KEEP_DATABASE=1), the service started
 * afresh for each database pool size (DB_POOL_SIZE) in turn, the sizes alternating round after round so that the
 * machine's drift falls on all of them alike.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      pools: { type: 'string', default: '20,4' },
      rounds: { type: 'string', default: '2' },
      workers: { type: 'string', default: '2' },
    },
  });
  if (!values.database) throw new Error('--database NAME: a kept volume database');
  const dbName = values.database;
  const kept = readKeptVolume(dbName);
  const connections = 32;
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const poolSize of values.pools.split(',').map(Number)) {
      const running = await spawnService({
        workers: Number(values.workers),
        poolSize,
        reuse: { dbName, signingKeyPem: kept.signingKeyPem },
      });
      try {
        const url = running.baseUrl;
        await freshTokens(new HttpClient(url), kept.world);
        await runLoad({ url, connections, durationSec: 2, holds: kept.world.holds });
        const holds = await runLoad({ url, connections, durationSec: 8, holds: kept.world.holds });
        await runLoad({ url, connections, durationSec: 3, paths: volumeSearchPaths() });
        const search = await runLoad({ url, connections, durationSec: 10, paths: volumeSearchPaths() });
        const availability = await runLoad({ url, connections, durationSec: 10, paths: kept.availabilityPaths });
        const non2xx = [holds, search, availability].reduce((n, r) => n + r.non2xx + r.errors, 0);
        console.log(
          `[pool-sizes] round ${round}, pool ${poolSize}: holds ${holds.requestsPerSec.toFixed(0)}/s p99 ${holds.p99Ms} ms | ` +
            `search ${search.requestsPerSec.toFixed(0)}/s p50 ${search.p50Ms} p99 ${search.p99Ms} ms | ` +
            `availability ${availability.requestsPerSec.toFixed(0)}/s p50 ${availability.p50Ms} p99 ${availability.p99Ms} ms | non-2xx ${non2xx}`,
        );
      } finally {
        await running.close();
      }
    }
  }
}

runMain(main);
