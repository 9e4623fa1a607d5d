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
