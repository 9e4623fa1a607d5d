import fc from 'fast-check';
import { withinFacilityCap } from '../../src/facilities/facility.rules';

describe('the per-provider cap on live facilities (withinFacilityCap)', () => {
  it('lets a lab fill the cap exactly and not one more', () => {
    expect(withinFacilityCap(499, 1, 500)).toBe(true);
    expect(withinFacilityCap(500, 1, 500)).toBe(false);
    expect(withinFacilityCap(0, 500, 500)).toBe(true);
    expect(withinFacilityCap(0, 501, 500)).toBe(false);
  });

  it('always lets an import that adds nothing run, even above a cap lowered since', () => {
    expect(withinFacilityCap(800, 0, 500)).toBe(true);
  });

  it('agrees with live + adding ≤ max whenever something is added', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 1000 }), (live, adding, max) => {
        expect(withinFacilityCap(live, adding, max)).toBe(live + adding <= max);
      }),
    );
  });
});
