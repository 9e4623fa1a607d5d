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

/**
 * A reference set once after the row is written, from NULL to an id (claim.settlement_id): CHAR(36) on MariaDB/MySQL,
 * where a migration makes it fixed-length in the row so that setting it writes in place; VARCHAR on SQLite, whose
 * TypeORM driver has no CHAR. Read from the environment when the entity is declared: the type only matters to the schema
 * check against the migrations (which make the schema), and tests set DB_TYPE before anything is imported.
 */
export const InPlaceRefColumn = (options: ColumnOptions = {}) =>
  Column({ type: (process.env.DB_TYPE ?? 'sqlite') === 'sqlite' ? 'varchar' : 'char', length: 36, ...options });
