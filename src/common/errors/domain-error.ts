import { HttpStatus } from '@nestjs/common';

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
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export const ERROR_STATUS = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  INVALID_STATE: HttpStatus.CONFLICT,
  IDEMPOTENCY_CONFLICT: HttpStatus.CONFLICT,
  DUPLICATE: HttpStatus.CONFLICT,
  ...(Object.fromEntries(RULE_CODES.map((c) => [c, HttpStatus.UNPROCESSABLE_ENTITY])) as Record<RuleCode, HttpStatus>),
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type services throw; ErrorFilter turns it into `{statusCode, code, message}`. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const forbidden = (why: string) => new DomainError('FORBIDDEN', why);
export const invalidState = (why: string) => new DomainError('INVALID_STATE', why);
export const ruleBroken = (code: RuleCode, why: string) => new DomainError(code, why);

/** A refusal computed by a pure rule: data, not an exception, so quotes can show it. */
export interface Refusal {
  code: RuleCode;
  message: string;
}
