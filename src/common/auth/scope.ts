import { Actor } from '../context/request-context';
import { catalogued, DomainError } from '../errors/domain-error';
import { translate } from '../i18n/messages';
import { bureausOver } from '../../regions/regions.data';

export { provinceOfRegion } from '../../regions/regions.data';

/** A bureau acts on its own region and, for a province, every city below it. */
export function bureauCovers(bureauRegion: string | null, regionCode: string | null | undefined): boolean {
  if (!bureauRegion || !regionCode) return false;
  if (bureauRegion === regionCode) return true;
  return bureauRegion.endsWith('0000') && regionCode.slice(0, 2) === bureauRegion.slice(0, 2);
}

export function assertBureauOf(actor: Actor, regionCode: string, what = 'this region'): void {
  if (actor.role !== 'bureau' || !bureauCovers(actor.regionCode, regionCode)) {
    // `what` is English detail the callers write; the other languages name the bureau that may act, from the catalogue.
    const english = `only the bureau of region ${regionCode} or its province may act on ${what}`;
    throw new DomainError('FORBIDDEN', english, {
      localized: (lng) => (lng === 'en' ? english : translate(lng, 'scope.bureauOnly', { regionCode, bureaus: bureausOver(regionCode) })),
    });
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

/** Which rows of a list the caller may see: all of them, those of a region (a province includes its cities), or its organization's own. */
export type ListScope = { all: true } | { regionCode: string } | { organizationId: string };

/** The scope of a list for the actor; `organizationsSee` false makes the list one for bureaus and the platform only. */
export function listScope(actor: Actor, organizationsSee = true): ListScope {
  if (actor.role === 'platform') return { all: true };
  if (actor.role === 'bureau') return { regionCode: actor.regionCode ?? '-' };
  if (!organizationsSee) throw catalogued('FORBIDDEN', 'oversight.listForStaff');
  return { organizationId: actor.organizationId ?? '-' };
}
