import fc from 'fast-check';
import { activeOnList } from '../../src/organizations/organizations.service';
import { relationsForBureau } from '../../src/organizations/profile.rules';

describe('relationsForBureau', () => {
  const declared = { controllerCreditCode: 'C1', relatedCreditCodes: ['R1', 'R2'] };

  it('names a controller declared, changed or cleared, and a declared related party left out', () => {
    expect(relationsForBureau(declared, { controllerCreditCode: 'C2' })).toEqual(['controllerCreditCode']);
    expect(relationsForBureau(declared, { controllerCreditCode: null })).toEqual(['controllerCreditCode']);
    expect(relationsForBureau({ controllerCreditCode: null, relatedCreditCodes: [] }, { controllerCreditCode: 'C1' })).toEqual([
      'controllerCreditCode',
    ]);
    expect(relationsForBureau(declared, { relatedCreditCodes: ['R2'] })).toEqual(['relatedCreditCodes']);
    expect(relationsForBureau(declared, { controllerCreditCode: null, relatedCreditCodes: [] })).toEqual([
      'controllerCreditCode',
      'relatedCreditCodes',
    ]);
  });

  it('lets an organization declare more related parties, and name its controller as it stands', () => {
    expect(relationsForBureau(declared, { controllerCreditCode: 'C1', relatedCreditCodes: ['R3', 'R2', 'R1'] })).toEqual([]);
    expect(relationsForBureau({ controllerCreditCode: null, relatedCreditCodes: [] }, { controllerCreditCode: null })).toEqual([]);
    expect(relationsForBureau(declared, {})).toEqual([]);
  });

  it('a list that keeps every declared code is the admin’s; one that drops any is the bureau’s (property)', () => {
    const code = fc.constantFrom('A', 'B', 'C', 'D', 'E');
    fc.assert(
      fc.property(fc.uniqueArray(code), fc.uniqueArray(code), (before, after) => {
        const fields = relationsForBureau({ controllerCreditCode: null, relatedCreditCodes: before }, { relatedCreditCodes: after });
        expect(fields.length > 0).toBe(before.some((c) => !after.includes(c)));
      }),
    );
  });

  it('any other controller is the bureau’s (property)', () => {
    const code = fc.option(fc.constantFrom('A', 'B', 'C'), { nil: null });
    fc.assert(
      fc.property(code, code, (before, after) => {
        const fields = relationsForBureau({ controllerCreditCode: before, relatedCreditCodes: [] }, { controllerCreditCode: after });
        expect(fields).toEqual(before === after ? [] : ['controllerCreditCode']);
      }),
    );
  });
});

describe('activeOnList', () => {
  const listed = { certificateNo: 'GR202634000123' };

  it('activates only an enterprise naming the listed certificate and no controller', () => {
    expect(activeOnList(listed, { controllerCreditCode: null, certificateNo: 'GR202634000123' })).toBe(true);
    expect(activeOnList(listed, { controllerCreditCode: null, certificateNo: ' gr202634000123 ' })).toBe(true);
    expect(activeOnList(listed, { controllerCreditCode: null, certificateNo: null })).toBe(false);
    expect(activeOnList(listed, { controllerCreditCode: null, certificateNo: 'GR202634000124' })).toBe(false);
    expect(activeOnList(listed, { controllerCreditCode: '91340100MA2T8XQ30C', certificateNo: 'GR202634000123' })).toBe(false);
  });

  it('never activates on another number (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), (a, b) => {
        const same = a.trim().toUpperCase() === b.trim().toUpperCase();
        expect(activeOnList({ certificateNo: a }, { controllerCreditCode: null, certificateNo: b })).toBe(same);
      }),
    );
  });
});
