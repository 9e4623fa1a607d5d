import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { catalogued, DomainError } from '../errors/domain-error';
import { hasMessage, Language, translate } from '../i18n/messages';
import { counted } from '../i18n/plural';
import { hasControlCharacters } from './text';

/** One failed constraint of one field: its path, the constraint's name and class-validator's English text. */
interface Violation {
  field: string;
  constraint: string;
  english: string;
}

function violations(errors: ValidationError[], parent = ''): Violation[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([constraint, english]) => ({ field, constraint, english }));
    return [...own, ...violations(e.children ?? [], field)];
  });
}

/** class-validator's bounds end in a count it always writes in the plural: "at least 1 elements". */
const BOUND_COUNT = /\b(\d+) (element|character)s$/;
const COUNTED_CONSTRAINTS = new Set(['isLength', 'minLength', 'maxLength', 'arrayMinSize', 'arrayMaxSize']);

/** `organization.creditCode: must be ...` — every failing field named with its path (the English text, as before). */
function inEnglish(v: Violation): string {
  const property = v.field.split('.').pop()!;
  const parent = v.field.slice(0, v.field.length - property.length);
  const english = COUNTED_CONSTRAINTS.has(v.constraint)
    ? v.english.replace(BOUND_COUNT, (_, n: string, noun: string) => counted(Number(n), noun))
    : v.english;
  return english.startsWith(property) ? `${parent}${english}` : `${v.field}: ${english}`;
}

/** The constraint's argument (a bound, a list of values), read from class-validator's English default text. */
function argumentOf(v: Violation): string | undefined {
  const text = v.english;
  switch (v.constraint) {
    case 'isIn':
      return /following values: (.+)$/.exec(text)?.[1];
    case 'isLength': {
      const longer = /longer than or equal to (\d+)/.exec(text)?.[1];
      const shorter = /shorter than or equal to (\d+)/.exec(text)?.[1];
      return longer ? `≥ ${longer}` : shorter ? `≤ ${shorter}` : undefined;
    }
    case 'min':
    case 'max':
    case 'minLength':
    case 'maxLength':
    case 'arrayMinSize':
    case 'arrayMaxSize':
    case 'hasVisibleText':
      return /(-?\d+)/.exec(text.slice(text.indexOf(' ')))?.[1];
    default:
      return undefined;
  }
}

function localize(v: Violation, lng: Language): string {
  const key = `validation.${v.constraint}`;
  const arg = argumentOf(v);
  const needsArg = translate('en', key).includes('{{arg}}');
  if (!hasMessage(lng, key) || (needsArg && arg === undefined)) return translate(lng, 'validation.default', { field: v.field });
  return translate(lng, key, { field: v.field, arg });
}

/** With the u flag a surrogate pair reads as one code point, so only a lone surrogate is a Cs code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a value failed its validators, in `lng`: for what a request is answered with per row (an import's rejected rows). */
export const describeViolations = (errors: ValidationError[], lng: Language): string =>
  lng === 'en'
    ? violations(errors).map(inEnglish).join('; ')
    : violations(errors)
        .map((v) => localize(v, lng))
        .join(translate(lng, 'validation.separator'));

const illFormed = (text: string) => LONE_SURROGATE.test(text) || hasControlCharacters(text);

/**
 * The path of the first string (or key) in `value` that is not well-formed text: a lone surrogate, which JSON's
 * `\ud800` escapes can carry, or a control character other than TAB, LF and CR (text.ts). No text of ours can hold
 * one, and validators that encode text (IsEmail) throw on a lone surrogate.
 */
export function illFormedText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return illFormed(value) ? path || 'body' : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    if (illFormed(key)) return path || 'body';
    const found = illFormedText(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/** Keys class-transformer drops without a word (they would reach prototypes), so forbidNonWhitelisted never sees them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor']);

/** The path (`organization.__proto__`) of the first key in `value` that class-transformer would drop silently. */
export function prototypeKey(value: unknown, path = ''): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) return here;
    const found = prototypeKey(inner, here);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses ill-formed text anywhere in a body or a query before the DTO's validators read it, and a prototype's key as
 * any unknown field. Not the route's own arguments (the caller, its User-Agent) nor path segments, which routes check.
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A number in the path is decimal digits with no leading zero: the pipe would read `0x7EA`, `2026.0`, `02026` and
    // ` 2026` as 2026 (`+value`).
    if (metadata.type === 'param' && metadata.metatype === Number && !(typeof value === 'string' && /^(0|[1-9]\d{0,14})$/.test(value))) {
      throw catalogued('VALIDATION_FAILED', 'validation.pathNumber', { field: metadata.data ?? 'path' });
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const field = illFormedText(value);
      if (field) throw catalogued('VALIDATION_FAILED', 'validation.wellFormed', { field });
      const key = prototypeKey(value);
      if (key) throw catalogued('VALIDATION_FAILED', 'validation.whitelistValidation', { field: key });
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisted, unknown fields rejected, plain JSON turned into typed DTOs; no implicit coercion of bodies. */
export const validationPipe = new RequestValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors) => {
    const found = violations(errors);
    return new DomainError('VALIDATION_FAILED', found.map(inEnglish).join('; ') || 'invalid input', {
      localized: (lng) =>
        found.map((v) => localize(v, lng)).join(translate(lng, 'validation.separator')) || translate(lng, 'errors.VALIDATION_FAILED'),
    });
  },
});
