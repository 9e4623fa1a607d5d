/**
 * Issue 18: facility search and the comparison across provinces, before and after migration 1765000000000, on a
 * database the volume bench kept (BENCH_KEEP_DATABASE=1). The kept database is only read: the "after" side runs on a
 * copy of the tables these queries touch, upgraded by the migration itself (so its backfill is measured too).
 *   node dist/bench/search-explain.js vbench_… [copy name]
 * Prints EXPLAIN and the median and max of 20 runs of each statement.
 */
import { createConnection, Connection } from 'mysql2/promise';
import { DataSource, Logger } from 'typeorm';
import { beijingDate } from '../src/common/clock';
import { Database } from '../src/common/persistence/database';
import { databaseConfig } from '../src/config/configuration';
import { dataSourceOptions } from '../src/database/data-source-options';
import { FacilityRepository } from '../src/facilities/facility.repository';
import { Policy } from '../src/policies/policy.entity';
import { comparisonRuns } from '../src/redemptions/redemption.rules';
import { MAX_FEN } from '../src/common/http/validators';
import { Voucher } from '../src/vouchers/voucher.entity';
import { Organization } from '../src/organizations/organization.entity';
import { partyGroup } from '../src/redemptions/redemption.rules';
import { sql } from '../src/common/persistence/sql';

const RUNS = 20;
const TABLES = ['migrations', 'facility', 'organization', 'sanction', 'party_relation', 'policy', 'voucher'];

async function timed(run: () => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await run();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return `median ${((ms[9] + ms[10]) / 2).toFixed(1)} ms, max ${ms[RUNS - 1].toFixed(1)} ms (${RUNS} runs)`;
}

async function explain(conn: Connection, label: string, query: string, params: unknown[] = []): Promise<void> {
  const [rows] = (await conn.query(`EXPLAIN ${query}`, params)) as unknown as [Record<string, unknown>[]];
  console.log(`\n## ${label}: EXPLAIN`);
  for (const r of rows)
    console.log(`  ${r.id} ${r.select_type} ${r.table} type=${r.type} key=${r.key} rows=${r.rows} ${(r.Extra as string | null) ?? ''}`);
}

async function main() {
  const [source, copy = `${process.argv[2]}_search`] = process.argv.slice(2);
  const connect = (database: string) =>
    createConnection({
      host: process.env.DB_HOST ?? '127.0.0.1',
      user: process.env.DB_USER ?? 'root',
      password: process.env.DB_PASSWORD ?? '',
      database,
      charset: 'utf8mb4_unicode_ci',
    });
  const now = new Date().toISOString();
  const before = await connect(source);
  const searchBefore = `SELECT f.*, o.name AS provider_name, COUNT(*) OVER () AS total FROM facility f JOIN organization o ON o.id = f.provider_id
    WHERE f.status = 'active' AND (o.status = 'active' OR (o.status = 'public_notice' AND o.notice_ends_at <= ?))
    AND f.province_code = '320000' AND f.category = 'testing'
    AND (LOWER(f.name) LIKE LOWER('%色谱%') ESCAPE '!' OR LOWER(f.description) LIKE LOWER('%色谱%') ESCAPE '!')
    ORDER BY f.unit_price_fen, f.id LIMIT 20 OFFSET 0`;
  const browseBefore = searchBefore.replace(/AND \(LOWER\(f\.name\)[^\n]*\n/, '');
  const quotesBefore = `SELECT f.*, o.* FROM facility f JOIN organization o ON o.id = f.provider_id
    WHERE f.status = 'active' AND f.category = 'testing' AND f.unit_price_fen <= 10000000000000
    AND (o.status = 'active' OR (o.status = 'public_notice' AND o.notice_ends_at <= ?))`;
  console.log(`# before (${source})`);
  await explain(before, 'search', searchBefore, [now]);
  console.log(`  ${await timed(() => before.query(searchBefore, [now]))}`);
  await explain(before, 'search without q (province and category)', browseBefore, [now]);
  console.log(`  ${await timed(() => before.query(browseBefore, [now]))}`);
  await explain(before, 'quotes (every active facility of the category, priced in JavaScript)', quotesBefore, [now]);
  console.log(
    `  ${await timed(() => before.query(quotesBefore, [now]))}, ${((await before.query(quotesBefore, [now]))[0] as unknown[]).length} rows`,
  );

  await before.query(`DROP DATABASE IF EXISTS \`${copy}\``);
  await before.query(`CREATE DATABASE \`${copy}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  for (const t of TABLES) {
    await before.query(`CREATE TABLE \`${copy}\`.\`${t}\` LIKE \`${source}\`.\`${t}\``);
    await before.query(`INSERT INTO \`${copy}\`.\`${t}\` SELECT * FROM \`${source}\`.\`${t}\``);
  }
  await before.end();

  // Every statement of the last call measured, to EXPLAIN each as the service sent it.
  let sent: { query: string; parameters: unknown[] }[] = [];
  const capture: Logger = {
    logQuery: (query, parameters) => void sent.push({ query, parameters: (parameters as unknown[] | undefined) ?? [] }),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  const ds = await new DataSource({
    ...dataSourceOptions({ ...databaseConfig(), type: 'mariadb', name: copy }),
    logging: ['query'],
    logger: capture,
  } as never).initialize();
  const migrationStart = Date.now();
  const ran = await ds.runMigrations();
  console.log(`\n# after (${copy}): ran ${ran.map((m) => m.name).join(', ')} in ${Date.now() - migrationStart} ms`);
  const after = await connect(copy);
  console.log(`  facility_gram rows: ${((await after.query('SELECT COUNT(*) AS n FROM facility_gram'))[0] as { n: number }[])[0].n}`);
  const repo = new FacilityRepository(new Database(ds));

  const search = () => repo.search({ q: '色谱', category: 'testing', provinceCode: '320000', limit: 20, offset: 0 }, now, beijingDate(now));
  sent = [];
  const found = await search();
  for (const [i, q] of sent.entries()) await explain(after, `search, statement ${i + 1}`, q.query, q.parameters);
  console.log(`  ${await timed(search)}; total ${found.total}`);

  const browse = () => repo.search({ category: 'testing', provinceCode: '320000', limit: 20, offset: 0 }, now, beijingDate(now));
  sent = [];
  await browse();
  for (const [i, q] of sent.entries())
    await explain(after, `search without q (province and category), statement ${i + 1}`, q.query, q.parameters);
  console.log(`  ${await timed(browse)}`);

  // A voucher as the bench's quotes use it: active, of a policy covering the category.
  const db = new Database(ds);
  const [voucher] = await db.select(Voucher, 'v', sql`WHERE v.status = 'active' ORDER BY v.id LIMIT 1`);
  const [policy] = await db.select(Policy, 'p', sql`WHERE p.id = ${voucher.policyId}`);
  const [enterprise] = await db.select(Organization, 'o', sql`WHERE o.id = ${voucher.enterpriseId}`);
  const group = partyGroup(enterprise);
  const runs = comparisonRuns({
    terms: policy.terms,
    today: beijingDate(now),
    voucher,
    enterpriseSanctioned: false,
    category: 'testing',
    quantity: 1,
  });
  const scope = { category: 'testing', maxPriceFen: MAX_FEN, now, today: beijingDate(now) };
  const priceable = {
    runs,
    enterpriseId: enterprise.id,
    relatedTo: policy.terms.relatedPartyBan ? { group, codes: [...group, ...enterprise.relatedCreditCodes] } : null,
  };
  for (const run of runs.keys()) {
    sent = [];
    await repo.priceableInRun(scope, priceable, run, 20);
    await explain(
      after,
      `quotes: run ${run} (${runs[run].provincePrefixes.join(',')}, ${runs[run].ratioBp} bp), first 20`,
      sent[0].query,
      sent[0].parameters,
    );
    console.log(`  ${await timed(() => repo.priceableInRun(scope, priceable, run, 20))}`);
  }
  sent = [];
  await repo.countInCategory(scope);
  await explain(after, 'quotes: total', sent[0].query, sent[0].parameters);
  console.log(`  ${await timed(() => repo.countInCategory(scope))}`);
  const all = async () => {
    for (const run of runs.keys()) await repo.priceableInRun(scope, priceable, run, 20);
    await repo.countInCategory(scope);
  };
  console.log(`\n  quotes, every statement of a first page: ${await timed(all)}`);
  await after.end();
  await ds.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
