import { DAY_MS } from '../common/clock';

/** How far ahead a voucher's expiry is announced, at most. */
export const VOUCHER_REMINDER_DAYS = 30;

const dayNumber = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/**
 * Whether a voucher valid from `validFrom` through `validUntil` (Beijing days) is reminded of its expiry `today`: once
 * at most 30 days are left, and no sooner than half of its validity has passed, so that a voucher valid a month is not
 * told of its end on the day it is issued.
 */
export function voucherReminderDue(validFrom: string, validUntil: string, today: string): boolean {
  const left = dayNumber(validUntil) - dayNumber(today);
  return left >= 0 && left <= VOUCHER_REMINDER_DAYS && dayNumber(today) - dayNumber(validFrom) >= left;
}

/** A mail is tried for a day after its notice, at most an hour apart. */
export const MAIL_RETRY_FOR_MS = DAY_MS;
export const MAIL_RETRY_CAP_MS = 60 * 60_000;

/**
 * The permanent refusals that are about this mail, not about the service's setup: its recipient unknown or not
 * accepted (550, 551, 553 to RCPT TO), its message refused (552, 554 to DATA) — unless the server says it is a matter
 * of security or policy (enhanced status 5.7.x: relaying denied, authentication required, a blocked sender).
 */
const REFUSED_FOR_GOOD: Record<string, number[]> = { 'RCPT TO': [550, 551, 553], DATA: [552, 554] };
const POLICY = /^\d{3}[ -]5\.7\./;

/**
 * When a mail whose attempt failed is tried again, or null: never after the mail server refused this mail for good
 * (REFUSED_FOR_GOOD), else `retryBaseMs` after its first attempt, doubling up to an hour, while the next attempt still
 * falls within a day of the notice. Any other failure — no answer, a 4xx, a 5xx to our login (535), the connection
 * (554), our sender, or a policy refusal (relay denied) — is the service's setup or a passing block, not the mail's:
 * retried. So a mail server down or misconfigured for an afternoon loses no mail.
 */
export function mailRetry(a: {
  /** Attempts made, the failed one included. */
  emailAttempts: number;
  /** When the notice was made. */
  createdAt: string;
  /** The SMTP reply of the failure, when the server gave one: its code, its text, and the command it answered (nodemailer's). */
  responseCode?: number;
  response?: string;
  command?: string;
  now: number;
  retryBaseMs: number;
}): { retryAt: string | null } {
  const refused = a.responseCode !== undefined && (REFUSED_FOR_GOOD[a.command ?? ''] ?? []).includes(a.responseCode);
  if (refused && !POLICY.test(a.response ?? '')) return { retryAt: null };
  const delay = Math.min(a.retryBaseMs * 2 ** Math.min(Math.max(a.emailAttempts - 1, 0), 30), MAIL_RETRY_CAP_MS);
  const at = a.now + delay;
  return { retryAt: at <= Date.parse(a.createdAt) + MAIL_RETRY_FOR_MS ? new Date(at).toISOString() : null };
}
