import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min, ValidateBy } from 'class-validator';
import { addDays } from '../../policies/policy.rules';

/** Whole fen, at most 10^13 (¥100 billion): far inside 2^53 even after a ratio multiplies it. */
export const MAX_FEN = 10_000_000_000_000;
export const IsFen = (min = 0) => applyDecorators(IsInt(), Min(min), Max(MAX_FEN));

/**
 * True when the string names an existing day written YYYY-MM-DD (2026-02-30 does not; 2026-13-01 is no date at all)
 * in the years 2000–2100, as budgets' years are: a period ending 9999-12-31 would run into year 10000, whose dates no
 * longer sort as strings.
 */
export const isRealDate = (s: unknown): s is string =>
  typeof s === 'string' &&
  /^(20\d\d|2100)-\d{2}-\d{2}$/.test(s) &&
  !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
  addDays(s, 0) === s;

export const IsCalendarDate = () =>
  ValidateBy({
    name: 'isCalendarDate',
    validator: { validate: isRealDate, defaultMessage: (a) => `${a?.property} must be a real date written YYYY-MM-DD, in 2000–2100` },
  });
