import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';
import { HttpClient } from '../../test/support/http-client';
import type { BenchWorld } from './bench-world';
import type { ServiceProcess } from './service-process';
import { volumeSizes, VolumeName } from './volume';
import { explainMeasured, freshTokens, measurePhase, PhaseFigures, tableRows, writeVolume } from './volume-bench';

/** Issue 18's targets at the `year` volume (2 cores shared with MariaDB and the load generator). */
const TARGETS: Partial<Record<keyof PhaseFigures | 'holdsRatioToEmpty', [string, number]>> = {
  holdsRatioToEmpty: ['≥', 0.8],
  searchP99Ms: ['≤', 50],
  statsProvinceMs: ['≤', 300],
  flowsYearMs: ['≤', 1000],
  ledgerCheckSec: ['≤', 30],
  auditVerifyPerSec: ['≥', 100_000],
  auditVerifyFromCheckpointSec: ['≤', 2],
  peakRssMb: ['≤', 300],
};

/**
 * `npm run bench -- --volume tenth|half|year`: measures the nearly empty database, writes the volume into the same
 * database (bulk, in a child process), logs everyone in again, measures again, asserts that the ledger check and the
 * audit verification pass at both, prints both side by side and records them under `volume` in the day's results.
 */
export async function runAtVolume(
  name: VolumeName,
  running: ServiceProcess,
  http: HttpClient,
  world: BenchWorld,
  opts: { connections: number; durationSec: number; workers: number; loadBefore: number[]; log: (line: string) => void },
): Promise<number> {
  const { log } = opts;
  const empty = await measurePhase('empty', running, http, world, opts, log);
  const emptyRows = await tableRows(running.dbName);

  const started = performance.now();
  const written = await writeVolume(running, world.year, name);
  const generateSec = (performance.now() - started) / 1000;
  log(`${name}: wrote ${JSON.stringify(written)} in ${generateSec.toFixed(1)} s`);
  const plans = await explainMeasured(running.dbName, world.year);
  for (const [query, plan] of Object.entries(plans)) log(`EXPLAIN ${query}: ${JSON.stringify(plan)}`);

  await freshTokens(http, world);
  const at = await measurePhase(name, running, http, world, opts, log);
  const rows = await tableRows(running.dbName);
  const volume = {
    ...at,
    holdsRatioToEmpty: Number((at.holdsPerSec / empty.holdsPerSec).toFixed(3)),
    // The empty database of the same run: `volume.empty` is the latest run's, whichever volume it wrote.
    emptyInSameRun: empty,
    sizes: volumeSizes(name),
    rows,
    generatedRows: written,
    generateSec: Number(generateSec.toFixed(1)),
    plans,
  };

  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString();
  const file = join(dir, `${stamp.slice(0, 10)}.json`);
  // A day's file may already hold the day's ordinary run: the volume figures go beside it.
  const day = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : { database: 'mariadb' };
  const previous = (day.volume ?? {}) as Record<string, unknown>;
  day.volume = {
    ...previous,
    empty: { ...empty, rows: emptyRows },
    [name]: volume,
    run: {
      at: stamp,
      workers: opts.workers,
      connections: opts.connections,
      durationSec: opts.durationSec,
      databaseSocket: process.env.DB_SOCKET || null,
      cpus: availableParallelism(),
      loadAverageBefore: opts.loadBefore.map((x) => Number(x.toFixed(2))),
      loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
      node: process.version,
    },
  };
  writeFileSync(file, `${JSON.stringify(day, null, 2)}\n`);
  log(`written ${file}`);
  printTable(name, empty, volume, emptyRows, rows);
  const non2xx = [empty, at].reduce((n, f) => n + f.holdsNon2xx + f.searchNon2xx + f.quotesNon2xx, 0);
  return non2xx === 0 ? 0 : 1;
}

function printTable(
  name: string,
  empty: PhaseFigures,
  at: PhaseFigures & { holdsRatioToEmpty: number },
  emptyRows: Record<string, number>,
  rows: Record<string, number>,
): void {
  const lines: [string, string, string, string][] = [
    [
      'holds/s at 32 connections (p99 ms)',
      `${empty.holdsPerSec} (${empty.holdsP99Ms})`,
      `${at.holdsPerSec} (${at.holdsP99Ms})`,
      'holdsRatioToEmpty',
    ],
    ['holds, ratio to empty', '1', String(at.holdsRatioToEmpty), 'holdsRatioToEmpty'],
    [
      'search with q, category, province: p99 ms (req/s)',
      `${empty.searchP99Ms} (${empty.searchPerSec})`,
      `${at.searchP99Ms} (${at.searchPerSec})`,
      'searchP99Ms',
    ],
    [
      'quotes across provinces: p99 ms (req/s)',
      `${empty.quotesP99Ms} (${empty.quotesPerSec})`,
      `${at.quotesP99Ms} (${at.quotesPerSec})`,
      '',
    ],
    ['stats of a province, slowest, ms', String(empty.statsProvinceMs), String(at.statsProvinceMs), 'statsProvinceMs'],
    ['flows for the year, ms', String(empty.flowsYearMs), String(at.flowsYearMs), 'flowsYearMs'],
    [
      'ledger check, s (transfers)',
      `${empty.ledgerCheckSec} (${empty.ledgerTransfers})`,
      `${at.ledgerCheckSec} (${at.ledgerTransfers})`,
      'ledgerCheckSec',
    ],
    ['audit verification, s (entries)', `${empty.auditVerifySec} (${empty.auditEntries})`, `${at.auditVerifySec} (${at.auditEntries})`, ''],
    ['audit verification, entries/s', String(empty.auditVerifyPerSec), String(at.auditVerifyPerSec), 'auditVerifyPerSec'],
    [
      'audit verification from the last checkpoint, s',
      String(empty.auditVerifyFromCheckpointSec),
      String(at.auditVerifyFromCheckpointSec),
      'auditVerifyFromCheckpointSec',
    ],
    [
      'peak RSS, largest process, MB (all)',
      `${empty.peakRssMb} (${empty.peakRssTotalMb})`,
      `${at.peakRssMb} (${at.peakRssTotalMb})`,
      'peakRssMb',
    ],
  ];
  console.log(`\n| measure | empty | ${name} | target at year |\n|---|---|---|---|`);
  for (const [label, a, b, key] of lines) {
    const target = key ? TARGETS[key as keyof typeof TARGETS] : undefined;
    if (label.startsWith('holds/s')) console.log(`| ${label} | ${a} | ${b} | |`);
    else console.log(`| ${label} | ${a} | ${b} | ${target ? `${target[0]} ${target[1]}` : ''} |`);
  }
  console.log(
    `\nrows (empty → ${name}): ${Object.keys(rows)
      .map((t) => `${t} ${emptyRows[t]} → ${rows[t]}`)
      .join(', ')}`,
  );
}
