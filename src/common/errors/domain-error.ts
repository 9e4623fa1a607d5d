import { HttpStatus } from '@nestjs/common';
import { Language, translate } from '../i18n/messages';

/** Business-rule refusals of API.md, all answered 422. */
export const RULE_CODES = [
  'POLICY_NOT_FOUND',
  'CATEGORY_NOT_COVERED',
  'PROVINCE_NOT_ACCEPTED',
  'MODE_NOT_ALLOWED',
  'RELATED_PARTY',
  'SANCTIONED',
  'VOUCHER_NOT_ACTIVE',
  'VOUCHER_EXPIRED',
  'VOUCHER_INSUFFICIENT_BALANCE',
  'VOUCHER_CAP_EXCEEDED',
  'ANNUAL_CAP_EXCEEDED',
  'BUDGET_EXHAUSTED',
  'PROVIDER_NOT_ACTIVE',
  'BUDGET_BELOW_COMMITTED',
  'ENTERPRISE_NOT_VERIFIED',
  'CAPTURE_EXCEEDS_HOLD',
  'USAGE_NOT_CONFIRMED',
  'USAGE_DISPUTED',
  'DUPLICATE_INVOICE',
  'NOTHING_TO_CLAIM',
  'POLICY_BACKDATED',
  'PERIOD_NOT_ENDED',
  'OUTSIDE_OPENING_HOURS',
  'BOOKING_NOTICE',
  'NOT_QUALIFIED',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export const ERROR_STATUS = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  WEAK_PASSWORD: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  MFA_REQUIRED: HttpStatus.UNAUTHORIZED,
  MFA_INVALID: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  DUAL_CONTROL_REQUIRED: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  INVALID_STATE: HttpStatus.CONFLICT,
  IDEMPOTENCY_CONFLICT: HttpStatus.CONFLICT,
  DUPLICATE: HttpStatus.CONFLICT,
  SLOT_TAKEN: HttpStatus.CONFLICT,
  /** A treasury payment reference another batch of the region was paid with: one bank transfer pays one batch. */
  PAYMENT_REF_USED: HttpStatus.CONFLICT,
  /** A bank account another organization has on file: an account is one organization's (a lab is not paid into its client's). */
  BANK_ACCOUNT_IN_USE: HttpStatus.CONFLICT,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  ...(Object.fromEntries(RULE_CODES.map((c) => [c, HttpStatus.UNPROCESSABLE_ENTITY])) as Record<RuleCode, HttpStatus>),
  /** A cap on how many of something one organization or bureau keeps (webhooks): a rule of the service, not of API.md. */
  LIMIT_REACHED: HttpStatus.UNPROCESSABLE_ENTITY,
  /** An order of hours on a facility whose calendar books them: POST /api/bookings takes them (a rule of the service). */
  BOOKING_REQUIRED: HttpStatus.UNPROCESSABLE_ENTITY,
  /** No line of a batch can be paid: none of its payees had a bank account on file when it was prepared (batches prepared before accounts were required). */
  PAYEE_ACCOUNT_MISSING: HttpStatus.UNPROCESSABLE_ENTITY,
  /** A clearing run whose period starts after days no standing run covers, on which lines were paid and are uncleared. */
  UNCLEARED_BEFORE_PERIOD: HttpStatus.UNPROCESSABLE_ENTITY,
  LOGIN_LOCKED: HttpStatus.TOO_MANY_REQUESTS,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  SERVICE_BUSY: HttpStatus.SERVICE_UNAVAILABLE,
  DATABASE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  /** This node's clock disagrees with the database's: expiry, notice and leases would be judged wrongly on it. */
  CLOCK_SKEW: HttpStatus.SERVICE_UNAVAILABLE,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type of the service; ErrorFilter turns it into `{statusCode, code, message}`. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: {
      /** Sent as Retry-After (429, 503). */
      retryAfterSec?: number;
      /**
       * The answer of work that committed (a use case's refusal result): a unit of work around the request keeps its
       * changes and its idempotent response instead of rolling back.
       */
      committed?: boolean;
      /**
       * The message in the caller's language, when the error knows more than its code (the field, the record, the
       * roles); without it a non-English answer is the code's catalogue sentence followed by `message` as detail.
       */
      localized?: (lng: Language) => string;
    } = {},
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Records named in the catalogues' `records`; any other `what` keeps its English words as detail. */
const RECORD_NAME_LIST = [
  'voucher',
  'redemption',
  'facility',
  'settlement',
  'settlement line',
  'policy',
  'organization',
  'claim',
  'application',
  'user',
  'sanction',
  'provider',
  'enterprise',
  'clearing run',
  'clearing run proposal',
  'API key',
  'webhook',
  'delivery',
  'booking',
  'calendar',
  'calendar feed',
  'notification',
  'budget',
  'region',
] as const;
/** What a route reads, as a 404 names it. */
export type RecordName = (typeof RECORD_NAME_LIST)[number];
const RECORD_NAMES = new Set<string>(RECORD_NAME_LIST);

export const notFound = (what: string) =>
  new DomainError(
    'NOT_FOUND',
    `${what} not found`,
    RECORD_NAMES.has(what) ? { localized: (lng) => translate(lng, 'notFound', { what: translate(lng, `records.${what}`) }) } : {},
  );
export const forbidden = (why: string) => new DomainError('FORBIDDEN', why);
/** An error whose message is a catalogue entry: English as its message, and the caller's language when answered. */
export const catalogued = <C extends ErrorCode>(
  code: C,
  key: string,
  params: Record<string, string | number> = {},
  options: { retryAfterSec?: number } = {},
) =>
  new DomainError(code, translate('en', key, params), { ...options, localized: (lng) => translate(lng, key, params) }) as DomainError & {
    readonly code: C;
  };
/** A region code outside the list, in the caller's language. */
export const regionNotFound = (regionCode: string) => catalogued('NOT_FOUND', 'regionNotFound', { regionCode });
/** A catalogue key and the parameters of its message. */
export interface CatalogueEntry {
  key: string;
  params: Record<string, string | number>;
}

/** Several catalogue entries answered as one error, joined as the language joins a form's problems unless told. */
export const cataloguedAll = (
  code: ErrorCode,
  entries: CatalogueEntry[],
  joiner: (lng: Language) => string = (lng) => translate(lng, 'validation.separator'),
) => {
  const say = (lng: Language) => entries.map((e) => translate(lng, e.key, e.params)).join(joiner(lng));
  return new DomainError(code, say('en'), { localized: say });
};
/** Lost to concurrent work more often than it may retry: the client comes back in a second. */
export const serviceBusy = () => catalogued('SERVICE_BUSY', 'serviceBusy', {}, { retryAfterSec: 1 });

/** A refusal computed by a pure rule: data, not an exception, so quotes can show it. */
export interface Refusal {
  code: RuleCode;
  /** In English; with `key`, the catalogue entry it was written from, so it reads in the caller's language too. */
  message: string;
  key?: string;
  params?: Record<string, string | number>;
}

/** A rule's refusal written from a catalogue entry (English as its message). */
export const cataloguedRefusal = (code: RuleCode, key: string, params: Record<string, string | number> = {}): Refusal => ({
  code,
  message: translate('en', key, params),
  key,
  params,
});
