import type { ApplicationStatus } from './voucher.entity';

export type ApplicationEvent = 'approve' | 'approve_first' | 'approve_second' | 'reject' | 'withdraw_first';

/**
 * An application waiting for review is approved or rejected, once. Above the policy's dualControlFen a first approval
 * only marks it, and a second bureau user completes it; a first approval whose approver is disabled, or their sign-in
 * reset, or the API key it was given through revoked, before the second is withdrawn. Status × event → status.
 */
export const APPLICATION_TRANSITIONS: Record<ApplicationStatus, Partial<Record<ApplicationEvent, ApplicationStatus>>> = {
  pending_review: { approve: 'approved', approve_first: 'awaiting_second_approval', reject: 'rejected' },
  awaiting_second_approval: { approve_second: 'approved', reject: 'rejected', withdraw_first: 'pending_review' },
  approved: {},
  rejected: {},
};

export const applicationTransition = (from: ApplicationStatus, event: ApplicationEvent): ApplicationStatus | undefined =>
  APPLICATION_TRANSITIONS[from][event];
