import type { Actor, Role } from '../../src/common/context/request-context';
import { isPayingBureau, payeeAccountFor } from '../../src/settlement/payee-account';

const actor = (role: Role, regionCode: string | null = null, organizationId: string | null = null): Actor => ({
  userId: 'u',
  username: 'u',
  role,
  organizationId,
  regionCode,
  sessionId: 's',
  admin: false,
  mfaEnabled: false,
});

describe('who reads a payee’s bank account in full', () => {
  it('the bureau that pays a Hefei batch: Hefei’s own, or Anhui’s', () => {
    expect(isPayingBureau(actor('bureau', '340100'), '340100')).toBe(true);
    expect(isPayingBureau(actor('bureau', '340000'), '340100')).toBe(true);
  });

  it('nobody else: another city’s or province’s bureau, the platform (and its API keys), the payees', () => {
    expect(isPayingBureau(actor('bureau', '340200'), '340100')).toBe(false);
    expect(isPayingBureau(actor('bureau', '310000'), '340100')).toBe(false);
    expect(isPayingBureau({ ...actor('platform'), apiKey: { id: 'k', readOnly: true, createdBy: 'u' } }, '340100')).toBe(false);
    expect(isPayingBureau(actor('platform'), '340100')).toBe(false);
    expect(isPayingBureau(actor('provider', null, 'lab'), '340100')).toBe(false);
    expect(isPayingBureau(actor('enterprise', '340100', 'firm'), '340100')).toBe(false);
  });

  it('shows the account in full to it, else only its last four digits', () => {
    expect(payeeAccountFor('6222021001123459012', true)).toBe('6222021001123459012');
    expect(payeeAccountFor('6222021001123459012', false)).toBe('**** **** 9012');
  });
});
