import { Actor } from '../context/request-context';
import { DomainError } from '../errors/domain-error';

export const provinceOfRegion = (regionCode: string): string => `${regionCode.slice(0, 2)}0000`;

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
export function canRead(actor: Actor, record: { organizationIds?: (string | null | undefined)[]; regionCodes?: (string | null | undefined)[] }): boolean {
  if (actor.role === 'platform') return true;
  if (actor.role === 'bureau') return (record.regionCodes ?? []).some((r) => bureauCovers(actor.regionCode, r));
  return !!actor.organizationId && (record.organizationIds ?? []).includes(actor.organizationId);
}

/**
 * Narrows a list query to what the actor may see: platform everything; a bureau the rows whose
 * region column it covers; an organization the rows where one of `orgColumns` is itself.
 */
export function scopeList(
  query: { andWhere(where: string, params?: Record<string, unknown>): unknown },
  actor: Actor,
  columns: { region: string; orgs: string[] },
): void {
  if (actor.role === 'platform') return;
  if (actor.role === 'bureau') {
    const region = actor.regionCode ?? '-';
    if (region.endsWith('0000')) query.andWhere(`${columns.region} LIKE :scopePrefix`, { scopePrefix: `${region.slice(0, 2)}%` });
    else query.andWhere(`${columns.region} = :scopeRegion`, { scopeRegion: region });
    return;
  }
  if (columns.orgs.length === 0) throw new DomainError('FORBIDDEN', 'this list is for bureaus and the platform');
  query.andWhere(`(${columns.orgs.map((c) => `${c} = :scopeOrg`).join(' OR ')})`, { scopeOrg: actor.organizationId ?? '-' });
}
