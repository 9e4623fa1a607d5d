import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsString, Length, Max, validateSync } from 'class-validator';
import { DomainError } from '../common/errors/domain-error';
import { translate } from '../common/i18n/messages';
import { SERVICE_CATEGORIES, ServiceCategory } from '../policies/policy.types';
import { PROVINCE_CODES } from '../regions/regions.data';
import { IsOmittable } from '../common/http/validators';

const blankIsAbsent = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
/**
 * The words without the spaces around them (U+3000 too): a phone's keyboard leaves one after a word it completes, and a
 * search for `显微 ` found nothing, as no name holds that space.
 */
const trimmedWords = ({ value }: { value: unknown }) => (typeof value === 'string' ? halfWidth(value).trim() || undefined : value);

/**
 * Full-width letters and digits (ＴＥＭ, ６００) as ASCII: a Chinese keyboard in full-width mode types them, the names
 * say TEM and 600, and SQLite's LIKE, unlike MariaDB's collation, tells the two apart (a search found nothing there).
 * Not full-width punctuation: names write （） and ， as often as () and , and LIKE would then miss those.
 */
const halfWidth = (text: string): string =>
  text.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

/** A page number that is not a whole number from 1 (page=0, -1, 1.5, x: a link edited by hand) shows the first page. */
const pageNumber = ({ value }: { value: unknown }) => (Number.isInteger(Number(value)) && Number(value) >= 1 ? Number(value) : 1);

/** The catalogue page's filters as its form sends them: an empty field means any. */
export class CatalogueQuery {
  @Transform(trimmedWords) @IsOmittable() @IsString() @Length(1, 100) q?: string;
  @Transform(blankIsAbsent) @IsOmittable() @IsIn(PROVINCE_CODES) provinceCode?: string;
  @Transform(blankIsAbsent) @IsOmittable() @IsIn(SERVICE_CATEGORIES) category?: ServiceCategory;
  @Transform(pageNumber) @Max(10_000) page = 1;
}

/** The notices page's: only which page of the providers in notice. */
export class NoticesQuery {
  @Transform(pageNumber) @Max(10_000) page = 1;
}

/**
 * Parsed here rather than by the API's global pipe, which refuses unknown parameters: a link shared from a phone
 * often gains some (WeChat adds `from=` and `isappinstalled=`), and a page ignores them.
 */
export function parseCatalogueQuery(raw: Record<string, unknown>): CatalogueQuery {
  return parsePageQuery(CatalogueQuery, raw);
}

export function parseNoticesQuery(raw: Record<string, unknown>): NoticesQuery {
  return parsePageQuery(NoticesQuery, raw);
}

/**
 * A filter the page cannot read (a province code edited by hand, a keyword over 100 characters), named as the page's
 * form names it (省份, 关键词), not by its parameter: a person reads the 400 page, not a client.
 */
export class UnreadableQuery extends DomainError {
  constructor(field: string) {
    const say = (lng: 'en' | 'zh') => translate(lng, 'pages.badQuery', { field: translate(lng, `pages.fields.${field}`) });
    super('VALIDATION_FAILED', say('en'), { localized: say });
  }
}

function parsePageQuery<Q extends object>(type: new () => Q, raw: Record<string, unknown>): Q {
  const query = plainToInstance(type, raw);
  const errors = validateSync(query, { whitelist: true });
  if (errors.length > 0) throw new UnreadableQuery(errors[0].property);
  return query;
}
