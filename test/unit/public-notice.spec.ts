import fc from 'fast-check';
import { beijingDate, beijingDayStart, DAY_MS } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';
import { noticeEndsAtFor, noticeLastDay } from '../../src/organizations/organization.time-rules';

/** Instants from 2000 to 2100, at any millisecond. */
const instant = fc
  .integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2100-12-01T00:00:00Z') })
  .map((ms) => new Date(ms).toISOString());

describe('a public notice of n days is made of Beijing days', () => {
  it('admitted at any moment of 6 January in Beijing, a 7-day notice runs through 13 January and ends at its midnight', () => {
    for (const at of ['2027-01-05T16:00:00.000Z', '2027-01-06T02:00:00.000Z', '2027-01-06T15:59:59.999Z']) {
      expect(noticeEndsAtFor(at, 7)).toBe('2027-01-13T16:00:00.000Z');
      expect(noticeLastDay(noticeEndsAtFor(at, 7))).toBe('2027-01-13');
    }
    // across 29 February and the year's turn
    expect(noticeLastDay(noticeEndsAtFor('2028-02-21T16:00:00.000Z', 7))).toBe('2028-02-29');
    expect(noticeEndsAtFor('2026-12-23T16:00:00.000Z', 7)).toBe('2026-12-31T16:00:00.000Z');
  });

  it('ends at a Beijing midnight, lasts at least n whole days, and its last day is n days after the day of admission', () =>
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 60 }), (at, n) => {
        const ends = noticeEndsAtFor(at, n);
        const last = noticeLastDay(ends);
        expect(ends).toBe(beijingDayStart(addDays(last, 1)));
        expect(last).toBe(addDays(beijingDate(at), n));
        expect(Date.parse(ends) - Date.parse(at)).toBeGreaterThan(n * DAY_MS);
        expect(Date.parse(ends) - Date.parse(at)).toBeLessThanOrEqual((n + 1) * DAY_MS);
      }),
    ));

  it('names as last day the day of an end stored before the rule, at any hour', () => {
    expect(noticeLastDay('2026-12-08T02:00:00.000Z')).toBe('2026-12-08');
    expect(noticeLastDay('2026-12-07T16:00:00.000Z')).toBe('2026-12-07');
  });
});
