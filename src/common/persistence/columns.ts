import { Column, ColumnOptions } from 'typeorm';
import { fenTransformer, jsonTransformer } from './transformers';

/** Column decorators matching the migration's vocabulary (see migrations/). */
export const FenColumn = (options: ColumnOptions = {}) => Column({ type: 'bigint', transformer: fenTransformer, ...options });
export const JsonColumn = (options: ColumnOptions = {}) => Column({ type: 'text', transformer: jsonTransformer, ...options });
export const IntColumn = (options: ColumnOptions = {}) => Column({ type: 'integer', ...options });
export const StrColumn = (length: number, options: ColumnOptions = {}) => Column({ type: 'varchar', length, ...options });
export const InstantColumn = (options: ColumnOptions = {}) => Column({ type: 'varchar', length: 24, ...options });
export const DateColumn = (options: ColumnOptions = {}) => Column({ type: 'varchar', length: 10, ...options });
export const RefColumn = (options: ColumnOptions = {}) => Column({ type: 'varchar', length: 36, ...options });

/** The in-place references declared so far: their type is the database's, given when a data source is described. */
const inPlaceRefs: ColumnOptions[] = [];

/**
 * A reference set once after its row is written, from NULL to an id (claim.settlement_id): on MariaDB/MySQL a CHAR(36),
 * which a migration makes fixed-length in the row so that setting it writes in place; on SQLite, whose TypeORM driver has
 * no CHAR, a VARCHAR. One process may describe both (the OpenAPI document is built on SQLite beside a MariaDB test), so
 * the type is set by `fitInPlaceRefs` for each data source, not fixed when the entity is declared.
 */
export const InPlaceRefColumn = (options: ColumnOptions = {}) => {
  const column: ColumnOptions = { type: 'char', length: 36, ...options };
  inPlaceRefs.push(column); // TypeORM keeps this object as the column's options and reads its type when it builds metadata
  return Column(column);
};

/** Gives every in-place reference its type on this database, before a data source builds its metadata. */
export function fitInPlaceRefs(databaseType: string): void {
  for (const column of inPlaceRefs) column.type = databaseType === 'sqlite' ? 'varchar' : 'char';
}
