import fc from 'fast-check';
import { clockSkewMs } from '../../src/health/health.controller';

describe('how far this node’s clock is off the database’s (clockSkewMs)', () => {
  it('an example: read between 1,000 and 1,040 by a database clock at 1,520, this node is 500 ms behind', () => {
    expect(clockSkewMs(1_000, 1_520, 1_040)).toBe(500);
    expect(clockSkewMs(1_000, 520, 1_040)).toBe(-500);
  });

  it('is the database’s clock less the middle of the round trip, whatever the trip took', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 41 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: -1e7, max: 1e7 }),
        (before, trip, off) => {
          const after = before + trip;
          expect(clockSkewMs(before, (before + after) / 2 + off, after)).toBe(off);
        },
      ),
    );
  });
});
