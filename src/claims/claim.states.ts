import type { ClaimStatus } from './claim.entity';

export type ClaimEvent = 'approve' | 'approve_first' | 'approve_second' | 'reject' | 'withdraw_first';

/**
 * A submitted claim is approved or rejected, once. At or above the policy's dualControlFen a first approval only
 * marks it, and a second bureau user completes it. A rejection may be final (终局驳回, Claim.finalRejection): the same
 * transition, after which its redemptions can never be claimed again. A first approval whose approver is disabled, or
 * their sign-in reset, or the API key it was given through revoked, before the second is withdrawn: the claim waits for
 * a first approval again. Status × event → status.
 */
export const CLAIM_TRANSITIONS: Record<ClaimStatus, Partial<Record<ClaimEvent, ClaimStatus>>> = {
  submitted: { approve: 'approved', approve_first: 'awaiting_second_approval', reject: 'rejected' },
  awaiting_second_approval: { approve_second: 'approved', reject: 'rejected', withdraw_first: 'submitted' },
  approved: {},
  rejected: {},
};

export const claimTransition = (from: ClaimStatus, event: ClaimEvent): ClaimStatus | undefined => CLAIM_TRANSITIONS[from][event];
