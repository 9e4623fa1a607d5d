/** A lockout policy: `failures` within `windowSec` lock the subject for `lockSec`. */
export interface LockPolicy {
  failures: number;
  windowSec: number;
  lockSec: number;
}

const plusSec = (iso: string, sec: number) => new Date(Date.parse(iso) + sec * 1000).toISOString();

/** Seconds left until `until` (rounded up), 0 when it has passed or is unset. */
export const secondsUntil = (until: string | null, now: string): number =>
  until && until > now ? Math.ceil((Date.parse(until) - Date.parse(now)) / 1000) : 0;

/**
 * A failure against a sliding window: the failures still inside the window (this one included) and, when they reach
 * the limit, the lock it starts (the failures are then forgotten, so the lock is not extended by later attempts).
 */
export function afterFailure(recent: string[], now: string, p: LockPolicy): { recent: string[]; lockedUntil: string | null } {
  const since = plusSec(now, -p.windowSec);
  const inWindow = [...recent.filter((at) => at > since), now];
  return inWindow.length >= p.failures ? { recent: [], lockedUntil: plusSec(now, p.lockSec) } : { recent: inWindow, lockedUntil: null };
}

/** A fixed window of `windowSec` that counts hits: the window in force at `now` after one more hit. */
export function afterHit(
  window: { windowStart: string | null; hits: number },
  now: string,
  windowSec: number,
): { windowStart: string; hits: number } {
  const current = window.windowStart !== null && plusSec(window.windowStart, windowSec) > now;
  return current ? { windowStart: window.windowStart!, hits: window.hits + 1 } : { windowStart: now, hits: 1 };
}

/** Hits of the window in force at `now` (0 when the window has passed), and the seconds until it ends. */
export function windowUse(
  window: { windowStart: string | null; hits: number },
  now: string,
  windowSec: number,
): { hits: number; resetsInSec: number } {
  if (window.windowStart === null) return { hits: 0, resetsInSec: 0 };
  const ends = plusSec(window.windowStart, windowSec);
  return ends > now ? { hits: window.hits, resetsInSec: secondsUntil(ends, now) } : { hits: 0, resetsInSec: 0 };
}
