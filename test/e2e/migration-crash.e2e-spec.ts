import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { AppModule } from '../../src/app.module';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrator';
import { createTestDatabase, isMaria } from '../support/test-app';

/** Statements that change the database, and COMMIT: the cut points are counted in these. */
const CHANGES = /^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE|INSERT|UPDATE|DELETE|COMMIT)\b/i;
const SEED = Number(process.env.MIGRATION_CUT_SEED ?? 20261201);
const SPREAD = 16;
const CHAINS = 4;

/** mulberry32: the cut points of a run follow from its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A statement as any database would see it: TypeORM names the database in some. */
const normal = (sql: string) => sql.replace(/`[^`]+`\.(?=`)/g, '');

/** A database of its own, with the settings of the service; its DataSources. */
async function freshDatabase(prefix: string) {
  const drop = await createTestDatabase(prefix);
  // TypeORM would log every migration killed.
  const options = { ...dataSourceOptions(databaseConfig()), logging: false };
  return { drop, open: () => new DataSource(options).initialize() };
}

/**
 * Where a node is in a clean run's list of changes: it runs the pending migrations, so it starts where the first of
 * them started there and sends a subsequence of the rest (what it finds done it leaves out).
 */
interface Progress {
  at: number;
  /** Statements sent that a clean run does not send at that point. */
  strays: string[];
}

/**
 * The node dies before it sends the change that stands at `cut` or later in the clean run: that statement and every one
 * after it fail, ROLLBACK included, as on a connection whose process was killed.
 */
function cutOff(runner: QueryRunner, clean: string[], progress: Progress, cut: number): void {
  const query = runner.query.bind(runner);
  let dead = false;
  runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
    if (dead) throw new Error('killed');
    if (CHANGES.test(sql)) {
      const at = clean.indexOf(normal(sql), progress.at);
      if (at < 0) progress.strays.push(sql);
      else if (at >= cut) {
        dead = true;
        throw new Error('killed');
      } else progress.at = at + 1;
    }
    return query(sql, parameters, structured as true);
  }) as QueryRunner['query'];
}

/** One node migrating, killed at `cut` (Infinity: it finishes); returns the changes it sent. */
async function migrateUntilKilled(open: () => Promise<DataSource>, clean: string[], cut: number): Promise<Progress> {
  const dataSource = await open();
  const recorded = (await dataSource.createQueryRunner().hasTable('migrations'))
    ? (await dataSource.query<unknown[]>('SELECT name FROM migrations')).length
    : 0;
  // The clean run commits each migration, in order: a node starts after the COMMIT of the last one recorded.
  const commits = clean.flatMap((sql, i) => (sql === 'COMMIT' ? [i] : []));
  const progress: Progress = { at: recorded === 0 ? 0 : commits[recorded - 1] + 1, strays: [] };
  const runner = dataSource.createQueryRunner();
  cutOff(runner, clean, progress, cut);
  try {
    const ran = runMigrations(dataSource, runner);
    if (cut === Infinity) await ran;
    else await expect(ran).rejects.toThrow('killed');
  } finally {
    // Closing the pool drops the connection as a kill would: the server rolls back what was not committed.
    await dataSource.destroy();
  }
  return progress;
}

/** The changes a clean run sends, in order (recorded by a node that is never killed). */
async function cleanRun(open: () => Promise<DataSource>): Promise<string[]> {
  const dataSource = await open();
  const runner = dataSource.createQueryRunner();
  const sent: string[] = [];
  const query = runner.query.bind(runner);
  runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) => {
    if (CHANGES.test(sql)) sent.push(normal(sql));
    return query(sql, parameters, structured as true);
  }) as QueryRunner['query'];
  try {
    await runMigrations(dataSource, runner);
  } finally {
    await dataSource.destroy();
  }
  return sent;
}

/** `text` cut at its top-level commas (not those inside parentheses). */
function topLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return [...parts, text.slice(start).trim()];
}

/** Whether `text` is one parenthesized whole: the parenthesis it opens with closes at its end. */
function wrapped(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length - 1; i++) {
    depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
    if (depth === 0) return false;
  }
  return true;
}

/**
 * A SQLite table as its constraints say, not as TypeORM last wrote it. Each time TypeORM's SQLite runner rebuilds a
 * table it has read back from sqlite_master (a node starting anew, where a clean run works on tables it holds in
 * memory), it writes the CHECK in one more pair of parentheses and the foreign keys in reverse order: the same table.
 */
function sqliteTable(sql: string): string {
  const open = sql.indexOf('(');
  const [head, items] = [sql.slice(0, open), topLevel(sql.slice(open + 1, -1))];
  const constraints = items
    .filter((item) => item.startsWith('CONSTRAINT'))
    .map((item) =>
      item.replace(/CHECK \((.*)\)$/s, (_, expr: string) => {
        while (wrapped(expr)) expr = expr.slice(1, -1);
        return `CHECK (${expr})`;
      }),
    )
    .sort();
  return `${head}(${[...items.filter((item) => !item.startsWith('CONSTRAINT')), ...constraints].join(', ')})`;
}

/** What the schema is (tables, columns, indexes, constraints) and the rows migrations write themselves. */
async function schemaOf(dataSource: DataSource): Promise<Record<string, unknown>> {
  const q = (sql: string) => dataSource.query<Record<string, unknown>[]>(sql);
  const rows = {
    audit_head: await q('SELECT id, seq, hash FROM audit_head'),
    event_head: await q('SELECT id, seq FROM event_head'),
    migrations: (await q('SELECT name FROM migrations')).map((m) => m.name).sort(),
  };
  if (!isMaria()) {
    const objects = await q(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`);
    return {
      ...rows,
      objects: objects.map((o) => (o.type === 'table' && typeof o.sql === 'string' ? { ...o, sql: sqliteTable(o.sql) } : o)),
    };
  }
  const schema = (view: string, columns: string, order: string) =>
    q(`SELECT ${columns} FROM information_schema.${view} WHERE ${view === 'CHECK_CONSTRAINTS' ? 'CONSTRAINT' : 'TABLE'}_SCHEMA = DATABASE()
       ORDER BY ${order}`);
  return {
    ...rows,
    tables: await schema('TABLES', 'TABLE_NAME, ENGINE, ROW_FORMAT, TABLE_COLLATION', 'TABLE_NAME'),
    columns: await schema(
      'COLUMNS',
      'TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME',
      'TABLE_NAME, ORDINAL_POSITION',
    ),
    indexes: await schema(
      'STATISTICS',
      'TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE',
      'TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
    ),
    constraints: await schema('TABLE_CONSTRAINTS', 'TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE', 'TABLE_NAME, CONSTRAINT_NAME'),
    checks: await schema('CHECK_CONSTRAINTS', 'TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE', 'TABLE_NAME, CONSTRAINT_NAME'),
    references: await schema(
      'KEY_COLUMN_USAGE',
      'TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME',
      'TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION',
    ),
  };
}

/**
 * Any node may die at any moment while migrating, and the next node finishes the migrations: on MariaDB/MySQL a
 * migration cut off between two DDL statements is half applied (each committed on its own) and runs again over what
 * it did; on SQLite it rolled back whole. Either way the schema ends as a clean run leaves it.
 */
describe('migrations cut off at any statement', () => {
  let changes: string[];
  let clean: Record<string, unknown>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const db = await freshDatabase('vt_cut_ref_');
    try {
      changes = await cleanRun(db.open);
      const dataSource = await db.open();
      clean = await schemaOf(dataSource);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      await dataSource.destroy();
    } finally {
      await db.drop();
    }
  });

  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  /** Cut points: one at random in each of SPREAD equal stretches of the run, and named ones where a crash hurt before. */
  const cutPoints = () => {
    const next = random(SEED);
    const spread = Array.from({ length: SPREAD }, (_, i) => {
      const [from, to] = [Math.floor((i * changes.length) / SPREAD), Math.floor(((i + 1) * changes.length) / SPREAD)];
      return from + Math.floor(next() * (to - from));
    });
    // Named in MySQL's SQL (SQLite's differs: it rebuilds a table for a foreign key or a check).
    const after = (pattern: RegExp, n = 1) => {
      const at = changes.findIndex((sql) => pattern.test(sql));
      if (isMaria()) expect([pattern, at]).not.toEqual([pattern, -1]);
      return at < 0 ? [] : [at + n];
    };
    const named = [
      ...after(/ADD CONSTRAINT `fk_app_user_organization`/), // the next migration's FKs, one done
      ...after(/ALTER TABLE `voucher` ADD CONSTRAINT `fk_voucher_enterprise`/), // within one createForeignKeys call
      ...after(/ALTER TABLE `organization` ADD `certificate_no`/), // within one addColumns call
      ...after(/CHANGE `actual_quantity` `captured_quantity`/), // after a rename
      ...after(/ADD CONSTRAINT `chk_voucher_balances` CHECK/), // after a CHECK in raw SQL
      ...after(/INSERT INTO event_head/, 2), // the next DDL committed the row
      ...after(/INSERT INTO audit_head/), // the row written, the migration not yet committed
      ...after(/^INSERT INTO `migrations`/), // recorded, COMMIT not reached
      ...after(/ROW_FORMAT=REDUNDANT/), // after a table rebuild
    ];
    return [...new Set([...spread, ...named])].sort((a, b) => a - b);
  };

  it('nodes killed one after another at cut points all over the run: the last one finishes with the schema of a clean run', async () => {
    const points = cutPoints();
    console.info(`${points.length} cut points among ${changes.length} changes (seed ${SEED}): ${points.join(', ')}`);
    expect(points.length).toBeGreaterThanOrEqual(SPREAD);
    // CHAINS databases at once, each taking every CHAINS-th cut point: a node dies at each, the next goes on.
    const chains = Array.from({ length: CHAINS }, (_, c) => points.filter((_, i) => i % CHAINS === c));
    const dbs: Awaited<ReturnType<typeof freshDatabase>>[] = [];
    for (let c = 0; c < CHAINS; c++) dbs.push(await freshDatabase(`vt_cut_${c}_`));
    try {
      const outcomes = await Promise.all(
        chains.map(async (cuts, c) => {
          const strays: string[] = [];
          for (const cut of [...cuts, Infinity]) strays.push(...(await migrateUntilKilled(dbs[c].open, changes, cut)).strays);
          const dataSource = await dbs[c].open();
          try {
            return { cuts, strays, pending: await dataSource.showMigrations(), schema: await schemaOf(dataSource) };
          } finally {
            await dataSource.destroy();
          }
        }),
      );
      // On SQLite a node starting anew rebuilds tables from what it reads back, where a clean run works on the tables it
      // holds in memory: the two send different statements (and every cut there rolls back whole). On MySQL/MariaDB a
      // node sends what a clean run sends.
      for (const [c, outcome] of outcomes.entries())
        expect(outcome).toEqual({ cuts: chains[c], strays: isMaria() ? [] : outcome.strays, pending: false, schema: clean });
    } finally {
      for (const db of dbs) await db.drop();
    }
  }, 180_000);

  it('a migration cut off leaves its DDL behind on MariaDB, nothing on SQLite; the service then starts on it', async () => {
    const db = await freshDatabase('vt_cut_app_');
    try {
      // Within the first migration, after some of its tables.
      await migrateUntilKilled(
        db.open,
        changes,
        changes.findIndex((sql) => sql.startsWith('CREATE TABLE `voucher_application`')),
      );
      const dataSource = await db.open();
      const left = await dataSource.createQueryRunner().hasTable('organization');
      await dataSource.destroy();
      expect(left).toBe(isMaria());

      const errors: string[] = [];
      const logger = { log: () => undefined, warn: () => undefined, error: (m: unknown) => errors.push(String(m)) };
      const app = await NestFactory.createApplicationContext(AppModule, { logger });
      try {
        expect(errors).toEqual([]);
        const ran = await app.get(DataSource).query<{ name: string }[]>('SELECT name FROM migrations');
        expect(ran.map((m) => m.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
        const [{ n }] = await app.get(DataSource).query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM organization');
        expect(Number(n)).toBe(0);
      } finally {
        await app.close();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});
