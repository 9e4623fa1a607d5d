import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Mutex } from 'async-mutex';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Page } from '../http/paging';
import { join, raw, Sql, sql } from './sql';

export type Row = Record<string, unknown>;

/** The connection of the unit of work in progress, if any (set by UnitOfWork). */
export const currentTransaction = new AsyncLocalStorage<{ em: EntityManager }>();

const BATCH_ROWS = 500; // stays under the databases' bound-parameter limits

interface EntityStatements {
  insert: string;
  tuple: string;
  columns: Map<string, string>;
}

/**
 * The persistence layer's access to the database, for repositories only. Reads run in the current unit of work, or
 * on their own when there is none; writes need a unit of work and refuse to run outside one, so nothing is ever
 * written by accident without its audit entry, event and idempotent response. Entity rows are read and written
 * through TypeORM's metadata (column names, driver conversions, transformers) without its query builder, which cost
 * a third of a hold's CPU.
 */
@Injectable()
export class Database {
  readonly dialect: 'sqlite' | 'mysql';
  private readonly statements = new WeakMap<EntityMetadata, EntityStatements>();
  /**
   * SQLite: TypeORM shares one connection, so a read outside a transaction would see another request's uncommitted
   * rows; transactions and such reads take turns on this gate (STACK.md). MariaDB/MySQL pool connections: no gate.
   */
  private readonly gate: Mutex | null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
    this.gate = this.dialect === 'sqlite' ? new Mutex() : null;
  }

  /** Runs `work` (a whole transaction) alone on the SQLite connection; elsewhere at once. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.gate ? this.gate.runExclusive(work) : work();
  }

  /** `FOR UPDATE` where row locks exist; SQLite transactions are already exclusive. */
  get forUpdate(): Sql {
    return raw(this.dialect === 'sqlite' ? '' : ' FOR UPDATE');
  }

  /** A shared lock on the rows read, where row locks exist: they may not change until the unit ends; others may read them. */
  get forShare(): Sql {
    return raw(this.dialect === 'sqlite' ? '' : ' LOCK IN SHARE MODE');
  }

  /**
   * An ASCII text column (a code, an ISO instant) as a GROUP BY key compared byte by byte. MariaDB groups a
   * utf8mb4_unicode_ci column by its collation weights, 4 bytes a character wide in the temporary table: 127,000
   * instants took 8.7–10.7 s to group where ASCII took 1.6–1.9 s (docs/performance.md, 2026-12-02). SQLite compares
   * bytes already.
   */
  asciiKey(column: string): Sql {
    return raw(this.dialect === 'sqlite' ? column : `CONVERT(${column} USING ascii) COLLATE ascii_bin`);
  }

  async rows<T = Row>(q: Sql): Promise<T[]> {
    const tx = currentTransaction.getStore();
    if (tx) return tx.em.query<T[]>(q.sql, bind(q.values));
    return this.exclusive(() => this.dataSource.manager.query<T[]>(q.sql, bind(q.values)));
  }

  async row<T = Row>(q: Sql): Promise<T | undefined> {
    return (await this.rows<T>(q))[0];
  }

  /** An INSERT, UPDATE or DELETE inside the current unit of work; returns the number of rows it changed. */
  async execute(q: Sql): Promise<number> {
    const em = this.writer();
    return (await em.queryRunner!.query(q.sql, bind(q.values), true)).affected ?? 0;
  }

  /** Complete rows (every column given; null where empty), inserted in batches. */
  async insert<E extends ObjectLiteral>(target: EntityTarget<E>, rows: E[]): Promise<void> {
    const em = this.writer();
    const meta = this.meta(target);
    const { insert, tuple } = this.statementsOf(meta);
    for (let i = 0; i < rows.length; i += BATCH_ROWS) {
      const batch = rows.slice(i, i + BATCH_ROWS);
      const params = batch.flatMap((row) =>
        meta.columns.map((c) => {
          const value = c.getEntityValue(row);
          if (value === undefined) throw new Error(`insert: ${meta.name}.${c.propertyName} is undefined`);
          return this.dataSource.driver.preparePersistentValue(value, c);
        }),
      );
      await em.query(insert + batch.map(() => tuple).join(', '), params);
    }
  }

  /** `alias.col AS alias_col, …` for every column of the entity, to be read back by `select`. */
  columns(target: EntityTarget<ObjectLiteral>, alias: string): Sql {
    const meta = this.meta(target);
    const lists = this.statementsOf(meta).columns;
    let list = lists.get(alias);
    if (list === undefined) {
      const { driver } = this.dataSource;
      list = meta.columns
        .map((c) => `${alias}.${driver.escape(c.databaseName)} AS ${driver.escape(`${alias}_${c.databaseName}`)}`)
        .join(', ');
      lists.set(alias, list);
    }
    return raw(list);
  }

  /** The entity in a raw row selected with `columns(target, alias)`. */
  hydrate<E extends ObjectLiteral>(target: EntityTarget<E>, row: Row, alias: string): E {
    const { driver } = this.dataSource;
    const entity: ObjectLiteral = {};
    for (const c of this.meta(target).columns) entity[c.propertyName] = driver.prepareHydratedValue(row[`${alias}_${c.databaseName}`], c);
    return entity as E;
  }

  /** `SELECT <every column> FROM <table> alias <rest>`, as entities. */
  async select<E extends ObjectLiteral>(target: EntityTarget<E>, alias: string, rest: Sql): Promise<E[]> {
    const rows = await this.rows(sql`SELECT ${this.columns(target, alias)} FROM ${this.table(target, alias)} ${rest}`);
    return rows.map((row) => this.hydrate(target, row, alias));
  }

  /** `SELECT COUNT(*) FROM <from>` as a number (the drivers answer a string or a bigint). */
  async count(from: Sql): Promise<number> {
    const row = await this.row<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM ${from}`);
    return Number(row?.n ?? 0);
  }

  /** One page of the entities `where` selects, in `order`, and how many it selects in all: every list's shape. */
  async page<E extends ObjectLiteral>(
    target: EntityTarget<E>,
    alias: string,
    where: Sql,
    order: Sql,
    page: { limit: number; offset: number },
  ): Promise<Page<E>> {
    const items = await this.select(target, alias, sql`${where} ORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset}`);
    return { items, total: await this.count(sql`${this.table(target, alias)} ${where}`) };
  }

  /** The row matching every given column, locked for the rest of the unit of work (MariaDB/MySQL). */
  async lock<E extends ObjectLiteral>(target: EntityTarget<E>, key: Partial<E>): Promise<E | null> {
    this.writer();
    const [row] = await this.select(target, 't', sql`WHERE ${this.where(target, 't', key)}${this.forUpdate}`);
    return row ?? null;
  }

  /** `alias.col = ? AND …` for an entity's properties, values converted like the columns'. */
  where<E extends ObjectLiteral>(target: EntityTarget<E>, alias: string, key: Partial<E>): Sql {
    const meta = this.meta(target);
    const { driver } = this.dataSource;
    return join(
      Object.keys(key).map((property) => {
        const column = meta.findColumnWithPropertyName(property);
        if (!column) throw new Error(`${meta.name} has no column ${property}`);
        return sql`${raw(`${alias}.${driver.escape(column.databaseName)}`)} = ${driver.preparePersistentValue(column.getEntityValue(key), column)}`;
      }),
      ' AND ',
    );
  }

  /** `<table> alias` of an entity. */
  private table(target: EntityTarget<ObjectLiteral>, alias: string): Sql {
    return raw(`${this.dataSource.driver.escape(this.meta(target).tableName)} ${alias}`);
  }

  private writer(): EntityManager {
    const tx = currentTransaction.getStore();
    if (!tx) throw new Error('a write outside a unit of work');
    return tx.em;
  }

  private meta(target: EntityTarget<ObjectLiteral>): EntityMetadata {
    return this.dataSource.getMetadata(target);
  }

  private statementsOf(meta: EntityMetadata): EntityStatements {
    let s = this.statements.get(meta);
    if (!s) {
      const { driver } = this.dataSource;
      const names = meta.columns.map((c) => driver.escape(c.databaseName)).join(', ');
      s = {
        insert: `INSERT INTO ${driver.escape(meta.tableName)} (${names}) VALUES `,
        tuple: `(${meta.columns.map(() => '?').join(', ')})`,
        columns: new Map(),
      };
      this.statements.set(meta, s);
    }
    return s;
  }
}

/** better-sqlite3 binds no booleans: both databases store them as 0/1. */
const bind = (values: unknown[]) => values.map((v) => (typeof v === 'boolean' ? Number(v) : v));
