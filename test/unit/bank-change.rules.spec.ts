import { bankChangeNeedsBureau, mayDecideBankChange } from '../../src/organizations/profile.rules';

describe('a change of bank account and its bureau (收款账户变更确认)', () => {
  it('a first filing takes effect; an account replacing one on file, or filed again after one was cleared, waits', () => {
    expect(bankChangeNeedsBureau({ bankAccount: null, bankAccountFiledAt: null }, { bankAccount: '6222000011112222' })).toBe(false);
    expect(bankChangeNeedsBureau({ bankAccount: '6222000011110000', bankAccountFiledAt: null }, { bankAccount: '6222000011112222' })).toBe(
      true,
    );
    expect(
      bankChangeNeedsBureau({ bankAccount: null, bankAccountFiledAt: '2026-01-02T00:00:00.000Z' }, { bankAccount: '6222000011112222' }),
    ).toBe(true);
    // clearing pays no one: it takes effect
    expect(bankChangeNeedsBureau({ bankAccount: '6222000011110000', bankAccountFiledAt: null }, { bankAccount: null })).toBe(false);
  });

  it('the person who asked for it does not decide it', () => {
    expect(mayDecideBankChange('u1', 'u1')).toBe(false);
    expect(mayDecideBankChange('u1', 'u2')).toBe(true);
  });
});
