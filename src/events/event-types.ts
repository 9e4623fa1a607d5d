import type { AuditDraft } from '../common/context/request-context';

/** The domain event types API.md names; a subscription may also name any other type the service emits, or `*`. */
export const CONTRACT_EVENT_TYPES = [
  'application.decided',
  'voucher.issued',
  'voucher.expired',
  'voucher.revoked',
  'redemption.held',
  'redemption.captured',
  'redemption.cancelled',
  'redemption.expired',
  'booking.created',
  'booking.cancelled',
  'claim.submitted',
  'claim.decided',
  'settlement.created',
  'settlement.paid',
  'sanction.recorded',
  'sanction.lifted',
  'provider.admitted',
] as const;

/** Further state changes that are published under their audit action's name. */
const OTHER_EVENT_TYPES = [
  'application.submitted',
  'application.first_approval',
  'claim.first_approval',
  'budget.set',
  'enterprise.verified',
  'enterprise.declined',
  'facility.created',
  'facility.updated',
  'facility.retired',
  'facility.rated',
  'organization.registered',
  'policy.published',
  'policy.withdrawn',
  'provider.activated',
  'provider.suspended',
  'qualified_list.imported',
  'relation.recorded',
  'redemption.usage_confirmed',
  'redemption.usage_disputed',
  'redemption.dispute_resolved',
] as const;

export const EVENT_TYPES: readonly string[] = [...CONTRACT_EVENT_TYPES, ...OTHER_EVENT_TYPES];

/** Audit actions published under the contract's name for the decision, with the decision in the data. */
const DECISIONS: Record<string, { type: string; decision: string }> = {
  'application.approved': { type: 'application.decided', decision: 'approved' },
  'application.rejected': { type: 'application.decided', decision: 'rejected' },
  'claim.approved': { type: 'claim.decided', decision: 'approved' },
  'claim.rejected': { type: 'claim.decided', decision: 'rejected' },
};

/** A domain event as the outbox stores it, before the sequencer numbers it. */
export interface EventDraft {
  type: string;
  entityType: string;
  entityId: string;
  regionCode: string | null;
  organizationId: string | null;
  counterpartyId: string | null;
  data: Record<string, unknown>;
}

/** Audited actions that are no domain events: security records and the machine clients' own configuration. */
const NOT_EVENTS = ['auth.', 'user.', 'webhook.', 'api_key.'];

/**
 * The domain event of an audited state change, or null for what is not a domain event (logins, sessions, user
 * accounts, webhooks and API keys are security and configuration records, not business facts a provincial system
 * follows). Every business state change is
 * audited in its transaction, so deriving the event from the audit draft gives every state change its event without
 * each use case having to remember it.
 */
export function eventOf(draft: AuditDraft): EventDraft | null {
  if (NOT_EVENTS.some((prefix) => draft.action.startsWith(prefix)) || draft.entityType === 'user') return null;
  const decided = DECISIONS[draft.action];
  return {
    type: decided?.type ?? draft.action,
    entityType: draft.entityType,
    entityId: draft.entityId,
    regionCode: draft.regionCode ?? null,
    organizationId: draft.organizationId ?? null,
    counterpartyId: draft.counterpartyId ?? null,
    data: {
      [`${draft.entityType}Id`]: draft.entityId,
      ...(decided ? { decision: decided.decision } : {}),
      ...(draft.regionCode ? { regionCode: draft.regionCode } : {}),
      ...(draft.organizationId ? { organizationId: draft.organizationId } : {}),
      ...(draft.counterpartyId ? { counterpartyId: draft.counterpartyId } : {}),
      ...draft.summary,
    },
  };
}

/** Whether a subscription's list of types takes an event of `type`. */
export const subscribes = (types: readonly string[], type: string): boolean => types.includes('*') || types.includes(type);
