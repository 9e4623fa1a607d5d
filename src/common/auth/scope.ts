import { Actor } from '../context/request-context';
import { DomainError } from '../errors/domain-error';

export { provinceOfRegion } from '../../regions/regions.data';

/** A bureau acts on its own region and, for a province, every city below it. */
export function bureauCovers(bureauRegion: string | null, regionCode: string | null | undefined): boolean {
  if (!bureauRegion || !regionCode) return false;
  if (bureauRegion === regionCode) return true;
  return bureauRegion.endsWith('0000') && regionCode.slice(0, 2) === bureauRegion.slice(0, 2);
}

export function assertBureauOf(actor: Actor, regionCode: string, what = 'this region'): void {
  if (actor.role !== 'bureau' || !bureauCovers(actor.regionCode, regionCode)) {
    throw new DomainError('FORBIDDEN', `only the bureau of region ${regionCode} or its province may act on ${what}`);
  }
}

/** Who may read a record: platform everywhere; a bureau over the record's regions; an organization its own. */
export function canRead(
  actor: Actor,
  record: { organizationIds?: (string | null | undefined)[]; regionCodes?: (string | null | undefined)[] },
): boolean {
  if (actor.role === 'platform') return true;
  if (actor.role === 'bureau') return (record.regionCodes ?? []).some((r) => bureauCovers(actor.regionCode, r));
  return !!actor.organizationId && (record.organizationIds ?? []).includes(actor.organizationId);
}

interface Filterable {
  andWhere(where: string, params?: Record<string, unknown>): unknown;
}

/** Narrows a query to a region's rows: a province's (LIKE 'NN%', its cities included), else the region's own. */
export function whereInRegion<Q extends Filterable>(query: Q, column: string, regionCode: string): Q {
  if (regionCode.endsWith('0000')) query.andWhere(`${column} LIKE :scopePrefix`, { scopePrefix: `${regionCode.slice(0, 2)}%` });
  else query.andWhere(`${column} = :scopeRegion`, { scopeRegion: regionCode });
  return query;
}

/**
 * Narrows a list query to what the actor may see: platform everything; a bureau the rows whose
 * region column it covers; an organization the rows where one of `orgColumns` is itself.
 */
export function scopeList(query: Filterable, actor: Actor, columns: { region: string; orgs: string[] }): void {
  if (actor.role === 'platform') return;
  if (actor.role === 'bureau') {
    whereInRegion(query, columns.region, actor.regionCode ?? '-');
    return;
  }
  if (columns.orgs.length === 0) throw new DomainError('FORBIDDEN', 'this list is for bureaus and the platform');
  query.andWhere(`(${columns.orgs.map((c) => `${c} = :scopeOrg`).join(' OR ')})`, { scopeOrg: actor.organizationId ?? '-' });
}
