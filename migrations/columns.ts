import { QueryRunner, TableColumnOptions, TableIndex } from 'typeorm';

// Column builders: one vocabulary for every table, portable across SQLite and MariaDB/MySQL.
export const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
export const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
export const str = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
export const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
export const fen = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
export const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
export const bool = (name: string): TableColumnOptions => ({ name, type: 'boolean' });
export const date = (name: string, nullable = false) => str(name, 10, nullable); // YYYY-MM-DD
export const instant = (name: string, nullable = false) => str(name, 24, nullable); // ISO 8601 UTC, sorts as text
export const region = (name: string, nullable = false) => str(name, 6, nullable);

export const idx = (columnNames: string[], isUnique = false) => new TableIndex({ columnNames, isUnique });

/** Creates the index on `columns` unless `table` has one already: a migration run again after a crash finds it made. */
export async function ensureIndex(queryRunner: QueryRunner, table: string, columns: string[], isUnique = false): Promise<void> {
  const found = await queryRunner.getTable(table);
  if (!found!.indices.some((i) => i.columnNames.join() === columns.join())) await queryRunner.createIndex(table, idx(columns, isUnique));
}

/** Drops the index on `columns` of `table`, if there is one (down of ensureIndex). */
export async function dropIndexOn(queryRunner: QueryRunner, table: string, columns: string[]): Promise<void> {
  const index = (await queryRunner.getTable(table))!.indices.find((i) => i.columnNames.join() === columns.join());
  if (index) await queryRunner.dropIndex(table, index);
}
