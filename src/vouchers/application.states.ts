import type { ApplicationStatus } from './voucher.entity';

export type ApplicationEvent = 'approve' | 'reject';

/** An application waiting for review is approved or rejected, once. Status × event → status. */
export const APPLICATION_TRANSITIONS: Record<ApplicationStatus, Partial<Record<ApplicationEvent, ApplicationStatus>>> = {
  pending_review: { approve: 'approved', reject: 'rejected' },
  approved: {},
  rejected: {},
};

export const applicationTransition = (from: ApplicationStatus, event: ApplicationEvent): ApplicationStatus | undefined =>
  APPLICATION_TRANSITIONS[from][event];
