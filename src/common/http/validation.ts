import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, type ValidatorOptions } from 'class-validator';
import type { TOptions } from 'i18next';
import { catalogued, DomainError } from '../errors/domain-error';
import { hasMessage, Language, translate } from '../i18n/messages';
import { counted } from '../i18n/plural';
import { hasControlCharacters } from './text';

/** A rule a field is held to, as its decorator declared it: the constraint's arguments, and whether it brings its own text. */
interface Rule {
  args: unknown[];
  custom: boolean;
}

/**
 * What one field broke: the constraint that speaks for it (fieldFailures), the English text class-validator gave that
 * constraint, the value as sent, and every rule the field is held to (a range speaks of both its bounds).
 */
interface FieldFailure {
  field: string;
  constraint: string;
  english: string;
  value: unknown;
  rules: Map<string, Rule>;
  /** The catalogue key a decorator names in its context (`{ context: { catalogue: 'wholeHour' } }`) for what a pattern asks. */
  catalogue?: string;
}

/** The rules of `property` of the object an error was found in, by the constraint name its errors carry. */
function rulesOf(target: object | undefined, property: string): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  if (!target || typeof target !== 'object') return rules;
  for (const m of getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false)) {
    if (m.propertyName !== property) continue;
    const name = m.type === 'customValidation' ? m.name : m.type;
    if (name && !rules.has(name)) rules.set(name, { args: m.constraints ?? [], custom: m.message !== undefined });
  }
  return rules;
}

/**
 * Which failed constraint speaks for a field: what it is (a string, a whole number, an object) before how long or how
 * large it is, and both before its format; a later message would only contradict or repeat the first.
 */
const RANK: Record<string, number> = {
  whitelistValidation: 0,
  isDefined: 1,
  isString: 2,
  isInt: 2,
  isNumber: 2,
  isBoolean: 2,
  isArray: 2,
  isObject: 2,
  nestedValidation: 2,
  // what an address is says more than its length: "x" is no e-mail address, whatever its length
  isEmail: 2,
  isNotEmptyObject: 3,
  isNotEmpty: 3,
  isLength: 3,
  minLength: 3,
  maxLength: 3,
  arrayNotEmpty: 3,
  arrayMinSize: 3,
  arrayMaxSize: 3,
  hasVisibleText: 4,
  min: 5,
  max: 5,
};
const FORMAT_RANK = 6;
const rank = (constraint: string) => RANK[constraint] ?? FORMAT_RANK;

/** One failure per field that failed, nested fields named by their path (`organization.name`, `categories.0.ratioBp`). */
function fieldFailures(errors: ValidationError[], parent = ''): FieldFailure[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const constraints = Object.entries(e.constraints ?? {});
    const own: FieldFailure[] = [];
    if (constraints.length > 0) {
      // a stable sort: within a rank, the order the decorators were checked in
      const [constraint, english] = [...constraints].sort(([a], [b]) => rank(a) - rank(b))[0];
      const catalogue = (e.contexts?.[constraint] as { catalogue?: string } | undefined)?.catalogue;
      own.push({ field, constraint, english, value: e.value, rules: rulesOf(e.target, e.property), catalogue });
    }
    return [...own, ...fieldFailures(e.children ?? [], field)];
  });
}

/** class-validator's bounds end in a count it always writes in the plural: "at least 1 elements". */
const BOUND_COUNT = /\b(\d+) (element|character)s$/;
const COUNTED_CONSTRAINTS = new Set(['isLength', 'minLength', 'maxLength', 'arrayMinSize', 'arrayMaxSize']);

/** `organization.creditCode must be ...`: a decorator's own English text, its field named with its path. */
function ownEnglish(f: FieldFailure): string {
  const property = f.field.split('.').pop()!;
  const parent = f.field.slice(0, f.field.length - property.length);
  const english = COUNTED_CONSTRAINTS.has(f.constraint)
    ? f.english.replace(BOUND_COUNT, (_, n: string, noun: string) => counted(Number(n), noun))
    : f.english;
  return english.startsWith(property) ? `${parent}${english}` : `${f.field}: ${english}`;
}

const numberArg = (rule: Rule | undefined, i = 0): number | undefined => {
  const arg = rule?.args[i];
  return typeof arg === 'number' && Number.isFinite(arg) ? arg : undefined;
};

/** The fewest characters (code points) of `value`'s text, or of its elements' for a rule on each element. */
const shortest = (value: unknown): number =>
  Math.min(...(Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? [...v].length : Infinity)));

/** A list of six-digit codes is a list of the region's provinces and cities (or of its provinces alone), not words to print. */
const SIX_DIGITS = /^\d{6}$/;
const PROVINCE = /^\d{2}0000$/;

/** The catalogue message (`validation.<key>`) and its parameters that say what a field must be. */
function message(f: FieldFailure, lng: Language): { key: string; params?: TOptions } {
  const { constraint, rules, value } = f;
  // An optional field (IsOmittable) may be left out, not sent as null.
  if (value === null && rules.has('conditionalValidation') && constraint !== 'whitelistValidation') return { key: 'notNull' };
  // Missing, or null where null is not allowed (an optional field is not validated when missing): nothing else to say.
  if (constraint !== 'whitelistValidation' && (value === undefined || value === null)) return { key: 'required' };
  if (f.catalogue) return { key: f.catalogue };
  const count = (n: number, noun: string) => (lng === 'en' ? counted(n, noun) : String(n));
  switch (constraint) {
    case 'isInt':
    case 'min':
    case 'max': {
      const min = numberArg(rules.get('min'));
      const max = numberArg(rules.get('max'));
      // An amount of money is a whole number of fen: "10元" or 12.5 is refused as that, whatever its bounds.
      const fen = /Fen$/.test(f.field) && rules.has('isInt');
      if (fen && constraint === 'isInt') return { key: 'fen' };
      if (rules.has('isInt') && min !== undefined && max !== undefined) return { key: fen ? 'fenRange' : 'intRange', params: { min, max } };
      if (constraint === 'min' && min !== undefined) return { key: 'min', params: { arg: min } };
      if (constraint === 'max' && max !== undefined) return { key: 'max', params: { arg: max } };
      return { key: constraint === 'isInt' ? 'isInt' : 'default' };
    }
    case 'isLength':
    case 'minLength':
    case 'maxLength': {
      const isLength = rules.get('isLength');
      const min = constraint === 'isLength' ? numberArg(isLength, 0) : numberArg(rules.get('minLength'));
      const max = constraint === 'isLength' ? numberArg(isLength, 1) : numberArg(rules.get('maxLength'));
      if (min !== undefined && min > 1 && max !== undefined) return { key: 'isLength', params: { min, max } };
      const tooShort = constraint === 'minLength' || (constraint === 'isLength' && min !== undefined && shortest(value) < min);
      if (tooShort && min !== undefined)
        return min <= 1 ? { key: 'isNotEmpty' } : { key: 'minLength', params: { arg: count(min, 'character') } };
      if (max !== undefined) return { key: 'maxLength', params: { arg: count(max, 'character') } };
      return { key: 'default' };
    }
    case 'arrayMinSize': {
      const min = numberArg(rules.get('arrayMinSize'));
      if (min === undefined) return { key: 'default' };
      return min <= 1 ? { key: 'arrayNotEmpty' } : { key: 'arrayMinSize', params: { arg: count(min, 'item') } };
    }
    case 'arrayMaxSize': {
      const max = numberArg(rules.get('arrayMaxSize'));
      return max === undefined ? { key: 'default' } : { key: 'arrayMaxSize', params: { arg: count(max, 'item') } };
    }
    case 'hasVisibleText': {
      const min = numberArg(rules.get('hasVisibleText'));
      return min === undefined ? { key: 'default' } : { key: 'hasVisibleText', params: { arg: count(min, 'visible character') } };
    }
    case 'isIn': {
      const values = rules.get('isIn')?.args[0];
      if (!Array.isArray(values) || values.length === 0) return { key: 'default' };
      if (values.every((v) => typeof v === 'string' && PROVINCE.test(v))) return { key: 'isProvinceCode' };
      if (values.every((v) => typeof v === 'string' && SIX_DIGITS.test(v))) return { key: 'isRegionListCode' };
      return { key: 'isIn', params: { arg: values.join(', ') } };
    }
    default:
      return { key: constraint };
  }
}

/**
 * What one field must be, in `lng`: "is required" when it is missing, else what its first failed constraint asks. In
 * English a decorator's own text (`year must be 2000 or later`) is kept: it says more than the catalogue can.
 */
function render(f: FieldFailure, lng: Language): string {
  const { key, params } = message(f, lng);
  if (lng === 'en' && key !== 'required' && f.rules.get(f.constraint)?.custom) return ownEnglish(f);
  const catalogued = hasMessage(lng, `validation.${key}`) ? `validation.${key}` : 'validation.default';
  return translate(lng, catalogued, { ...params, field: f.field });
}

/** With the u flag a surrogate pair reads as one code point, so only a lone surrogate is a Cs code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a value failed its validators, in `lng`: for what a request is answered with per row (an import's rejected rows). */
export const describeViolations = (errors: ValidationError[], lng: Language): string =>
  fieldFailures(errors)
    .map((f) => render(f, lng))
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

/**
 * Text longer than its Length/MaxLength in characters (code points), which class-validator passed: it counts neither
 * the emoji presentation selectors (U+FE0E, U+FE0F) nor a surrogate pair's second half, so 300 "❤️" (600 code points)
 * passed a bound of 500, and MariaDB, which counts code points in a VARCHAR(500), refused the row (a 500). Each such
 * field as class-validator would report it (its own English), nested objects and arrays of them as children, so the
 * 400 names it as for any other text too long. `reported` holds the paths already refused: one failure a field.
 */
function overLongText(object: unknown, reported = new Set<string>(), parent = ''): ValidationError[] {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return [];
  const byProperty = new Map<string, ValidationError>();
  const errorOf = (property: string, value: unknown): ValidationError => {
    let error = byProperty.get(property);
    if (!error) byProperty.set(property, (error = { target: object, property, value, constraints: {}, children: [] }));
    return error;
  };
  for (const m of getMetadataStorage().getTargetValidationMetadatas(object.constructor, '', true, false)) {
    const property = m.propertyName;
    const path = parent ? `${parent}.${property}` : property;
    const value = (object as Record<string, unknown>)[property];
    if (m.type === 'nestedValidation') {
      const inner = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : [['', value] as const];
      for (const [i, v] of inner) {
        const children = overLongText(v, reported, i ? `${path}.${i}` : path);
        if (children.length === 0) continue;
        const holder = errorOf(property, value);
        holder.children!.push(...(i ? [{ target: value as object, property: i, value: v, children }] : children));
      }
      continue;
    }
    const name = m.type === 'customValidation' ? m.name : m.type;
    const bound = name === 'isLength' ? m.constraints?.[1] : name === 'maxLength' ? m.constraints?.[0] : undefined;
    if (typeof bound !== 'number' || reported.has(path)) continue;
    const texts = m.each && Array.isArray(value) ? value : [value];
    if (!texts.some((t) => typeof t === 'string' && [...t].length > bound)) continue;
    reported.add(path);
    errorOf(property, value).constraints![name!] = `${property} must be shorter than or equal to ${bound} characters`;
  }
  return [...byProperty.values()];
}

/** The paths of the fields `errors` refuse already (`organization.name`). */
function pathsOf(errors: ValidationError[], parent = '', into = new Set<string>()): Set<string> {
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) into.add(path);
    pathsOf(e.children ?? [], path, into);
  }
  return into;
}

/** class-validator's errors and then those of text too long in code points (overLongText) it let through. */
export function validatedWhole(errors: ValidationError[], object: object): ValidationError[] {
  return [...errors, ...overLongText(object, pathsOf(errors))];
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
 * The first top-level array of a body longer than its DTO's ArrayMaxSize allows, with that bound. Checked before the
 * DTO is built: class-transformer and class-validator visit every element first, and a lab's 10 MB import of five
 * million rows took minutes of one core and answered a 400 naming each of them; the bound alone settles it.
 */
function arrayOverBound(value: unknown, metatype: unknown): { field: string; max: number } | null {
  if (typeof metatype !== 'function' || value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  for (const m of getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false)) {
    if (m.type !== 'customValidation' || m.name !== 'arrayMaxSize') continue;
    const max = Number(m.constraints?.[0]);
    const array = (value as Record<string, unknown>)[m.propertyName];
    if (Array.isArray(array) && array.length > max) return { field: m.propertyName, max };
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
      const over = metadata.type === 'body' ? arrayOverBound(value, metadata.metatype) : null;
      if (over) {
        const text = (lng: Language) =>
          translate(lng, 'validation.arrayMaxSize', {
            field: over.field,
            arg: lng === 'en' ? counted(over.max, 'item') : String(over.max),
          });
        throw new DomainError('VALIDATION_FAILED', text('en'), { localized: text });
      }
    }
    return super.transform(value, metadata);
  }

  protected override async validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    return validatedWhole(await super.validate(object, options), object);
  }
}

/** 400 naming each invalid field and its rule, in the caller's language. */
export const violationsError = (errors: ValidationError[]) =>
  new DomainError('VALIDATION_FAILED', describeViolations(errors, 'en') || 'invalid input', {
    localized: (lng) => describeViolations(errors, lng) || translate(lng, 'errors.VALIDATION_FAILED'),
  });

/** Whitelisted, unknown fields rejected, plain JSON turned into typed DTOs; no implicit coercion of bodies. */
export const validationPipe = new RequestValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  // Every constraint of a field is checked, so the one that speaks for it can be chosen (fieldFailures); the object an
  // error was found in names the field's rules, so a range is told whole ("1–500").
  stopAtFirstError: false,
  validationError: { target: true, value: true },
  exceptionFactory: (errors) => violationsError(errors),
});
