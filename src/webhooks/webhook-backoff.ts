/**
 * When a failed delivery is tried again: exponential backoff from `baseMs` (30 s in production, so the first retry
 * comes within 60 s as API.md asks), doubling up to `capMs` (6 h), with up to 10% jitter added so that deliveries
 * that failed together do not all come back together. A delivery is given up only after an attempt made at least
 * `windowMs` (24 h) after the event: so every event is retried for at least 24 hours.
 */
export interface RetryRule {
  baseMs: number;
  capMs: number;
  windowMs: number;
}

export const RETRY_RULE: RetryRule = { baseMs: 30_000, capMs: 6 * 3_600_000, windowMs: 24 * 3_600_000 };

/** The delay after the `attempt`-th failed attempt (1-based); `random` in [0, 1). */
export function retryDelayMs(rule: RetryRule, attempt: number, random: number): number {
  const exponential = Math.min(rule.capMs, rule.baseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.floor(exponential * (1 + 0.1 * random));
}

/** The next attempt's time, or null when the delivery is given up (it failed and its retry window is over). */
export function nextAttemptAt(rule: RetryRule, createdAtMs: number, nowMs: number, attempt: number, random: number): number | null {
  if (nowMs - createdAtMs >= rule.windowMs) return null;
  return nowMs + retryDelayMs(rule, attempt, random);
}
