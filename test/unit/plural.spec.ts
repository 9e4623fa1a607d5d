import { counted } from '../../src/common/i18n/plural';

describe('counted: an English count with its noun in the right number', () => {
  it('is singular for exactly one, plural for every other count', () => {
    expect(counted(1, 'hour')).toBe('1 hour');
    expect(counted(2, 'hour')).toBe('2 hours');
    expect(counted(0, 'claim')).toBe('0 claims');
    expect(counted(1.5, 'hour')).toBe('1.5 hours');
    expect(counted(-1, 'day')).toBe('-1 day');
    expect(counted(1n, 'transfer')).toBe('1 transfer');
  });

  it('takes an irregular plural and the possessive of notice', () => {
    expect(counted(1, 'entry', 'entries')).toBe('1 entry');
    expect(counted(1000, 'entry', 'entries')).toBe('1000 entries');
    expect(`${counted(1, 'hour’s', 'hours’')} notice`).toBe('1 hour’s notice');
    expect(`${counted(24, 'hour’s', 'hours’')} notice`).toBe('24 hours’ notice');
  });
});
