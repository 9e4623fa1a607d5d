import { DateTime, IANAZone } from 'luxon';
import type { Closure, OpeningHours } from './booking.entity';
import { RememberedZone } from './lab-zone';
import { beijingDate } from '../common/clock';

/** Every calendar is kept in the lab's wall-clock time. */
export const ZONE = new RememberedZone(IANAZone.create('Asia/Shanghai'));
export const HOUR_MS = 3_600_000;
/** A month view: the longest availability range. */
export const MAX_RANGE_DAYS = 31;

/** The terms a booking is checked against. */
export interface BookingTerms {
  openingHours: OpeningHours[];
  closures: Closure[];
  minNoticeHours: number;
  maxAdvanceDays: number;
}

/**
 * Whether the notice and advance terms leave a window to book in: a start must be at least minNoticeHours and at most
 * maxAdvanceDays ahead, so the notice must be shorter than the advance; by a whole hour at least (both are whole), so
 * the window always holds a start on the hour.
 */
export const leavesBookingWindow = (terms: Pick<BookingTerms, 'minNoticeHours' | 'maxAdvanceDays'>): boolean =>
  terms.minNoticeHours < terms.maxAdvanceDays * 24;

/** An instant as stored: ISO 8601 UTC with milliseconds, which sorts as text. */
export const stored = (ms: number): string => new Date(ms).toISOString();

/** An instant as shown: ISO 8601 with the Shanghai offset (2026-12-01T14:00:00+08:00). */
export const shown = (iso: string): string => DateTime.fromISO(iso, { zone: 'utc' }).setZone(ZONE).toISO({ suppressMilliseconds: true })!;

/** An instant from input: ISO 8601, with an offset or else read as Shanghai time; undefined when it is not one. */
export function parseInstant(text: string): number | undefined {
  const t = DateTime.fromISO(text, { zone: ZONE });
  return t.isValid ? t.toMillis() : undefined;
}

/** Hours are whole in Shanghai exactly when they are whole in UTC (+08:00 has no minutes). */
export const onTheHour = (ms: number): boolean => ms % HOUR_MS === 0;

/** The start of every hour in [start, end). */
export function hourStarts(startMs: number, endMs: number): number[] {
  const hours: number[] = [];
  for (let t = startMs; t < endMs; t += HOUR_MS) hours.push(t);
  return hours;
}

/** "09:00" → 9; "24:00" → 24. */
export const hourOf = (hhmm: string): number => Number(hhmm.slice(0, 2));

/**
 * The first pair of opening-hours entries of one weekday that share an hour ([i, j], j > i), or null: a day's hours
 * overlapping would list their common slots twice. Ranges that meet (09–12, 12–14) do not overlap.
 */
export function overlappingOpeningHours(openingHours: Pick<OpeningHours, 'weekday' | 'from' | 'to'>[]): [number, number] | null {
  for (let j = 0; j < openingHours.length; j++) {
    const b = openingHours[j];
    for (let i = 0; i < j; i++) {
      const a = openingHours[i];
      if (a.weekday === b.weekday && hourOf(a.from) < hourOf(b.to) && hourOf(b.from) < hourOf(a.to)) return [i, j];
    }
  }
  return null;
}

/** Whether the hour starting at `ms` lies inside the opening hours of its Shanghai weekday. */
export function hourOpen(openingHours: OpeningHours[], ms: number): boolean {
  const local = DateTime.fromMillis(ms, { zone: ZONE });
  return openingHours.some((o) => o.weekday === local.weekday && hourOf(o.from) <= local.hour && local.hour < hourOf(o.to));
}

/** Whether [fromMs, toMs) overlaps the hour starting at `ms`. */
const overlapsHour = (fromMs: number, toMs: number, ms: number): boolean => fromMs < ms + HOUR_MS && ms < toMs;

/** Whether the hour starting at `ms` overlaps one of the spans: a loop, not a closure made for every slot. */
function overlapsAny(spans: (readonly [number, number])[], ms: number): boolean {
  for (const span of spans) if (overlapsHour(span[0], span[1], ms)) return true;
  return false;
}

/** Whether the hour starting at `ms` overlaps a closure. */
export function hourClosed(closures: Closure[], ms: number): boolean {
  return closures.some((c) => overlapsHour(Date.parse(c.from), Date.parse(c.to), ms));
}

/** Whether the hour starting at `ms` is one the calendar opens: inside its opening hours and outside its closures. */
export const hourBookable = (terms: Pick<BookingTerms, 'openingHours' | 'closures'>, ms: number): boolean =>
  hourOpen(terms.openingHours, ms) && !hourClosed(terms.closures, ms);

/** A calendar's refusal as a catalogue entry (`bookings.*`), so it reads in the caller's language. */
export type BookingRefusal = {
  code: 'OUTSIDE_OPENING_HOURS' | 'BOOKING_NOTICE' | 'LIMIT_REACHED';
  key: string;
  params: Record<string, string | number>;
};

/** The opening hours of the weekday of `ms` in Shanghai, as people read them: "08:00–12:00, 13:00–20:00", or "" if closed. */
function openingHoursOf(openingHours: OpeningHours[], ms: number): string {
  const weekday = DateTime.fromMillis(ms, { zone: ZONE }).weekday;
  return openingHours
    .filter((o) => o.weekday === weekday)
    .sort((a, b) => hourOf(a.from) - hourOf(b.from))
    .map((o) => `${o.from}–${o.to}`)
    .join(', ');
}

/** Why the calendar refuses [start, end) asked at `nowMs`, or null. */
export function calendarRefusal(terms: BookingTerms, startMs: number, endMs: number, nowMs: number): BookingRefusal | null {
  for (const h of hourStarts(startMs, endMs)) {
    if (!hourOpen(terms.openingHours, h)) {
      const open = openingHoursOf(terms.openingHours, h);
      const at = shown(stored(h));
      return open
        ? { code: 'OUTSIDE_OPENING_HOURS', key: 'bookings.notOpen', params: { at, open } }
        : { code: 'OUTSIDE_OPENING_HOURS', key: 'bookings.closedThatDay', params: { at } };
    }
    const closure = terms.closures.find((c) => hourClosed([c], h));
    if (closure)
      return { code: 'OUTSIDE_OPENING_HOURS', key: 'bookings.closure', params: { at: shown(stored(h)), reason: closure.reason } };
  }
  if (startMs < nowMs) return { code: 'BOOKING_NOTICE', key: 'bookings.slotPast', params: {} };
  if (startMs < nowMs + terms.minNoticeHours * HOUR_MS) {
    return { code: 'BOOKING_NOTICE', key: 'bookings.minNotice', params: { hours: terms.minNoticeHours } };
  }
  const horizon = nowMs + terms.maxAdvanceDays * 24 * HOUR_MS;
  if (startMs > horizon) return { code: 'BOOKING_NOTICE', key: 'bookings.maxAdvance', params: { days: terms.maxAdvanceDays } };
  // Every hour is within the horizon, as availability shows each: a long booking begun inside it may not run past it.
  const lastHour = endMs - HOUR_MS;
  if (lastHour > horizon) {
    return { code: 'BOOKING_NOTICE', key: 'bookings.maxAdvanceEnd', params: { days: terms.maxAdvanceDays, at: shown(stored(lastHour)) } };
  }
  return null;
}

/**
 * One enterprise's hours booked on a facility and not yet over, unless its lab sets another cap: a week of hours. A
 * voucher of 1 fen holds a booking of any length (the enterprise pays the rest), and cancelling early is free, so
 * without a cap one enterprise could hold an instrument for months and let others find it taken.
 */
export const DEFAULT_LIVE_HOURS_PER_ENTERPRISE = 168;

/**
 * Why `adding` more hours take an enterprise past the facility's cap, given the hours booked and not yet over by it
 * (`own`) and by it and the enterprises under one actual controller with it (`group`): the cap is each enterprise's,
 * and a group's together, or ten subsidiaries would hold an instrument for ten weeks.
 */
export const liveHoursRefusal = (live: { own: number; group: number }, adding: number, cap: number): BookingRefusal | null => {
  if (live.group + adding <= cap) return null;
  return live.group === live.own
    ? { code: 'LIMIT_REACHED', key: 'bookings.liveHoursCap', params: { live: live.own, adding, cap } }
    : { code: 'LIMIT_REACHED', key: 'bookings.groupLiveHoursCap', params: { live: live.group, own: live.own, adding, cap } };
};

/**
 * The end of the hours a booking holds: a booking completed with fewer hours than booked ends after those used (its
 * later hours were freed, and may be another's); a no-show keeps its booked span, the record of a time not come to.
 */
export const usedEnd = (b: { startAt: string; endAt: string; status: string; actualHours: number | null }): string =>
  b.status === 'completed' && b.actualHours !== null && b.actualHours > 0
    ? stored(Date.parse(b.startAt) + b.actualHours * HOUR_MS)
    : b.endAt;

/** Whether a cancellation by the enterprise at `nowMs` comes later than `freeCancellationHours` before the start. */
export const lateCancellation = (startMs: number, nowMs: number, freeCancellationHours: number): boolean =>
  nowMs > startMs - freeCancellationHours * HOUR_MS;

/** floor(fee × bp / 10000), exact for every fee up to 10^13 fen. */
export const lateFeeFen = (feeFen: number, lateCancellationFeeBp: number): number =>
  Number((BigInt(feeFen) * BigInt(lateCancellationFeeBp)) / 10_000n);

/** A slot as the API shows it: made in that shape, since a month view is 744 of them and a copy is garbage. */
export interface Slot {
  /** ISO 8601 with the zone's offset, like `shown`. */
  start: string;
  end: string;
  free: boolean;
}

/** `ms` written with a known offset of `offsetMinutes` (e.g. +08:00): the text `shown` gives, without a time-zone lookup. */
function withOffset(ms: number, offsetMinutes: number, offsetText: string): string {
  return `${new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19)}${offsetText}`;
}

/** What follows the date in each whole hour of a day written with `offsetText`: T00:00:00+08:00 … T23:00:00+08:00. */
const hourTexts = (offsetText: string): string[] =>
  Array.from({ length: 24 }, (_, h) => `T${String(h).padStart(2, '0')}:00:00${offsetText}`);

/**
 * The one-hour slots inside opening hours and outside closures from the first day to the last (Shanghai dates,
 * inclusive); free when nobody holds it and the notice and advance rules would let it be booked at `nowMs`. The zone
 * is consulted once per day (its offset at midnight); Asia/Shanghai keeps one offset all day, every day, so the hours
 * of a day are its midnight plus whole hours. A month of a busy instrument is 744 slots: this is its hot path.
 */
export function slots(
  terms: BookingTerms,
  fromDate: string,
  toDate: string,
  taken: Set<number>,
  nowMs: number,
  /** Stop after this many free slots: whoever wants the first free one need not write out the month. */
  freeWanted = Infinity,
): Slot[] {
  const out: Slot[] = [];
  let free = 0;
  const first = DateTime.fromISO(fromDate, { zone: ZONE }).startOf('day');
  const last = DateTime.fromISO(toDate, { zone: ZONE }).startOf('day');
  const earliest = nowMs + terms.minNoticeHours * HOUR_MS;
  const latest = nowMs + terms.maxAdvanceDays * 24 * HOUR_MS;
  const closures = terms.closures.map((c) => [Date.parse(c.from), Date.parse(c.to)] as const);
  const firstOffsetText = first.toFormat('ZZ');
  const firstHours = hourTexts(firstOffsetText);
  const days = Math.round((last.toMillis() - first.toMillis()) / (24 * HOUR_MS));
  // Real zones change offset months apart, so a range of at most a month whose two ends share an offset has one
  // offset throughout (Asia/Shanghai always has): each midnight is the first plus whole days. Otherwise Luxon finds
  // every day's midnight. Either way the offset comes from the zone database, through Luxon.
  const oneOffset = first.zone.offset(last.toMillis() + 24 * HOUR_MS) === first.offset;
  for (let i = 0; i <= days; i++) {
    let midnight = first.toMillis() + i * 24 * HOUR_MS;
    let day = { offset: first.offset, weekday: ((first.weekday - 1 + i) % 7) + 1 };
    if (!oneOffset) {
      const exact = first.plus({ days: i });
      midnight = exact.toMillis();
      day = { offset: exact.offset, weekday: exact.weekday };
    }
    const offsetText = day.offset === first.offset ? firstOffsetText : DateTime.fromMillis(midnight, { zone: ZONE }).toFormat('ZZ');
    const hours = offsetText === firstOffsetText ? firstHours : hourTexts(offsetText);
    const date = new Date(midnight + day.offset * 60_000).toISOString().slice(0, 10);
    const at = (h: number) => (h < 24 ? date + hours[h] : withOffset(midnight + h * HOUR_MS, day.offset, offsetText));
    const ranges = terms.openingHours.filter((o) => o.weekday === day.weekday).sort((a, b) => hourOf(a.from) - hourOf(b.from));
    for (const o of ranges) {
      // An hour's end is the next hour's start: one string for both.
      for (let h = hourOf(o.from), until = hourOf(o.to), start = at(h); h < until; h++) {
        const startMs = midnight + h * HOUR_MS;
        const end = at(h + 1);
        if (!overlapsAny(closures, startMs)) {
          const slot = { start, end, free: !taken.has(startMs) && startMs >= earliest && startMs <= latest };
          out.push(slot);
          if (slot.free && ++free === freeWanted) return out;
        }
        start = end;
      }
    }
  }
  return out;
}

/** Days from one Shanghai date to another (0 for the same day); NaN for an invalid date. */
export const daysBetween = (fromDate: string, toDate: string): number =>
  Math.round(
    (DateTime.fromISO(toDate, { zone: ZONE }).toMillis() - DateTime.fromISO(fromDate, { zone: ZONE }).toMillis()) / (24 * HOUR_MS),
  );

/** Whether hours ending at `endMs` run past `lastDay` (YYYY-MM-DD) in Shanghai: the voucher pays for no hour after it. */
export const endsAfterDay = (endMs: number, lastDay: string): boolean => beijingDate(endMs - 1) > lastDay;

/** The last day a slot may be looked for from `nowMs`: 31 days on, or the calendar's advance if shorter. */

export const lastBookableDate = (terms: BookingTerms, nowMs: number): string =>
  beijingDate(nowMs + Math.min(terms.maxAdvanceDays, MAX_RANGE_DAYS - 1) * 24 * HOUR_MS);

/** The first `count` free slots from `nowMs` on, up to the last bookable date. */
export function nextFreeSlots(terms: BookingTerms, taken: Set<number>, nowMs: number, count: number): Slot[] {
  if (count <= 0) return [];
  return slots(terms, beijingDate(nowMs), lastBookableDate(terms, nowMs), taken, nowMs, count).filter((s) => s.free);
}

/** The start of the first free slot from `nowMs` on within the next 31 days (or the calendar's advance, if shorter), as shown; undefined if none. */
export const firstFreeSlot = (terms: BookingTerms, taken: Set<number>, nowMs: number): string | undefined =>
  nextFreeSlots(terms, taken, nowMs, 1)[0]?.start;
