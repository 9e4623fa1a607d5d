import type { Sql } from '../persistence/sql';

/**
 * A rule that depends on time (in force, expired, active now), written once as a pair: the TypeScript predicate that
 * services apply to a row in hand, and the SQL condition that queries and sweeps use. A test runs both over the same
 * rows on every database and requires them to agree.
 */
export interface TimeRule<R> {
  /** Whether the rule holds for the row at `at` (an instant or a date, as the rule says). */
  holds(row: R, at: string): boolean;
  /** The same condition over the table aliased `alias`, with `at` bound as a parameter. */
  sql(alias: string, at: string): Sql;
}
