/**
 * The one way SQL is written here: tagged templates whose interpolations become bound parameters, so a value can
 * never be spliced into the text and placeholders cannot drift out of line with their values. Only repositories
 * and the time rules beside them import this (a lint rule keeps it so).
 */
export { default as sql, join, raw, empty, Sql } from 'sql-template-tag';
