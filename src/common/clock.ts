/**
 * The service's notions of "now". Instants are ISO 8601 UTC strings and dates YYYY-MM-DD, so they compare as text on
 * every database. Tests move time forward with `travel`; production never does.
 */
function makeClock() {
  let offsetMs = 0;
  const c = {
    now: (): Date => new Date(Date.now() + offsetMs),
    iso: (): string => c.now().toISOString(),
    today: (): string => c.iso().slice(0, 10),
    year: (): number => c.now().getUTCFullYear(),
    travel(ms: number): void {
      offsetMs += ms;
    },
    reset(): void {
      offsetMs = 0;
    },
  };
  return c;
}

/** Business time: validity, expiry, notices, periods. */
export const clock = makeClock();

/**
 * Security time: sessions, lockouts, two-factor codes. Kept apart from business time so that a test can send a
 * voucher a year ahead without ending the sessions it acts through, and test a lockout's expiry without moving the
 * business day. Access tokens' `exp` is always checked against the real time.
 */
export const securityClock = makeClock();

export const DAY_MS = 86_400_000;
export const isoPlusDays = (iso: string, days: number): string => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** Timestamps print in Beijing time (UTC+8, no daylight saving), to the minute; plain dates print as given. */
export function beijingTime(value: string): string {
  if (!value.includes('T')) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}
