import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  BookingTerms,
  calendarRefusal,
  endsAfterDay,
  firstFreeSlot,
  HOUR_MS,
  hourBookable,
  hourStarts,
  lateCancellation,
  lateFeeFen,
  leavesBookingWindow,
  liveHoursRefusal,
  nextFreeSlots,
  onTheHour,
  overlappingOpeningHours,
  parseInstant,
  shown,
  slots,
  stored,
  ZONE,
} from '../../src/bookings/booking.rules';

const WEEKDAYS_9_TO_18: BookingTerms = {
  openingHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, from: '09:00', to: '18:00' })),
  closures: [],
  minNoticeHours: 24,
  maxAdvanceDays: 60,
};
const shanghai = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
/** Monday 2026-12-07, 00:00 Shanghai. */
const MONDAY = shanghai('2026-12-07T00:00');
const NOW = shanghai('2026-12-01T12:00');

describe('booking rules', () => {
  it('the late fee is floor(fee × bp / 10000), exact up to 10^13 fen, never above the fee', () => {
    expect(lateFeeFen(99_999, 5000)).toBe(49_999);
    expect(lateFeeFen(160_000, 5000)).toBe(80_000);
    expect(lateFeeFen(10_000_000_000_000, 9999)).toBe(9_999_000_000_000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (fee, bp) => {
        const late = lateFeeFen(fee, bp);
        expect(Number.isSafeInteger(late)).toBe(true);
        expect(BigInt(late) * 10_000n <= BigInt(fee) * BigInt(bp)).toBe(true);
        expect((BigInt(late) + 1n) * 10_000n > BigInt(fee) * BigInt(bp)).toBe(true);
        expect(late).toBeLessThanOrEqual(fee);
      }),
    );
  });

  it('a cancellation is late exactly when it comes after start − freeCancellationHours', () => {
    const start = MONDAY + 10 * HOUR_MS;
    expect(lateCancellation(start, start - 24 * HOUR_MS, 24)).toBe(false);
    expect(lateCancellation(start, start - 24 * HOUR_MS + 1, 24)).toBe(true);
    expect(lateCancellation(start, start + HOUR_MS, 0)).toBe(true);
  });

  it('a range of whole hours is as many hour rows as hours, each on the hour; two ranges share a row exactly when they overlap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 24 }),
        (a, aLen, b, bLen) => {
          const rowsA = hourStarts(MONDAY + a * HOUR_MS, MONDAY + (a + aLen) * HOUR_MS);
          const rowsB = new Set(hourStarts(MONDAY + b * HOUR_MS, MONDAY + (b + bLen) * HOUR_MS));
          expect(rowsA).toHaveLength(aLen);
          expect(rowsA.every(onTheHour)).toBe(true);
          const overlap = a < b + bLen && b < a + aLen;
          expect(rowsA.some((h) => rowsB.has(h))).toBe(overlap);
        },
      ),
    );
  });

  it('instants read with an offset or as Shanghai time, and are shown with +08:00', () => {
    expect(parseInstant('2026-12-07T10:00:00+08:00')).toBe(MONDAY + 10 * HOUR_MS);
    expect(parseInstant('2026-12-07T10:00')).toBe(MONDAY + 10 * HOUR_MS);
    expect(parseInstant('2026-12-07T02:00:00Z')).toBe(MONDAY + 10 * HOUR_MS);
    expect(parseInstant('tomorrow')).toBeUndefined();
    expect(shown(stored(MONDAY + 10 * HOUR_MS))).toBe('2026-12-07T10:00:00+08:00');
  });

  it('an hour is bookable under a calendar exactly when the calendar would take a booking of it (property)', () => {
    const closed = {
      ...WEEKDAYS_9_TO_18,
      closures: [{ from: stored(MONDAY + 12 * HOUR_MS), to: stored(MONDAY + 14 * HOUR_MS + 1), reason: '维护' }],
    };
    expect(hourBookable(closed, MONDAY + 11 * HOUR_MS)).toBe(true);
    expect(hourBookable(closed, MONDAY + 14 * HOUR_MS)).toBe(false); // the closure reaches into it
    expect(hourBookable(closed, MONDAY + 8 * HOUR_MS)).toBe(false);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 14 * 24 - 1 }), fc.constantFrom(WEEKDAYS_9_TO_18, closed), (hour, terms) => {
        const start = MONDAY + hour * HOUR_MS;
        const refusal = calendarRefusal(terms, start, start + HOUR_MS, NOW);
        expect(hourBookable(terms, start)).toBe(refusal?.code !== 'OUTSIDE_OPENING_HOURS');
      }),
    );
  });

  it('the calendar refuses hours outside opening hours or in a closure, too soon or too far ahead', () => {
    const at = (hour: number, days = 0) => MONDAY + (days * 24 + hour) * HOUR_MS;
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10), at(12), NOW)).toBeNull();
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(8), at(10), NOW)?.code).toBe('OUTSIDE_OPENING_HOURS');
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(17), at(19), NOW)?.code).toBe('OUTSIDE_OPENING_HOURS');
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10, 5), at(11, 5), NOW)?.code).toBe('OUTSIDE_OPENING_HOURS'); // Saturday
    const closed = { ...WEEKDAYS_9_TO_18, closures: [{ from: stored(at(12)), to: stored(at(13)), reason: '维护' }] };
    expect(calendarRefusal(closed, at(11), at(12), NOW)).toBeNull();
    expect(calendarRefusal(closed, at(11), at(13), NOW)?.code).toBe('OUTSIDE_OPENING_HOURS');
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10), at(11), at(10) - 23 * HOUR_MS)?.code).toBe('BOOKING_NOTICE');
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10), at(11), at(10) - 24 * HOUR_MS)).toBeNull();
    // with no notice required, a slot already begun is refused as begun, not as "0 hours' notice"
    const noNotice = { ...WEEKDAYS_9_TO_18, minNoticeHours: 0 };
    expect(calendarRefusal(noNotice, at(10), at(11), at(10))).toBeNull();
    expect(calendarRefusal(noNotice, at(10), at(11), at(10) + 1)).toMatchObject({ code: 'BOOKING_NOTICE', key: 'bookings.slotPast' });
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10), at(11), at(10) + HOUR_MS)).toMatchObject({ key: 'bookings.slotPast' });
    expect(calendarRefusal(WEEKDAYS_9_TO_18, at(10, 63), at(11, 63), NOW)?.code).toBe('BOOKING_NOTICE');
  });

  it('every hour booked lies within maxAdvanceDays, as availability shows each: a long booking begun inside may not run past it', () => {
    const always: BookingTerms = {
      ...WEEKDAYS_9_TO_18,
      openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })),
    };
    const horizon = NOW + 60 * 24 * HOUR_MS; // 2027-01-30 12:00 Shanghai: the last hour that may start
    expect(calendarRefusal(always, horizon - 10 * HOUR_MS, horizon + HOUR_MS, NOW)).toBeNull();
    expect(calendarRefusal(always, horizon - 10 * HOUR_MS, horizon + 2 * HOUR_MS, NOW)).toEqual({
      code: 'BOOKING_NOTICE',
      key: 'bookings.maxAdvanceEnd',
      params: { days: 60, at: '2027-01-30T13:00:00+08:00' },
    });
    fc.assert(
      fc.property(fc.integer({ min: 24, max: 60 * 24 + 30 }), fc.integer({ min: 1, max: 200 }), (fromNow, hours) => {
        const start = Math.ceil(NOW / HOUR_MS) * HOUR_MS + fromNow * HOUR_MS;
        const refusal = calendarRefusal(always, start, start + hours * HOUR_MS, NOW);
        const everyHourShown = hourStarts(start, start + hours * HOUR_MS).every((h) => h <= horizon);
        expect(refusal === null).toBe(everyHourShown);
      }),
    );
  });

  it('a slot is written with the offset Luxon gives for its instant, start and end', () => {
    const month = slots(
      { ...WEEKDAYS_9_TO_18, openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })) },
      '2026-12-01',
      '2026-12-31',
      new Set(),
      NOW,
    );
    expect(month).toHaveLength(31 * 24);
    month.forEach((s, i) => expect(Date.parse(s.start)).toBe(shanghai('2026-12-01T00:00') + i * HOUR_MS));
    for (const s of month) {
      expect(s.start).toBe(shown(stored(Date.parse(s.start))));
      expect(s.end).toBe(shown(stored(Date.parse(s.start) + HOUR_MS)));
    }
    expect(month[0].start).toBe('2026-12-01T00:00:00+08:00');
  });

  it('a closure removes exactly the slots it overlaps; the others keep their own start and end', () => {
    const open = slots(WEEKDAYS_9_TO_18, '2026-12-01', '2026-12-31', new Set(), NOW);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 31 * 24 * 60 }), fc.integer({ min: 1, max: 3 * 24 * 60 })), { maxLength: 4 }),
        (spans) => {
          const start = shanghai('2026-12-01T00:00');
          const closures = spans.map(([fromMin, minutes]) => ({
            from: stored(start + fromMin * 60_000),
            to: stored(start + (fromMin + minutes) * 60_000),
            reason: '维护',
          }));
          const closedAt = (ms: number) => closures.some((c) => Date.parse(c.from) < ms + HOUR_MS && ms < Date.parse(c.to));
          const month = slots({ ...WEEKDAYS_9_TO_18, closures }, '2026-12-01', '2026-12-31', new Set(), NOW);
          expect(month).toEqual(open.filter((s) => !closedAt(Date.parse(s.start))));
          for (const s of month) {
            expect(s.start).toBe(shown(stored(Date.parse(s.start))));
            expect(s.end).toBe(shown(stored(Date.parse(s.start) + HOUR_MS)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('slots are the open hours of each day, free unless taken or out of the notice window; the first free slot is the earliest free one', () => {
    const week = slots(WEEKDAYS_9_TO_18, '2026-12-07', '2026-12-13', new Set([MONDAY + 10 * HOUR_MS]), NOW);
    expect(week).toHaveLength(5 * 9);
    expect(week.filter((s) => !s.free).map((s) => Date.parse(s.start))).toEqual([MONDAY + 10 * HOUR_MS]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 9 * 20 }), { maxLength: 60 }), (takenIdx) => {
        const all = slots(WEEKDAYS_9_TO_18, '2026-12-01', '2026-12-31', new Set(), NOW).filter((s) => s.free);
        const taken = new Set(takenIdx.filter((i) => i < all.length).map((i) => Date.parse(all[i].start)));
        const first = firstFreeSlot(WEEKDAYS_9_TO_18, taken, NOW);
        expect(first).toBe(all.find((s) => !taken.has(Date.parse(s.start)))?.start);
        if (first !== undefined) expect(Date.parse(first)).toBeGreaterThanOrEqual(NOW + 24 * HOUR_MS);
      }),
      { numRuns: 50 },
    );
  });

  it('a search for the first free slots stops there and finds what the whole month lists first', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 9 * 22 }), { maxLength: 120 }),
        fc.integer({ min: 0, max: 12 }),
        (takenIdx, count) => {
          const month = slots(WEEKDAYS_9_TO_18, '2026-12-01', '2026-12-31', new Set(), NOW);
          const taken = new Set(takenIdx.filter((i) => i < month.length).map((i) => Date.parse(month[i].start)));
          const all = slots(WEEKDAYS_9_TO_18, '2026-12-01', '2026-12-31', taken, NOW);
          const freeWanted = Math.max(1, count);
          const stopped = slots(WEEKDAYS_9_TO_18, '2026-12-01', '2026-12-31', taken, NOW, freeWanted);
          expect(stopped).toEqual(all.slice(0, stopped.length));
          const wanted = all.filter((s) => s.free).slice(0, freeWanted);
          expect(stopped.filter((s) => s.free)).toEqual(wanted);
          if (wanted.length === freeWanted) expect(stopped[stopped.length - 1]).toEqual(wanted[wanted.length - 1]);
          // From NOW on, within the calendar's bookable month: what the facility page and the comparison show.
          const next = nextFreeSlots(WEEKDAYS_9_TO_18, taken, NOW, count);
          expect(next).toHaveLength(Math.min(count, all.filter((s) => s.free).length));
          expect(next).toEqual(all.filter((s) => s.free).slice(0, count));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('endsAfterDay: hours up to midnight in Shanghai are within the day, one more is not', () => {
    const shanghai = (iso: string) => DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toMillis();
    expect(endsAfterDay(shanghai('2026-12-31T22:00'), '2026-12-31')).toBe(false);
    expect(endsAfterDay(shanghai('2027-01-01T00:00'), '2026-12-31')).toBe(false);
    expect(endsAfterDay(shanghai('2027-01-01T01:00'), '2026-12-31')).toBe(true);
    // 16:00 UTC is midnight in Shanghai: the UTC date would say otherwise
    expect(endsAfterDay(Date.parse('2026-12-31T17:00:00Z'), '2026-12-31')).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 * 400 }), (hours) => {
        const endMs = shanghai('2026-01-01T00:00') + hours * HOUR_MS;
        const lastDay = DateTime.fromMillis(endMs - 1, { zone: 'Asia/Shanghai' }).toISODate()!;
        const midnight = DateTime.fromMillis(endMs - 1, { zone: 'Asia/Shanghai' })
          .plus({ days: 1 })
          .startOf('day')
          .toMillis();
        expect(endsAfterDay(endMs, lastDay)).toBe(false);
        expect(endsAfterDay(midnight, lastDay)).toBe(false);
        expect(endsAfterDay(midnight + HOUR_MS, lastDay)).toBe(true);
      }),
    );
  });

  it('the live-hours cap binds an enterprise and its group together: refused exactly when the group would pass it', () => {
    expect(liveHoursRefusal({ own: 2, group: 2 }, 1, 3)).toBeNull();
    expect(liveHoursRefusal({ own: 2, group: 2 }, 2, 3)).toEqual({
      code: 'LIMIT_REACHED',
      key: 'bookings.liveHoursCap',
      params: { live: 2, adding: 2, cap: 3 },
    });
    // a sister company's hours count: the group's refusal names both figures
    expect(liveHoursRefusal({ own: 0, group: 3 }, 1, 3)).toEqual({
      code: 'LIMIT_REACHED',
      key: 'bookings.groupLiveHoursCap',
      params: { live: 3, own: 0, adding: 1, cap: 3 },
    });
    fc.assert(
      fc.property(
        fc.nat(300),
        fc.nat(300),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 400 }),
        (own, others, adding, cap) => {
          const refusal = liveHoursRefusal({ own, group: own + others }, adding, cap);
          expect(refusal === null).toBe(own + others + adding <= cap);
          if (refusal) expect(refusal.key).toBe(others === 0 ? 'bookings.liveHoursCap' : 'bookings.groupLiveHoursCap');
        },
      ),
    );
  });
});

describe('a calendar leaves a window to book in (leavesBookingWindow)', () => {
  it('refuses a notice as long as the advance or longer: 720 hours against 7 days, and 168 hours against 7 days', () => {
    expect(leavesBookingWindow({ minNoticeHours: 720, maxAdvanceDays: 7 })).toBe(false);
    expect(leavesBookingWindow({ minNoticeHours: 168, maxAdvanceDays: 7 })).toBe(false);
    expect(leavesBookingWindow({ minNoticeHours: 167, maxAdvanceDays: 7 })).toBe(true);
    expect(leavesBookingWindow({ minNoticeHours: 0, maxAdvanceDays: 1 })).toBe(true);
  });

  it('holds exactly when some whole-hour start lies between the notice and the advance, whatever the minute now', () => {
    fc.assert(
      fc.property(fc.nat(8760), fc.integer({ min: 1, max: 366 }), fc.nat(59), (minNoticeHours, maxAdvanceDays, minute) => {
        // the first start on the hour at or after now + notice, against the last allowed start (now + advance)
        const firstStartMinutes = Math.ceil((minute + minNoticeHours * 60) / 60) * 60 - minute;
        const reachable = firstStartMinutes <= maxAdvanceDays * 24 * 60;
        if (leavesBookingWindow({ minNoticeHours, maxAdvanceDays })) expect(reachable).toBe(true);
        else if (minute > 0) expect(reachable).toBe(false);
      }),
    );
  });

  describe('overlappingOpeningHours', () => {
    const span = fc.record({
      weekday: fc.integer({ min: 1, max: 7 }),
      from: fc.integer({ min: 0, max: 23 }),
      length: fc.integer({ min: 1, max: 24 }),
    });
    const hhmm = (h: number) => `${String(h).padStart(2, '0')}:00`;

    it('names a pair exactly when two spans of one weekday share an hour (meeting at an hour is no overlap)', () => {
      fc.assert(
        fc.property(fc.array(span, { maxLength: 8 }), (spans) => {
          const hours = spans.map((s) => ({ weekday: s.weekday, from: hhmm(s.from), to: hhmm(Math.min(24, s.from + s.length)) }));
          // the model: the hours each span opens, as a set per weekday
          const opened = hours.map((o) => {
            const set = new Set<string>();
            for (let h = Number(o.from.slice(0, 2)); h < Number(o.to.slice(0, 2)); h++) set.add(`${o.weekday}:${h}`);
            return set;
          });
          const shares = opened.some((a, i) => opened.some((b, j) => j > i && [...a].some((h) => b.has(h))));
          const found = overlappingOpeningHours(hours);
          expect(found !== null).toBe(shares);
          if (found) expect([...opened[found[0]]].some((h) => opened[found[1]].has(h))).toBe(true);
        }),
      );
    });

    it('finds 09–12 and 11–14 of a Monday, not 09–12 and 12–14, nor a Tuesday beside a Monday', () => {
      const monday = { weekday: 1, from: '09:00', to: '12:00' };
      expect(overlappingOpeningHours([monday, { weekday: 1, from: '11:00', to: '14:00' }])).toEqual([0, 1]);
      expect(overlappingOpeningHours([monday, { weekday: 1, from: '12:00', to: '14:00' }])).toBeNull();
      expect(overlappingOpeningHours([monday, { weekday: 2, from: '09:00', to: '12:00' }])).toBeNull();
    });
  });
});
