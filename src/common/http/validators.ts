import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, isEmail, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { addDays } from '../../policies/policy.rules';

/** Whole fen, at most 10^13 (¥100 billion): far inside 2^53 even after a ratio multiplies it. */
export const MAX_FEN = 10_000_000_000_000;
export const IsFen = (min = 0) => applyDecorators(IsInt(), Min(min), Max(MAX_FEN));

/** A plain address: a dot-atom local part (RFC 5322's atext) and an ASCII domain. */
const PLAIN_MAILBOX = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;

/** An address IsMailbox takes (the notifier asks it of addresses stored before the rule, too). */
export const isMailbox = (v: unknown): v is string => typeof v === 'string' && PLAIN_MAILBOX.test(v) && isEmail(v, { require_tld: true });

/**
 * An e-mail address a mail server takes as written: ASCII (an SMTP server without SMTPUTF8 refuses the rest), with a
 * plain local part. A quoted one ("a,b"@x.cn) is valid by the RFC and by IsEmail, but the mail library drops its
 * quotes and writes another address, or two, into the envelope and the To header.
 */
export const IsMailbox = () =>
  ValidateBy({
    name: 'isEmail', // its message is IsEmail's
    validator: { validate: isMailbox },
  });

/**
 * True when the string names an existing day written YYYY-MM-DD (2026-02-30 does not; 2026-13-01 is no date at all)
 * in the years 2000–2100, as budgets' years are: a period ending 9999-12-31 would run into year 10000, whose dates no
 * longer sort as strings.
 */
export const isRealDate = (s: unknown): s is string =>
  typeof s === 'string' && /^(20\d\d|2100)-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && addDays(s, 0) === s;

/** A query's integer as written by people and programs: decimal digits, with a minus sign at most. */
const DECIMAL_INTEGER = /^-?\d+$/;

/** The number a query's text names when it is written in decimal digits, else the text itself. */
export const decimalInteger = (value: unknown): unknown =>
  typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value;

/**
 * An integer query parameter: only decimal digits become a number, so IsInt refuses the rest (400). Number() would read
 * `0x10` as 16, `1e3` as 1000, ` 7 ` as 7 and `` as 0, none of which a caller meant as that count.
 */
export const QueryInt = () => Transform(({ value }) => decimalInteger(value));
/** A boolean of the query string: `true` or `false`, anything else refused as not a boolean. */
export const QueryBoolean = () =>
  applyDecorators(
    Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsBoolean(),
  );

export const IsCalendarDate = () =>
  ValidateBy({
    name: 'isCalendarDate',
    validator: { validate: isRealDate, defaultMessage: (a) => `${a?.property} must be a real date written YYYY-MM-DD, in 2000–2100` },
  });

/**
 * May be left out, but not sent as null: class-validator's IsOptional lets null through too, and `?? default` would
 * then read it as left out. IsOptional stays on the fields that null clears (declared `| null`).
 */
export const IsOmittable = () => ValidateIf((_, value) => value !== undefined);
