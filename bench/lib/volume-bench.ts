import { createConnection } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { mariaConnection } from '../../test/support/app-under-test';
import { HttpClient } from '../../test/support/http-client';
import { PASSWORD } from '../../test/support/accounts';
import type { BenchWorld } from './bench-world';
import { rssSampler, type ServiceProcess } from './service-process';
import { login, loginStaff } from './sim-world';
import { searchGrams } from '../../src/facilities/facility-grams';
import { Rng } from './prng';
import { SEARCH_TERMS, VolumeCounts, VolumeName } from './volume';
import { inChild, LoadResult, LoadSpec, runLoad } from './worker';

/** The provinces and categories the volume's searches, quotes and statistics go through. */
export const PROVINCES = ['310000', '320000', '330000', '340000'];
export const CATEGORIES = ['testing', 'r_and_d', 'design', 'tech_transfer', 'consulting', 'instrument_sharing'];

/** What a bureau feels at one volume: the figures issue 18 asks for, measured through the service's HTTP API. */
export interface PhaseFigures {
  holdsPerSec: number;
  holdsP99Ms: number;
  holdsNon2xx: number;
  searchPerSec: number;
  searchP99Ms: number;
  searchNon2xx: number;
  /** Search as one user feels it: one request at a time, no queue in front of it. */
  searchP99MsOneClient: number;
  /** Search arriving steadily at half the rate 32 connections reached (`paced`): the service busy, not saturated. */
  searchP99MsHalfLoad: number;
  searchHalfLoadPerSec: number;
  quotesPerSec: number;
  quotesP99Ms: number;
  quotesNon2xx: number;
  quotesP99MsHalfLoad: number;
  quotesHalfLoadPerSec: number;
  /** A month (31 days) of the busy facility's calendar, 500 future bookings on it. */
  availabilityPerSec: number;
  availabilityP99Ms: number;
  availabilityNon2xx: number;
  availabilityP99MsOneClient: number;
  availabilityP99MsHalfLoad: number;
  availabilityHalfLoadPerSec: number;
  /** The slowest province's statistics (median of 3 requests each), and each province's. */
  statsProvinceMs: number;
  statsProvinceMsEach: Record<string, number>;
  flowsYearMs: number;
  ledgerCheckSec: number;
  ledgerTransfers: number;
  auditVerifySec: number;
  auditEntries: number;
  auditVerifyPerSec: number;
  /** Verification from the newest signed checkpoint (issue 18: ≤ 2 s at a year's volume). */
  auditVerifyFromCheckpointSec: number;
  peakRssMb: number;
  peakRssTotalMb: number;
  /** The last step logged before the largest process peaked: the peak came in the step logged after it. */
  peakRssAfter: string;
}

/**
 * Facility search with all three filters: a Chinese substring, a category and a province; every combination once, in
 * a seeded random order, as independent users would send them. In term order each term came 24 times in a row, and
 * the slowest (CNAS, which scans) arrived as a burst that a steady rate then measured: at half volume and a steady
 * 360/s, CNAS p99 95 ms in term order, 25 ms shuffled (2026-12-01); as fast as 32 connections go, no difference.
 */
export const volumeSearchPaths = (): string[] =>
  new Rng(18).shuffle(
    SEARCH_TERMS.flatMap((q) =>
      PROVINCES.flatMap((p) => CATEGORIES.map((c) => `/api/facilities?q=${encodeURIComponent(q)}&category=${c}&provinceCode=${p}`)),
    ),
  );

async function ms<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const result = await work();
  return [result, performance.now() - t];
}

/** The middle value; of an even count, the mean of the two middle ones (the upper one alone would flatter a target). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : Number(((sorted[mid - 1] + sorted[mid]) / 2).toFixed(3));
}

/** Tokens last 15 minutes at most: a run at volume logs everyone in again before measuring. */
export async function freshTokens(http: HttpClient, world: BenchWorld): Promise<void> {
  world.staff = await loginStaff(http);
  const tokens = new Map<string, string>();
  for (const h of world.holds) {
    if (!tokens.has(h.username)) tokens.set(h.username, await login(http, h.username, PASSWORD));
    h.token = tokens.get(h.username)!;
  }
}

/**
 * The same paths arriving steadily at half the rate `saturated` reached: latency with the service busy but not
 * saturated. At 32 connections as fast as they go, every request queues behind the 31 others on 2 cores shared with
 * MariaDB and the load generator, so that p99 measures the queue more than the service.
 */
async function atHalfLoad(
  running: ServiceProcess,
  saturated: LoadResult,
  durationSec: number,
  targets: Pick<LoadSpec, 'paths' | 'authorizedPaths'>,
) {
  const ratePerSec = Math.max(1, Math.round(saturated.requestsPerSec / 2));
  const result = await runLoad({ url: running.baseUrl, connections: 0, durationSec: Math.min(durationSec, 8), ...targets, ratePerSec });
  return { ...result, ratePerSec };
}

export async function measurePhase(
  label: string,
  running: ServiceProcess,
  http: HttpClient,
  world: BenchWorld,
  opts: { connections: number; durationSec: number; availabilityPaths: string[] },
  logLine: (line: string) => void,
): Promise<PhaseFigures> {
  const rss = rssSampler(running);
  const log = (line: string) => {
    rss.logged(line);
    logLine(line);
  };
  try {
    const { connections, durationSec } = opts;
    await runLoad({ url: running.baseUrl, connections, durationSec: 3, holds: world.holds });
    const holds = await runLoad({ url: running.baseUrl, connections, durationSec, holds: world.holds });
    log(`${label} holds: ${holds.requestsPerSec.toFixed(0)}/s, p50 ${holds.p50Ms} ms, p99 ${holds.p99Ms} ms, non-2xx ${holds.non2xx}`);
    const search = await runLoad({ url: running.baseUrl, connections, durationSec, paths: volumeSearchPaths() });
    log(`${label} search (q, category, province): ${search.requestsPerSec.toFixed(0)}/s, p50 ${search.p50Ms} ms, p99 ${search.p99Ms} ms`);
    const searchAlone = await runLoad({
      url: running.baseUrl,
      connections: 1,
      durationSec: Math.min(durationSec, 6),
      paths: volumeSearchPaths(),
    });
    log(`${label} search one client at a time: p50 ${searchAlone.p50Ms} ms, p99 ${searchAlone.p99Ms} ms`);
    const searchHalf = await atHalfLoad(running, search, durationSec, { paths: volumeSearchPaths() });
    log(`${label} search at a steady ${searchHalf.ratePerSec}/s: p50 ${searchHalf.p50Ms} ms, p99 ${searchHalf.p99Ms} ms`);
    const vouchers = [...new Map(world.holds.map((h) => [h.username, h])).values()];
    const quotePaths = vouchers.flatMap((h) =>
      CATEGORIES.map((c) => ({ path: `/api/quotes?category=${c}&voucherId=${h.voucherId}&quantity=1&limit=20`, token: h.token })),
    );
    const quotes = await runLoad({ url: running.baseUrl, connections, durationSec: Math.min(durationSec, 8), authorizedPaths: quotePaths });
    const quotesHalf = await atHalfLoad(running, quotes, durationSec, { authorizedPaths: quotePaths });
    log(
      `${label} quotes across provinces: ${quotes.requestsPerSec.toFixed(0)}/s, p50 ${quotes.p50Ms} ms, p99 ${quotes.p99Ms} ms; at a steady ${quotesHalf.ratePerSec}/s p99 ${quotesHalf.p99Ms} ms`,
    );
    const availability = await runLoad({ url: running.baseUrl, connections, durationSec, paths: opts.availabilityPaths });
    const availabilityAlone = await runLoad({
      url: running.baseUrl,
      connections: 1,
      durationSec: Math.min(durationSec, 6),
      paths: opts.availabilityPaths,
    });
    const availabilityHalf = await atHalfLoad(running, availability, durationSec, { paths: opts.availabilityPaths });
    log(
      `${label} availability (31 days): ${availability.requestsPerSec.toFixed(0)}/s, p50 ${availability.p50Ms} ms, p99 ${availability.p99Ms} ms; one client at a time p99 ${availabilityAlone.p99Ms} ms; at a steady ${availabilityHalf.ratePerSec}/s p99 ${availabilityHalf.p99Ms} ms`,
    );

    const platform = { token: world.staff.platform };
    const statsEach: Record<string, number> = {};
    for (const p of PROVINCES) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [r, t] = await ms(() => http.request('GET', `/api/stats/regions/${p}?year=${world.year}`, platform));
        if (r.status !== 200) throw new Error(`stats of ${p}: ${r.status} ${r.text.slice(0, 200)}`);
        times.push(t);
      }
      statsEach[p] = Math.round(median(times));
    }
    const flowTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [r, t] = await ms(() => http.request('GET', `/api/stats/flows?year=${world.year}`, platform));
      if (r.status !== 200) throw new Error(`flows: ${r.status} ${r.text.slice(0, 200)}`);
      flowTimes.push(t);
    }
    log(`${label} stats per province ${JSON.stringify(statsEach)} ms, flows for the year ${Math.round(median(flowTimes))} ms`);

    const [check, checkMs] = await ms(() => http.request('GET', '/api/ledger/check', platform));
    if (check.status !== 200 || !check.body.balanced) {
      throw new Error(`ledger check (${label}): ${check.status} ${JSON.stringify(check.body).slice(0, 600)}`);
    }
    log(`${label} ledger check: balanced over ${check.body.transfers} transfers in ${(checkMs / 1000).toFixed(2)} s`);
    const [verify, verifyMs] = await ms(() => http.request('GET', '/api/audit/verify', platform));
    if (verify.status !== 200 || !verify.body.valid) {
      throw new Error(`audit verification (${label}): ${verify.status} ${JSON.stringify(verify.body).slice(0, 600)}`);
    }
    log(`${label} audit verification: ${verify.body.entries} entries valid in ${(verifyMs / 1000).toFixed(2)} s`);
    const [fromCheckpoint, fromCheckpointMs] = await ms(() => http.request('GET', '/api/audit/verify?from=checkpoint', platform));
    if (fromCheckpoint.status !== 200 || !fromCheckpoint.body.valid) {
      throw new Error(
        `audit verification from the checkpoint (${label}): ${fromCheckpoint.status} ${JSON.stringify(fromCheckpoint.body).slice(0, 600)}`,
      );
    }
    log(
      `${label} audit verification from checkpoint ${fromCheckpoint.body.fromCheckpoint.seq}: valid in ${(fromCheckpointMs / 1000).toFixed(3)} s`,
    );
    logLine(`${label} peak RSS ${Math.round(rss.peak.largest)} MB in the largest process, in the step after "${rss.peak.after}"`);
    return {
      holdsPerSec: Math.round(holds.requestsPerSec),
      holdsP99Ms: holds.p99Ms,
      holdsNon2xx: holds.non2xx + holds.errors,
      searchPerSec: Math.round(search.requestsPerSec),
      searchP99Ms: search.p99Ms,
      searchNon2xx: search.non2xx + search.errors + searchAlone.non2xx + searchAlone.errors + searchHalf.non2xx + searchHalf.errors,
      searchP99MsOneClient: searchAlone.p99Ms,
      searchP99MsHalfLoad: searchHalf.p99Ms,
      searchHalfLoadPerSec: searchHalf.ratePerSec,
      quotesPerSec: Math.round(quotes.requestsPerSec),
      quotesP99Ms: quotes.p99Ms,
      quotesNon2xx: quotes.non2xx + quotes.errors + quotesHalf.non2xx + quotesHalf.errors,
      quotesP99MsHalfLoad: quotesHalf.p99Ms,
      quotesHalfLoadPerSec: quotesHalf.ratePerSec,
      availabilityPerSec: Math.round(availability.requestsPerSec),
      availabilityP99Ms: availability.p99Ms,
      availabilityNon2xx:
        availability.non2xx +
        availability.errors +
        availabilityAlone.non2xx +
        availabilityAlone.errors +
        availabilityHalf.non2xx +
        availabilityHalf.errors,
      availabilityP99MsOneClient: availabilityAlone.p99Ms,
      availabilityP99MsHalfLoad: availabilityHalf.p99Ms,
      availabilityHalfLoadPerSec: availabilityHalf.ratePerSec,
      statsProvinceMs: Math.max(...Object.values(statsEach)),
      statsProvinceMsEach: statsEach,
      flowsYearMs: Math.round(median(flowTimes)),
      ledgerCheckSec: Number((checkMs / 1000).toFixed(3)),
      ledgerTransfers: Number(check.body.transfers),
      auditVerifySec: Number((verifyMs / 1000).toFixed(3)),
      auditEntries: Number(verify.body.entries),
      auditVerifyPerSec: Math.round(Number(verify.body.entries) / (verifyMs / 1000)),
      auditVerifyFromCheckpointSec: Number((fromCheckpointMs / 1000).toFixed(3)),
      peakRssMb: Math.round(rss.peak.largest),
      peakRssTotalMb: Math.round(rss.peak.total),
      peakRssAfter: rss.peak.after,
    };
  } finally {
    rss.stop();
  }
}

/** Writes the year's data into the running service's database (in a child process); returns the rows written. */
export const writeVolume = (running: ServiceProcess, year: number, name: VolumeName) =>
  inChild<VolumeCounts>({ task: 'volume', database: running.dbName, input: { year, name, signingKeyPem: running.signingKeyPem } });

/** How long the server took to write back what the generator left in its buffer pool. */
export interface WriteBack {
  waitedSec: number;
  dirtyPagesBefore: number;
  dirtyPagesAfter: number;
}

/**
 * Waits until InnoDB has written back the pages the generator left dirty (at most `maxSec`), flushing as fast as it
 * can meanwhile (innodb_max_dirty_pages_pct 0, restored after), so that the measures after it do not share the disk
 * with the generator's leftovers: a bureau's year arrives over 365 days, not in ten minutes of bulk inserts. At `year`
 * on 2026-12-01: about 10,000 pages in 25 s.
 */
export async function awaitWriteBack(maxSec = 300): Promise<WriteBack> {
  const conn = await createConnection(mariaConnection());
  const dirtyPages = async () => {
    const [[r]] = (await conn.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")) as unknown as [{ Value: string }[]];
    return Number(r.Value);
  };
  const started = performance.now();
  const waitedSec = () => Number(((performance.now() - started) / 1000).toFixed(1));
  try {
    const [[{ pct }]] = (await conn.query('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct')) as unknown as [{ pct: number }[]];
    const dirtyPagesBefore = await dirtyPages();
    await conn.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
    try {
      let dirty = dirtyPagesBefore;
      // A few hundred pages stay dirty on an idle server (its own statistics, the purge): that is written back.
      while (dirty > 1000 && waitedSec() < maxSec) {
        await sleep(1000);
        dirty = await dirtyPages();
      }
      return { waitedSec: waitedSec(), dirtyPagesBefore, dirtyPagesAfter: dirty };
    } finally {
      await conn.query('SET GLOBAL innodb_max_dirty_pages_pct = ?', [pct]);
    }
  } finally {
    await conn.end();
  }
}

/** Rows per table now. */
export async function tableRows(database: string): Promise<Record<string, number>> {
  const conn = await createConnection({ ...mariaConnection(), database });
  try {
    const tables = [
      'organization',
      'facility',
      'voucher',
      'redemption',
      'claim',
      'settlement',
      'settlement_line',
      'ledger_transfer',
      'audit_entry',
      'booking',
      'booking_hour',
    ];
    const counts: Record<string, number> = {};
    for (const t of tables) {
      const [[r]] = (await conn.query(`SELECT COUNT(*) AS n FROM ${t}`)) as unknown as [{ n: number }[]];
      counts[t] = Number(r.n);
    }
    return counts;
  } finally {
    await conn.end();
  }
}

/** The plans of the measured queries that read the big tables, as the service sends them (MariaDB EXPLAIN). */
export async function explainMeasured(database: string, year: number): Promise<Record<string, unknown[]>> {
  const conn = await createConnection({ ...mariaConnection(), database });
  const now = new Date().toISOString();
  const queries: Record<string, string> = {
    // As FacilityRepository.search sends it for q = '色谱': one join per Han pair of q (facility-grams.ts).
    search: `SELECT f.id, o.name, COUNT(*) OVER () AS total FROM facility f
      JOIN facility_gram g0 ON g0.gram = ${searchGrams('色谱')![0]} AND g0.facility_id = f.id AND g0.category = 'testing' AND g0.province_code = '320000'
      JOIN organization o ON o.id = f.provider_id
      WHERE f.status = 'active' AND (o.status = 'active' OR (o.status = 'public_notice' AND o.notice_ends_at <= '${now}'))
      AND NOT EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = o.credit_code AND s.status = 'active' AND (s.until IS NULL OR s.until >= '${now.slice(0, 10)}'))
      AND f.province_code = '320000' AND f.category = 'testing'
      AND (LOWER(f.name) LIKE LOWER('%色谱%') ESCAPE '!' OR LOWER(f.description) LIKE LOWER('%色谱%') ESCAPE '!')
      ORDER BY f.unit_price_fen, f.id LIMIT 20`,
    // As the comparison reads one run (FacilityRepository.priceableInRun): the cheapest 20 of Jiangsu in index order.
    quotes: `SELECT f.id, o.id FROM facility f JOIN organization o ON o.id = f.provider_id
      WHERE f.category = 'testing' AND f.status = 'active' AND f.unit_price_fen <= 10000000000000
      AND (o.status = 'active' OR (o.status = 'public_notice' AND o.notice_ends_at <= '${now}'))
      AND NOT EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = o.credit_code AND s.status = 'active' AND (s.until IS NULL OR s.until >= '${now.slice(0, 10)}'))
      AND (SUBSTR(f.province_code, 1, 2) IN ('32') AND f.unit_price_fen >= 1)
      ORDER BY f.unit_price_fen, f.id LIMIT 20`,
    statsVouchers: `SELECT COUNT(*), SUM(v.available_fen), SUM(v.held_fen), SUM(v.spent_fen) FROM voucher v WHERE v.budget_year = ${year} AND v.issuing_region_code LIKE '32%'`,
    statsPaid: `SELECT p.hours_tenths, p.span, SUM(p.redemptions), SUM(p.approved_fen) FROM paid_summary p
      WHERE p.budget_year = ${year} AND p.region_code LIKE '32%' GROUP BY p.hours_tenths, p.span`,
    flows: `SELECT f.issuing_region_code, f.provider_province_code, SUM(f.redemptions), SUM(f.captured_fen) FROM captured_flow f
      WHERE f.budget_year = ${year} GROUP BY f.issuing_region_code, f.provider_province_code HAVING SUM(f.redemptions) > 0`,
    ledgerCredits: `SELECT t.credit_account, SUM(t.amount_fen) FROM ledger_transfer t GROUP BY t.credit_account`,
  };
  try {
    const plans: Record<string, unknown[]> = {};
    for (const [name, q] of Object.entries(queries)) {
      const [rows] = (await conn.query(`EXPLAIN ${q}`)) as unknown as [Record<string, unknown>[]];
      plans[name] = rows.map((r) => ({ table: r.table, type: r.type, key: r.key, rows: r.rows, Extra: r.Extra }));
    }
    return plans;
  } finally {
    await conn.end();
  }
}

export interface SettlementFigures {
  settlementClaims: number;
  settlement100kSec: number;
  settlementPaySec: number;
  clearingQuarterSec: number;
  clearingQuarterLines: number;
}

/**
 * Settlement of 100,000 claims prepared for Zhejiang, paid by the second reviewer; then clearing of the year's fourth quarter (the
 * payments of the third quarter's batches and of this one).
 * `seed` gives each phase payees of its own.
 */
export async function measureSettlementAndClearing(
  label: string,
  running: ServiceProcess,
  http: HttpClient,
  world: BenchWorld,
  seed: number,
  log: (line: string) => void,
): Promise<SettlementFigures> {
  /** A batch of Zhejiang's open claims, paid by the second reviewer (dual control): the answer and both times. */
  const settleAndPay = async (paymentRef: string) => {
    const [settlement, settleMs] = await ms(() =>
      http.request('POST', '/api/settlements', { token: world.staff['bureau-zj'], body: { regionCode: '330000' } }),
    );
    if (settlement.status !== 201) return { settlement, settleMs, payMs: 0 };
    const [paid, payMs] = await ms(() =>
      http.request('POST', `/api/settlements/${settlement.body.id}/pay`, { token: world.staff['bureau-zj-2'], body: { paymentRef } }),
    );
    if (paid.status !== 200) throw new Error(`paying ${paymentRef}: ${paid.status} ${paid.text.slice(0, 300)}`);
    return { settlement, settleMs, payMs };
  };
  // What the volume left unsettled in Zhejiang (its current quarter) is settled and paid first, unmeasured: the
  // measured batch is the 100,000 claims alone.
  const leftover = (await settleAndPay(`BENCH-${label}-BEFORE`)).settlement;
  if (leftover.status === 201)
    log(`${label} settled and paid the volume's ${leftover.body.lines.length} open lines first (${leftover.body.totalFen} fen)`);
  else if (leftover.status !== 409) throw new Error(`settling the leftover (${label}): ${leftover.status} ${leftover.text.slice(0, 300)}`);
  await inChild({ task: 'claims', database: running.dbName, world, count: 100_000, seed });
  const due = await firstRow<{ n: number; fen: string }>(
    running.dbName,
    `SELECT COUNT(*) AS n, SUM(approved_fen) AS fen FROM claim WHERE issuing_region_code = '330000' AND status = 'approved' AND settlement_id IS NULL`,
  );
  const { settlement, settleMs, payMs } = await settleAndPay(`BENCH-${label}`);
  if (settlement.status !== 201 || settlement.body.totalFen !== Number(due.fen)) {
    throw new Error(`settlement (${label}): ${settlement.status} ${JSON.stringify(settlement.body).slice(0, 300)}; due ${due.fen} fen`);
  }
  log(
    `${label} settlement of ${due.n} claims: ${(settleMs / 1000).toFixed(2)} s, paying its ${settlement.body.lines.length} lines ${(payMs / 1000).toFixed(2)} s`,
  );

  const [clearing, clearingMs] = await ms(() =>
    http.request('GET', `/api/clearing?from=${world.year}-10-01&to=${world.year}-12-31`, { token: world.staff.platform }),
  );
  if (clearing.status !== 200) throw new Error(`clearing (${label}): ${clearing.status} ${clearing.text.slice(0, 300)}`);
  const paidLines = await firstRow<{ n: number }>(
    running.dbName,
    `SELECT COUNT(*) AS n FROM settlement_line WHERE paid_at >= ? AND paid_at < ?`,
    [`${world.year}-10-01`, `${world.year + 1}-01-01`],
  );
  const lines = Number(paidLines.n);
  log(`${label} clearing of the fourth quarter: ${(clearingMs / 1000).toFixed(2)} s (${lines} paid lines in it)`);
  return {
    settlementClaims: Number(due.n),
    settlement100kSec: Number((settleMs / 1000).toFixed(3)),
    settlementPaySec: Number((payMs / 1000).toFixed(3)),
    clearingQuarterSec: Number((clearingMs / 1000).toFixed(3)),
    clearingQuarterLines: lines,
  };
}

/** The first row of one query on the benchmark's database, on a connection of its own. */
async function firstRow<T>(database: string, query: string, params: unknown[] = []): Promise<T> {
  const conn = await createConnection({ ...mariaConnection(), database });
  const [rows] = (await conn.query(query, params).finally(() => conn.end())) as unknown as [T[]];
  return rows[0];
}
