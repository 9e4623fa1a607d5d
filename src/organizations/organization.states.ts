import type { OrganizationStatus } from './organization.entity';

export type OrganizationEvent = 'admit' | 'admit_at_once' | 'notice_ends' | 'suspend' | 'verify' | 'decline';

/**
 * A provider's admission (DOMAIN.md): applied → public_notice → active → suspended, and a suspended provider may be
 * admitted again. An enterprise's verification: pending_verification → active (verified by its home bureau) or
 * declined, and a declined one may be verified later. Status × event → status; a missing entry is a transition the
 * status does not allow.
 */
export const ORGANIZATION_TRANSITIONS: Record<OrganizationStatus, Partial<Record<OrganizationEvent, OrganizationStatus>>> = {
  pending_verification: { verify: 'active', decline: 'declined' },
  declined: { verify: 'active' },
  applied: { admit: 'public_notice', admit_at_once: 'active', suspend: 'suspended' },
  public_notice: { notice_ends: 'active', suspend: 'suspended' },
  active: { suspend: 'suspended' },
  suspended: { admit: 'public_notice', admit_at_once: 'active' },
};

export const organizationTransition = (from: OrganizationStatus, event: OrganizationEvent): OrganizationStatus | undefined =>
  ORGANIZATION_TRANSITIONS[from][event];
