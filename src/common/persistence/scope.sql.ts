import type { ListScope } from '../auth/scope';
import { empty, join, raw, Sql, sql } from './sql';

/** `column` is in the region: a province's prefix (its cities included), else the region itself. */
export function inRegion(column: string, regionCode: string): Sql {
  return regionCode.endsWith('0000') ? sql`${raw(column)} LIKE ${`${regionCode.slice(0, 2)}%`}` : sql`${raw(column)} = ${regionCode}`;
}

/** ` AND <the rows the scope allows>`, given the list's region column and the columns naming organizations. */
export function scopeCondition(scope: ListScope, columns: { region: string; orgs: string[] }): Sql {
  if ('all' in scope) return empty;
  if ('regionCode' in scope) return sql` AND ${inRegion(columns.region, scope.regionCode)}`;
  if (columns.orgs.length === 0) return sql` AND 1 = 0`;
  return sql` AND (${join(
    columns.orgs.map((c) => sql`${raw(c)} = ${scope.organizationId}`),
    ' OR ',
  )})`;
}
