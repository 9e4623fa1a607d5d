import { CLAIM_TRANSITIONS, claimTransition } from '../../src/claims/claim.states';
import { ORGANIZATION_TRANSITIONS, organizationTransition } from '../../src/organizations/organization.states';
import { REDEMPTION_TRANSITIONS, redemptionTransition, USAGE_TRANSITIONS, usageTransition } from '../../src/redemptions/redemption.states';
import { SETTLEMENT_TRANSITIONS } from '../../src/settlement/settlement.states';
import { APPLICATION_TRANSITIONS, applicationTransition } from '../../src/vouchers/application.states';
import { VOUCHER_TRANSITIONS, voucherTransition } from '../../src/vouchers/voucher.states';

/** Every table as the list of its allowed moves, `from --event--> to`, so a changed rule shows up as a changed line. */
const moves = (table: Record<string, Partial<Record<string, string>>>) =>
  Object.entries(table).flatMap(([from, events]) => Object.entries(events).map(([event, to]) => `${from} --${event}--> ${to}`));

/** Statuses reachable from `start` by any sequence of events. */
const reachable = (table: Record<string, Partial<Record<string, string>>>, start: string) => {
  const seen = new Set([start]);
  for (const status of seen) for (const to of Object.values(table[status] ?? {})) if (to) seen.add(to);
  return seen;
};

describe('state transitions', () => {
  it('a hold is captured, cancelled or expires, once; only a dispute resolved at zero annuls a capture', () => {
    expect(moves(REDEMPTION_TRANSITIONS)).toEqual([
      'held --capture--> captured',
      'held --cancel--> cancelled',
      'held --expire--> expired',
      'captured --annul--> cancelled',
    ]);
    for (const final of ['captured', 'cancelled', 'expired'] as const) {
      for (const event of ['capture', 'cancel', 'expire'] as const) expect(redemptionTransition(final, event)).toBeUndefined();
    }
    expect(redemptionTransition('held', 'annul')).toBeUndefined();
  });

  it('captured usage is confirmed, by the enterprise or its silence, or disputed and then resolved by the bureau', () => {
    expect(moves(USAGE_TRANSITIONS)).toEqual([
      'pending --confirm--> confirmed',
      'pending --dispute--> disputed',
      'pending --silence--> confirmed',
      'disputed --resolve--> confirmed',
    ]);
    expect(usageTransition('confirmed', 'dispute')).toBeUndefined();
    expect(usageTransition('disputed', 'confirm')).toBeUndefined();
    expect(usageTransition(null, 'confirm')).toBeUndefined();
  });

  it('a voucher is exhausted and refilled by its balance, and expires or is revoked for good', () => {
    expect(moves(VOUCHER_TRANSITIONS)).toEqual([
      'active --exhaust--> exhausted',
      'active --expire--> expired',
      'active --revoke--> revoked',
      'exhausted --refill--> active',
      'exhausted --expire--> expired',
      'exhausted --revoke--> revoked',
    ]);
    expect(voucherTransition('revoked', 'revoke')).toBeUndefined();
    expect(voucherTransition('expired', 'revoke')).toBeUndefined();
    expect([...reachable(VOUCHER_TRANSITIONS, 'active')].sort()).toEqual(['active', 'exhausted', 'expired', 'revoked']);
  });

  it('an application and a claim are decided once, above dualControlFen by two approvals, a first one withdrawn with its approver', () => {
    const decided = (first: string) => [
      `${first} --approve--> approved`,
      `${first} --approve_first--> awaiting_second_approval`,
      `${first} --reject--> rejected`,
      'awaiting_second_approval --approve_second--> approved',
      'awaiting_second_approval --reject--> rejected',
      `awaiting_second_approval --withdraw_first--> ${first}`,
    ];
    expect(moves(APPLICATION_TRANSITIONS)).toEqual(decided('pending_review'));
    expect(moves(CLAIM_TRANSITIONS)).toEqual(decided('submitted'));
    expect(applicationTransition('approved', 'reject')).toBeUndefined();
    expect(applicationTransition('awaiting_second_approval', 'approve')).toBeUndefined();
    expect(claimTransition('rejected', 'approve')).toBeUndefined();
    expect(claimTransition('submitted', 'approve_second')).toBeUndefined();
  });

  it('a settlement is paid once, or voided while open; neither is undone', () => {
    expect(moves(SETTLEMENT_TRANSITIONS)).toEqual(['open --pay--> paid', 'open --void--> voided']);
  });

  it('a provider passes admission and may be suspended and admitted again; an enterprise is verified or declined', () => {
    expect(moves(ORGANIZATION_TRANSITIONS)).toEqual([
      'pending_verification --verify--> active',
      'pending_verification --decline--> declined',
      'declined --verify--> active',
      'applied --admit--> public_notice',
      'applied --admit_at_once--> active',
      'applied --suspend--> suspended',
      'public_notice --notice_ends--> active',
      'public_notice --suspend--> suspended',
      'active --suspend--> suspended',
      'suspended --admit--> public_notice',
      'suspended --admit_at_once--> active',
    ]);
    expect(organizationTransition('active', 'admit')).toBeUndefined();
    expect(organizationTransition('suspended', 'suspend')).toBeUndefined();
    expect([...reachable(ORGANIZATION_TRANSITIONS, 'applied')].sort()).toEqual(['active', 'applied', 'public_notice', 'suspended']);
    expect(organizationTransition('active', 'verify')).toBeUndefined();
  });
});
