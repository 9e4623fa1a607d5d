import { raw, Sql, sql } from '../common/persistence/sql';

/**
 * Whether a bank account is on file in `column`: an organization's own, or the copy a settlement line took of it. The
 * profile stores none as NULL, and '' is none too. One rule for both, so that a batch being prepared leaves out exactly
 * the payees a batch being paid would hold back.
 */
export const bankAccountOnFileSql = (column: string): Sql => sql`(COALESCE(${raw(column)}, '') <> '')`;
