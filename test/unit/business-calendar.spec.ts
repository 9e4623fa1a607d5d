import fc from 'fast-check';
import { DateTime } from 'luxon';
import { beijingDate, beijingDayStart, beijingYear, clock } from '../../src/common/clock';
import { addDays } from '../../src/policies/policy.rules';

const ms = (iso: string) => Date.parse(iso);
/** Instants from 1992 (Asia/Shanghai's last change of offset was in 1991) to the end of 2100 (budgets' last year). */
const instant = fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2101, 0, 1) - 1 });

describe('the business calendar (Beijing days of UTC instants)', () => {
  afterEach(() => {
    jest.useRealTimers();
    clock.reset();
  });

  it('turns the day at 16:00 UTC, the year at 16:00 UTC on New Year’s Eve', () => {
    expect(beijingDate('2026-12-31T15:59:59.999Z')).toBe('2026-12-31');
    expect(beijingYear('2026-12-31T15:59:59.999Z')).toBe(2026);
    expect(beijingDate('2026-12-31T16:00:00.000Z')).toBe('2027-01-01');
    expect(beijingYear('2026-12-31T16:00:00.000Z')).toBe(2027);
    expect(beijingDate(ms('2026-12-31T17:00:00.000Z'))).toBe('2027-01-01');
    expect(beijingDate(new Date('2027-01-01T15:59:59.999Z'))).toBe('2027-01-01');
    expect(beijingDate('2028-02-28T16:00:00.000Z')).toBe('2028-02-29'); // a leap day
    expect(beijingDayStart('2027-01-01')).toBe('2026-12-31T16:00:00.000Z');
  });

  it('clock.today() and clock.year() read the Beijing day, and follow clock.travel across midnight', () => {
    jest.useFakeTimers({ now: ms('2026-12-31T15:59:59.999Z') });
    expect([clock.today(), clock.year(), clock.iso()]).toEqual(['2026-12-31', 2026, '2026-12-31T15:59:59.999Z']);
    clock.travel(1);
    expect([clock.today(), clock.year(), clock.iso()]).toEqual(['2027-01-01', 2027, '2026-12-31T16:00:00.000Z']);
    clock.travel(-1);
    expect(clock.today()).toBe('2026-12-31');
    jest.setSystemTime(ms('2026-12-31T17:00:00.000Z'));
    clock.reset();
    expect([clock.today(), clock.year()]).toEqual(['2027-01-01', 2027]);
  });

  it('agrees with the zone database’s Asia/Shanghai on any instant', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const there = DateTime.fromMillis(t, { zone: 'Asia/Shanghai' });
        expect(beijingDate(t)).toBe(there.toISODate());
        expect(beijingYear(t)).toBe(there.year);
        expect(beijingDayStart(beijingDate(t))).toBe(there.startOf('day').toUTC().toISO());
      }),
      { numRuns: 2_000 },
    );
  });

  it('puts every instant between the start of its Beijing day and the start of the next, which is the day after', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const day = beijingDate(t);
        const iso = new Date(t).toISOString();
        expect(beijingDayStart(day) <= iso && iso < beijingDayStart(addDays(day, 1))).toBe(true);
        expect(beijingDayStart(day)).toBe(`${addDays(day, -1)}T16:00:00.000Z`); // midnight in Beijing
        expect(beijingDate(ms(beijingDayStart(day)) - 1)).toBe(addDays(day, -1));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is a day ahead of UTC exactly from 16:00 to midnight UTC', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const utcDay = new Date(t).toISOString().slice(0, 10);
        const evening = new Date(t).getUTCHours() >= 16;
        expect(beijingDate(t)).toBe(evening ? addDays(utcDay, 1) : utcDay);
      }),
    );
  });
});
