import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsString, Length, Max, validateSync } from 'class-validator';
import { violationsError } from '../common/http/validation';
import { SERVICE_CATEGORIES, ServiceCategory } from '../policies/policy.types';
import { PROVINCE_CODES } from '../regions/regions.data';
import { IsOmittable } from '../common/http/validators';

const blankIsAbsent = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
/**
 * The words without the spaces around them (U+3000 too): a phone's keyboard leaves one after a word it completes, and a
 * search for `显微 ` found nothing, as no name holds that space.
 */
const trimmedWords = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() || undefined : value);

/** The catalogue page's filters as its form sends them: an empty field means any. */
export class CatalogueQuery {
  @Transform(trimmedWords) @IsOmittable() @IsString() @Length(1, 100) q?: string;
  @Transform(blankIsAbsent) @IsOmittable() @IsIn(PROVINCE_CODES) provinceCode?: string;
  @Transform(blankIsAbsent) @IsOmittable() @IsIn(SERVICE_CATEGORIES) category?: ServiceCategory;
  // A page number that is not a whole number from 1 (page=0, -1, 1.5, x: a link edited by hand) shows the first page.
  @Transform(({ value }) => (Number.isInteger(Number(value)) && Number(value) >= 1 ? Number(value) : 1))
  @Max(10_000)
  page = 1;
}

/**
 * Parsed here rather than by the API's global pipe, which refuses unknown parameters: a link shared from a phone
 * often gains some (WeChat adds `from=` and `isappinstalled=`), and a page ignores them.
 */
export function parseCatalogueQuery(raw: Record<string, unknown>): CatalogueQuery {
  const query = plainToInstance(CatalogueQuery, raw);
  const errors = validateSync(query, { whitelist: true });
  if (errors.length > 0) throw violationsError(errors);
  return query;
}
