import { parseArgs } from 'node:util';
import { runSimulation, SimulationReport } from './lib/simulation';
import { runMain } from './lib/cli';

/** `npm run simulate -- --seed 3 --ops 2000 [--db mariadb|sqlite] [--keep]` */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      ops: { type: 'string', default: '2000' },
      db: { type: 'string', default: 'mariadb' },
      keep: { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  const ops = Number(values.ops);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(ops) || ops < 1)
    throw new Error('--seed and --ops must be whole numbers (ops ≥ 1)');
  if (values.db !== 'mariadb' && values.db !== 'sqlite') throw new Error('--db must be mariadb or sqlite');
  const log = (line: string) => console.log(`[sim seed=${seed}] ${line}`);
  const report = await runSimulation({ seed, ops, db: values.db, keep: values.keep, log });
  print(report, values.keep);
  return report.failures.length === 0 ? 0 : 1;
}

function print(r: SimulationReport, kept: boolean): void {
  const routes = Object.keys(r.histogram).sort();
  const width = Math.max(...routes.map((k) => k.length));
  console.log(`\nper-route statuses (${r.requests} requests):`);
  for (const route of routes) {
    const statuses = Object.entries(r.histogram[route])
      .map(([s, c]) => `${s}×${c}`)
      .join('  ');
    console.log(`  ${route.padEnd(width)}  ${statuses}`);
  }
  console.log(
    `\noperations: ${Object.entries(r.opCounts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, c]) => `${k} ${c}`)
      .join(', ')}`,
  );
  console.log(
    `notes: ${Object.entries(r.notes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, c]) => `${k} ${c}`)
      .join(', ')}`,
  );
  console.log(
    `\nseed ${r.seed} on ${r.db}${kept ? ` (kept: ${r.dbName})` : ''}: ${r.ops} ops, ${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s ` +
      `(world ${(r.worldMs / 1000).toFixed(1)} s), ${r.opsPerSec.toFixed(0)} ops/s, plan ${r.planHash}`,
  );
  if (r.failures.length === 0) {
    console.log('PASS: every status documented, no 5xx, ledger check clean, balances and claims consistent, audit chain valid');
    return;
  }
  const first = r.failures[0];
  console.log(`FAIL at op ${first.opIndex}: ${first.invariant}\n  ${first.detail}`);
  if (r.failures.length > 1)
    console.log(
      `(${r.failures.length - 1} more failures; next: ${r.failures
        .slice(1, 4)
        .map((f) => `op ${f.opIndex} ${f.invariant}`)
        .join('; ')})`,
    );
}

runMain(main, 2);
