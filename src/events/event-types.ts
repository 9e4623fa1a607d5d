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

/**
 * Further state changes that are published under their audit action's name. Every type the service emits is in one
 * of the two lists, so that a subscription can name it (test/unit/event-types.spec.ts reads every audit action the
 * source records and checks it).
 */
const OTHER_EVENT_TYPES = [
  'application.submitted',
  'application.first_approval',
  'application.first_approval_withdrawn',
  'claim.first_approval',
  'claim.first_approval_withdrawn',
  'booking.used',
  'booking.no_show',
  'booking.expired',
  'budget.set',
  'clearing_run.recorded',
  'clearing_run.voided',
  'clearing_run.proposed',
  'clearing_run.confirmed',
  'clearing_run.discarded',
  'settlement.voided',
  'enterprise.verified',
  'enterprise.declined',
  'enterprise.certificate_corrected',
  'facility.created',
  'facility.updated',
  'facility.retired',
  'facility.rated',
  'facility.calendar_set',
  'facility.qualified',
  'organization.registered',
  'organization.profile_updated',
  'organization.bank_account_change_requested',
  'organization.bank_account_change_confirmed',
  'organization.bank_account_change_rejected',
  'policy.published',
  'policy.withdrawn',
  'provider.activated',
  'provider.suspended',
  'qualified_list.imported',
  'relation.recorded',
  'redemption.usage_confirmed',
  'redemption.usage_disputed',
  'redemption.dispute_resolved',
  'redemption.reduced',
  'redemption.annulled',
] as const;

export const EVENT_TYPES: readonly string[] = [...CONTRACT_EVENT_TYPES, ...OTHER_EVENT_TYPES];

/** Audit actions published under the contract's name for the decision, with the decision in the data. */
const DECISIONS: Record<string, { type: string; decision: string }> = {
  'application.approved': { type: 'application.decided', decision: 'approved' },
  'application.rejected': { type: 'application.decided', decision: 'rejected' },
  'claim.approved': { type: 'claim.decided', decision: 'approved' },
  'claim.rejected': { type: 'claim.decided', decision: 'rejected' },
};

/** The type an audit action is published under: its own name, or the contract's name of a decision. */
export const eventTypeOf = (action: string): string => DECISIONS[action]?.type ?? action;

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

/**
 * Audited actions that are no domain events: security records and the machine clients' and people's own configuration
 * (webhooks, API keys, calendar feeds).
 */
export const NOT_EVENTS = ['auth.', 'user.', 'webhook.', 'api_key.', 'calendar.'];

/**
 * Types every bureau reads and receives wherever they were recorded (besides the organization concerned, and the
 * platform, which reads everything): the credit sanctions and the related parties a bureau found bind in every province,
 * and a lab serves every province's vouchers, so its admission (again, after a suspension), activation and suspension
 * start and stop every province's claims and payments to it.
 */
export const EVERY_BUREAU_TYPES: readonly string[] = [
  'sanction.recorded',
  'sanction.lifted',
  'relation.recorded',
  'provider.admitted',
  'provider.activated',
  'provider.suspended',
];

/**
 * Summary fields naming a person (a bureau's first approver, a provider's user, who prepared a voided batch, who proposed
 * a clearing run) or their credential (the API key or session a first approval was given through): the audit log keeps
 * them for accountability; an event carries them to no one, least of all to the enterprise or claimant concerned.
 */
const PERSONAL_FIELDS = [
  'firstApprovedBy',
  'firstApprovedKey',
  'firstApprovedSession',
  'recordedBy',
  'resolvedBy',
  'createdBy',
  'proposedBy',
];

/**
 * The domain events of an audited state change, none for what is not a domain event (logins, sessions, user
 * accounts, webhooks and API keys are security and configuration records, not business facts a provincial system
 * follows). Every business state change is audited in its transaction, so deriving the events from the audit draft
 * gives every state change its events without each use case having to remember them.
 *
 * One event goes to the draft's region and parties with its summary; the draft's `recipients` each get an event of their
 * own with their own data only: a settlement's payees with no region, so that a bureau reads the change once, and a
 * clearing run's provinces (the run itself has no region) with the region of their bureau. A recipient that cannot read
 * the record (a payee with no line in the batch) gets data without its id: the event does not point at a 404.
 */
export function eventsOf(draft: AuditDraft): EventDraft[] {
  if (NOT_EVENTS.some((prefix) => draft.action.startsWith(prefix)) || draft.entityType === 'user') return [];
  const decided = DECISIONS[draft.action];
  const event = (
    regionCode: string | null,
    organizationId: string | null,
    counterpartyId: string | null,
    summary: Record<string, unknown>,
    named = true,
  ): EventDraft => {
    const data: Record<string, unknown> = {
      ...(named ? { [idField(draft.entityType)]: draft.entityId } : {}),
      ...(decided ? { decision: decided.decision } : {}),
      ...(regionCode ? { regionCode } : {}),
      ...(organizationId ? { organizationId } : {}),
      ...(counterpartyId ? { counterpartyId } : {}),
      ...summary,
    };
    for (const field of PERSONAL_FIELDS) delete data[field];
    return {
      type: eventTypeOf(draft.action),
      entityType: draft.entityType,
      entityId: draft.entityId,
      regionCode,
      organizationId,
      counterpartyId,
      data,
    };
  };
  return [
    event(draft.regionCode ?? null, draft.organizationId ?? null, draft.counterpartyId ?? null, draft.summary),
    ...(draft.recipients ?? []).map((r) =>
      'regionCode' in r ? event(r.regionCode, null, null, r.summary) : event(null, r.organizationId, null, r.summary, !r.unreadable),
    ),
  ];
}

/** The data's field naming an event's record, in the camelCase of every other field: voucher_application → voucherApplicationId. */
const idField = (entityType: string): string => `${entityType.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}Id`;

/** Whether a subscription's list of types takes an event of `type`. */
export const subscribes = (types: readonly string[], type: string): boolean => types.includes('*') || types.includes(type);
