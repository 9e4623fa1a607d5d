import { DAY_MS } from '../common/clock';

/** A mail is tried for a day after its notice, at most an hour apart. */
export const MAIL_RETRY_FOR_MS = DAY_MS;
export const MAIL_RETRY_CAP_MS = 60 * 60_000;

/**
 * When a mail whose attempt failed is tried again, or null: never after the mail server refused it for good (a 5xx
 * reply: the address does not exist, the message is refused), else `retryBaseMs` after its first attempt, doubling up
 * to an hour, while the next attempt still falls within a day of the notice. So a mail server down for an afternoon
 * loses no mail.
 */
export function mailRetry(a: {
  /** Attempts made, the failed one included. */
  emailAttempts: number;
  /** When the notice was made. */
  createdAt: string;
  /** The SMTP reply code of the failure, when the server gave one. */
  responseCode?: number;
  now: number;
  retryBaseMs: number;
}): { retryAt: string | null } {
  if (a.responseCode !== undefined && a.responseCode >= 500 && a.responseCode <= 599) return { retryAt: null };
  const delay = Math.min(a.retryBaseMs * 2 ** Math.min(Math.max(a.emailAttempts - 1, 0), 30), MAIL_RETRY_CAP_MS);
  const at = a.now + delay;
  return { retryAt: at <= Date.parse(a.createdAt) + MAIL_RETRY_FOR_MS ? new Date(at).toISOString() : null };
}
