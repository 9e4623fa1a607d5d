import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Statements for the hot paths, built once per entity from TypeORM's own metadata and run as one
 * parameterised query each, without the query builder (leaving it out cut a hold's CPU by about 30%).
 * Values pass through the driver's conversions and the columns' transformers, so a row written or read
 * here is the same as one written or read through a repository.
 */

const insertTuples = new WeakMap<EntityMetadata, { sql: string; tuple: string }>();

const BATCH_ROWS = 500; // stays under the databases' bound-parameter limits

/** Inserts complete rows (every column given; null where empty). */
export async function insertRows<E extends ObjectLiteral>(em: EntityManager, target: EntityTarget<E>, rows: E[]): Promise<void> {
  const meta = em.connection.getMetadata(target);
  const { driver } = em.connection;
  let statement = insertTuples.get(meta);
  if (!statement) {
    const names = meta.columns.map((c) => driver.escape(c.databaseName)).join(', ');
    statement = {
      sql: `INSERT INTO ${driver.escape(meta.tableName)} (${names}) VALUES `,
      tuple: `(${meta.columns.map(() => '?').join(', ')})`,
    };
    insertTuples.set(meta, statement);
  }
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const batch = rows.slice(i, i + BATCH_ROWS);
    const params = batch.flatMap((row) =>
      meta.columns.map((c) => {
        const value = c.getEntityValue(row);
        if (value === undefined) throw new Error(`insertRows: ${meta.name}.${c.propertyName} is undefined`);
        return driver.preparePersistentValue(value, c);
      }),
    );
    await em.query(statement.sql + batch.map(() => statement.tuple).join(', '), params);
  }
}

const columnLists = new WeakMap<EntityMetadata, Map<string, string>>();

/** `alias.col AS alias_col, …` for every column of the entity, to read it back with `hydrate`. */
export function selectColumns(em: EntityManager, target: EntityTarget<ObjectLiteral>, alias: string): string {
  const meta = em.connection.getMetadata(target);
  let lists = columnLists.get(meta);
  if (!lists) columnLists.set(meta, (lists = new Map()));
  let list = lists.get(alias);
  if (list === undefined) {
    const { driver } = em.connection;
    list = meta.columns
      .map((c) => `${alias}.${driver.escape(c.databaseName)} AS ${driver.escape(`${alias}_${c.databaseName}`)}`)
      .join(', ');
    lists.set(alias, list);
  }
  return list;
}

/** The entity in a raw row selected with `selectColumns(…, alias)`. */
export function hydrate<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  raw: Record<string, unknown>,
  alias: string,
): E {
  const { driver } = em.connection;
  const entity: ObjectLiteral = {};
  for (const c of em.connection.getMetadata(target).columns)
    entity[c.propertyName] = driver.prepareHydratedValue(raw[`${alias}_${c.databaseName}`], c);
  return entity as E;
}

/** Reads a row for update: a row lock on MariaDB/MySQL; SQLite transactions are already exclusive. */
export async function lockRow<E extends ObjectLiteral>(em: EntityManager, target: EntityTarget<E>, where: Partial<E>): Promise<E | null> {
  const { driver } = em.connection;
  const meta = em.connection.getMetadata(target);
  const keys = Object.keys(where).map((property) => meta.findColumnWithPropertyName(property)!);
  const conditions = keys.map((c) => `t.${driver.escape(c.databaseName)} = ?`).join(' AND ');
  const forUpdate = em.connection.options.type === 'better-sqlite3' ? '' : ' FOR UPDATE';
  const sql = `SELECT ${selectColumns(em, target, 't')} FROM ${driver.escape(meta.tableName)} t WHERE ${conditions}${forUpdate}`;
  const [row] = await em.query<Record<string, unknown>[]>(
    sql,
    keys.map((c) => driver.preparePersistentValue(c.getEntityValue(where), c)),
  );
  return row ? hydrate(em, target, row, 't') : null;
}

/** Runs an INSERT, UPDATE or DELETE and returns the number of rows it changed. */
export async function execute(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const runner = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).affected ?? 0;
  } finally {
    if (!em.queryRunner) await runner.release();
  }
}
