import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from '../src/app.module';
import { LedgerCheckService } from '../src/ledger/ledger-check.service';
import { readKeptVolume } from './lib/volume-run';
import { runMain } from './lib/cli';

/**
 * `npm run build && node --max-old-space-size=256 dist/bench/ledger-check.js --database NAME [--runs 2]`
 *
 * Times the ledger check alone, in this process, on a kept MariaDB database (a volume kept with BENCH_KEEP_DATABASE=1):
 * the same rows before and after a change. The app's migrations run first, as on any start.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { database: { type: 'string' }, runs: { type: 'string', default: '2' } } });
  if (!values.database) throw new Error('--database NAME: a kept volume database');
  Object.assign(process.env, { NODE_ENV: 'test', SEED_DEMO: 'never', LOG_LEVEL: 'silent', SWEEP_INTERVAL_SEC: '0', DB_TYPE: 'mariadb' });
  process.env.DB_NAME = values.database;
  // The volume's own audit key: a process with a key of its own would sign a checkpoint the verification then refuses.
  process.env.AUDIT_SIGNING_KEY = readKeptVolume(values.database).signingKeyPem;
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    for (let run = 1; run <= Number(values.runs); run++) {
      const t = performance.now();
      const check = await app.get(LedgerCheckService).check();
      const sec = (performance.now() - t) / 1000;
      if (!check.balanced) throw new Error(`not balanced: ${check.violations.slice(0, 5).join('; ')}`);
      const rss = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(
        `[ledger-check] run ${run}: ${check.transfers} transfers, ${check.accounts} accounts in ${sec.toFixed(2)} s; peak RSS ${rss} MB`,
      );
    }
  } finally {
    await app.close();
  }
}

runMain(main);
