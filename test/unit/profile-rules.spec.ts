import fc from 'fast-check';
import { loosenedRelations } from '../../src/organizations/profile.rules';

describe('loosenedRelations', () => {
  const declared = { controllerCreditCode: 'C1', relatedCreditCodes: ['R1', 'R2'] };

  it('names a declared controller changed or cleared, and a declared related party left out', () => {
    expect(loosenedRelations(declared, { controllerCreditCode: 'C2' })).toEqual(['controllerCreditCode']);
    expect(loosenedRelations(declared, { controllerCreditCode: null })).toEqual(['controllerCreditCode']);
    expect(loosenedRelations(declared, { relatedCreditCodes: ['R2'] })).toEqual(['relatedCreditCodes']);
    expect(loosenedRelations(declared, { controllerCreditCode: null, relatedCreditCodes: [] })).toEqual([
      'controllerCreditCode',
      'relatedCreditCodes',
    ]);
  });

  it('lets an organization declare a first controller and more related parties', () => {
    expect(loosenedRelations({ controllerCreditCode: null, relatedCreditCodes: [] }, { controllerCreditCode: 'C1' })).toEqual([]);
    expect(loosenedRelations(declared, { controllerCreditCode: 'C1', relatedCreditCodes: ['R3', 'R2', 'R1'] })).toEqual([]);
    expect(loosenedRelations(declared, {})).toEqual([]);
  });

  it('a list that keeps every declared code loosens nothing; one that drops any does (property)', () => {
    const code = fc.constantFrom('A', 'B', 'C', 'D', 'E');
    fc.assert(
      fc.property(fc.uniqueArray(code), fc.uniqueArray(code), (before, after) => {
        const loosened = loosenedRelations({ controllerCreditCode: null, relatedCreditCodes: before }, { relatedCreditCodes: after });
        expect(loosened.length > 0).toBe(before.some((c) => !after.includes(c)));
      }),
    );
  });
});
