/**
 * The business calendar is Beijing's (Asia/Shanghai): a policy takes effect, a voucher is valid, a sanction ends and a
 * budget year turns on the day as the bureaus and enterprises live it, not on the UTC day, which starts at 08:00 there.
 * China has kept UTC+8 all year since September 1991 (no daylight saving), so a fixed offset is exact for every date the
 * service handles (budgets' years are 2000–2100) and costs no zone lookup on the hot paths; a unit test holds it to the
 * zone database's Asia/Shanghai.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

const msOf = (at: Date | string | number): number => (typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime());

/** The Beijing calendar day of an instant: 2026-12-31T16:00:00Z → 2027-01-01. */
export const beijingDate = (at: Date | string | number): string => new Date(msOf(at) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);

/** The Beijing calendar year of an instant: 2026-12-31T16:00:00Z → 2027. */
export const beijingYear = (at: Date | string | number): number => Number(beijingDate(at).slice(0, 4));

/**
 * The instant a Beijing day starts, as stored instants are written: 2027-01-01 → 2026-12-31T16:00:00.000Z. What
 * happened on `date` in Beijing is what sorts from it up to the start of the next day.
 */
export const beijingDayStart = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) - BEIJING_OFFSET_MS).toISOString();

/**
 * The service's notions of "now". Instants are ISO 8601 UTC strings and dates YYYY-MM-DD (Beijing days), so they
 * compare as text on every database. Tests move time forward with `travel`; production never does.
 */
function makeClock() {
  let offsetMs = 0;
  const c = {
    now: (): Date => new Date(Date.now() + offsetMs),
    iso: (): string => c.now().toISOString(),
    /** The business day: the Beijing date of now. */
    today: (): string => beijingDate(c.now()),
    /** The business year (budgets, caps, serial numbers): the Beijing year of now. */
    year: (): number => beijingYear(c.now()),
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
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}
