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

/**
 * One more hit against a sliding window of `windowSec` that admits at most `max`: the instants still inside the window
 * with this one, or, when `max` are already there, the seconds until the oldest leaves it. Exact at any window's edge,
 * where a fixed window would let `max` through on each side of it.
 */
export function admitSliding(
  recent: string[],
  now: string,
  windowSec: number,
  max: number,
): { recent: string[]; refusedForSec?: never } | { refusedForSec: number; recent?: never } {
  const inWindow = recent.filter((at) => plusSec(at, windowSec) > now).sort();
  if (inWindow.length < max) return { recent: [...inWindow, now] };
  return { refusedForSec: Math.max(1, secondsUntil(plusSec(inWindow[inWindow.length - max], windowSec), now)) };
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

/**
 * A username's logins as counted in the database: the failures in the sliding window, and the attempts admitted but
 * not yet answered. Counting an attempt before its password is checked is what bounds a burst: sixty logins at once
 * on three nodes get `failures` password checks between them, not sixty, and every other one the same refusal.
 */
export interface LoginAttempts {
  failures: string[];
  pending: { id: string; at: string }[];
}

/** How long an admitted attempt counts while unanswered: far longer than a password check; one whose node died then frees. */
export const PENDING_SEC = 60;

/** The stored form; a plain array is the failures of rows written before attempts were admitted. */
export function parseAttempts(json: string | null): LoginAttempts {
  const stored = json ? (JSON.parse(json) as string[] | LoginAttempts) : [];
  return Array.isArray(stored) ? { failures: stored, pending: [] } : stored;
}

/**
 * One more attempt, unless the failures in the window and the attempts still unanswered already reach the limit: then
 * the seconds until the first of them frees a place.
 */
export function admitAttempt(
  s: LoginAttempts,
  id: string,
  now: string,
  p: LockPolicy,
): { admitted: LoginAttempts; refusedForSec?: never } | { refusedForSec: number; admitted?: never } {
  const failures = s.failures.filter((at) => at > plusSec(now, -p.windowSec));
  const pending = s.pending.filter((a) => plusSec(a.at, PENDING_SEC) > now);
  if (failures.length + pending.length < p.failures) return { admitted: { failures, pending: [...pending, { id, at: now }] } };
  const frees = [...pending.map((a) => plusSec(a.at, PENDING_SEC)), ...failures.map((at) => plusSec(at, p.windowSec))].sort()[0];
  return { refusedForSec: Math.max(1, secondsUntil(frees, now)) };
}

/**
 * The attempt answered. A failure joins the window, and at the limit starts the lock (see afterFailure); a success
 * forgets the failures; an attempt that was neither (two-factor asked for, the account waiting) only leaves. Also when
 * it was admitted (null when it is no longer pending), to take its address hit back from the right window.
 */
export function settleAttempt(
  s: LoginAttempts,
  id: string,
  outcome: 'failed' | 'succeeded' | 'neither',
  now: string,
  p: LockPolicy,
): { attempts: LoginAttempts; lockedUntil: string | null; admittedAt: string | null } {
  const admittedAt = s.pending.find((a) => a.id === id)?.at ?? null;
  const pending = s.pending.filter((a) => a.id !== id);
  if (outcome !== 'failed') {
    return { attempts: { failures: outcome === 'succeeded' ? [] : s.failures, pending }, lockedUntil: null, admittedAt };
  }
  const next = afterFailure(s.failures, now, p);
  return { attempts: { failures: next.recent, pending }, lockedUntil: next.lockedUntil, admittedAt };
}

/**
 * The window after the hit of an attempt counted at `countedAt` is taken back (an attempt counted on admission that
 * was no failure): only from the window it was counted in, while that window is in force. A window started after it
 * holds only others' hits; with no instant (the attempt no longer pending, so its window has passed) nothing changes.
 */
export function withoutHit(
  window: { windowStart: string | null; hits: number },
  countedAt: string | null,
  now: string,
  windowSec: number,
): { windowStart: string | null; hits: number } {
  const current = window.windowStart !== null && plusSec(window.windowStart, windowSec) > now;
  // windows only move forward, each starting at a hit: one that started by `countedAt` is the one it was counted in
  const countedHere = countedAt !== null && window.windowStart !== null && window.windowStart <= countedAt;
  return current && countedHere ? { windowStart: window.windowStart, hits: Math.max(0, window.hits - 1) } : window;
}

/** A subject's refused attempts, counted in fixed windows: when the window began and how many it has had. */
export interface RefusalCount {
  refusedSince: string | null;
  refusals: number;
}

/**
 * One more refusal of a subject (an address, a username). Only the first of each window is audited, so a flood of
 * refused attempts writes one entry a window, not one each; that entry carries the count of the window before, and the
 * row keeps the count of the window in force.
 */
export function afterRefusal(
  count: RefusalCount,
  now: string,
  windowSec: number,
): { count: { refusedSince: string; refusals: number }; first: boolean; previous: { since: string; refusals: number } | null } {
  const next = afterHit({ windowStart: count.refusedSince, hits: count.refusals }, now, windowSec);
  const first = next.hits === 1;
  return {
    count: { refusedSince: next.windowStart, refusals: next.hits },
    first,
    previous: first && count.refusedSince !== null && count.refusals > 0 ? { since: count.refusedSince, refusals: count.refusals } : null,
  };
}
