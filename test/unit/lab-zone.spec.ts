import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { RememberedZone } from '../../src/bookings/lab-zone';

const iana = IANAZone.create('Asia/Shanghai');
const zone = new RememberedZone(iana);

describe('the lab zone (Asia/Shanghai, offsets remembered per hour)', () => {
  it('gives the zone database’s offset for any instant, before and after the last change (1991), asked in any order', () => {
    fc.assert(
      fc.property(
        // 1900 … 2100, so the pre-1992 path (summer time 1986–1991, LMT before 1901) is crossed too
        fc.array(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }), { minLength: 1, maxLength: 50 }),
        (instants) => {
          for (const ts of instants) expect(zone.offset(ts)).toBe(iana.offset(ts));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('makes the same DateTimes as the plain zone: fields, offsets, ISO text and equality', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1985, 0, 1), max: Date.UTC(2060, 0, 1) }), (ts) => {
        const mine = DateTime.fromMillis(ts, { zone });
        const plain = DateTime.fromMillis(ts, { zone: iana });
        expect(mine.toISO()).toBe(plain.toISO());
        expect(mine.toFormat('ZZ')).toBe(plain.toFormat('ZZ'));
        expect(mine.startOf('day').toMillis()).toBe(plain.startOf('day').toMillis());
        expect(mine.equals(plain)).toBe(true);
        const local = plain.toISO({ includeOffset: false })!;
        expect(DateTime.fromISO(local, { zone }).toMillis()).toBe(DateTime.fromISO(local, { zone: iana }).toMillis());
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps summer time of 1986–1991 (the zone database’s, not a fixed +08:00)', () => {
    expect(DateTime.fromISO('1990-07-01T12:00', { zone }).toFormat('ZZ')).toBe('+09:00');
    expect(DateTime.fromISO('2026-07-01T12:00', { zone }).toFormat('ZZ')).toBe('+08:00');
    expect(zone.name).toBe('Asia/Shanghai');
  });
});
