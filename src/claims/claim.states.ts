import type { ClaimStatus } from './claim.entity';

export type ClaimEvent = 'approve' | 'reject';

/** A submitted claim is approved or rejected, once. Status × event → status. */
export const CLAIM_TRANSITIONS: Record<ClaimStatus, Partial<Record<ClaimEvent, ClaimStatus>>> = {
  submitted: { approve: 'approved', reject: 'rejected' },
  approved: {},
  rejected: {},
};

export const claimTransition = (from: ClaimStatus, event: ClaimEvent): ClaimStatus | undefined => CLAIM_TRANSITIONS[from][event];
