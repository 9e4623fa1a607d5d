import { catalogued, DomainError, ErrorCode, Refusal } from './errors/domain-error';
import type { Language } from './i18n/messages';

/**
 * What a use case answers: its result, or one of the refusals it declares. A refusal is a result, not an exception:
 * the use case's unit of work commits whatever the refusal itself records (usually nothing; an expired hold is
 * expired in passing), while an exception rolls everything back.
 */
export type Outcome<T, C extends ErrorCode = ErrorCode> = { ok: true; value: T } | Refused<C>;

export interface Refused<C extends ErrorCode = ErrorCode> {
  ok: false;
  code: C;
  message: string;
  /** Sent as Retry-After (429, 503). */
  retryAfterSec?: number;
  /** The message in the caller's language, where the refusal has its own words (see DomainError's options). */
  localized?: (lng: Language) => string;
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const refused = <C extends ErrorCode>(code: C, message: string, retryAfterSec?: number): Refused<C> => ({
  ok: false,
  code,
  message,
  ...(retryAfterSec ? { retryAfterSec } : {}),
});

/** A refusal answered as a result: the error's code, message and Retry-After. */
export const refusedBy = <C extends ErrorCode>(e: DomainError & { readonly code: C }): Refused<C> => ({
  ...refused(e.code, e.message, e.options.retryAfterSec),
  ...(e.options.localized ? { localized: e.options.localized } : {}),
});

/** A pure rule's refusal answered as a result, in the caller's language when it was written from the catalogue. */
export const refusedFor = (r: Refusal): Refused => (r.key ? refusedBy(catalogued(r.code, r.key, r.params)) : refused(r.code, r.message));

/** At the HTTP edge: the value, or the refusal as the error the filter renders (marked as the answer of committed work). */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new DomainError(outcome.code, outcome.message, {
    committed: true,
    retryAfterSec: outcome.retryAfterSec,
    localized: outcome.localized,
  });
}

/** The refusals a use case can answer with, read by the OpenAPI document and the simulation's table of documented answers. */
export interface UseCase {
  readonly refusals: readonly ErrorCode[];
}
