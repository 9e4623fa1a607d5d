import { AsyncLocalStorage } from 'node:async_hooks';

export const ROLES = ['enterprise', 'provider', 'bureau', 'platform'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the verified access token says. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  organizationId: string | null;
  regionCode: string | null;
  /** The session the access token belongs to. */
  sessionId: string;
  /** Manages the users of its organization or bureau region. */
  admin: boolean;
  mfaEnabled: boolean;
  /** Set when the caller is an API key (machine client) rather than a person's session; `createdBy` made it. */
  apiKey?: { id: string; readOnly: boolean; createdBy: string };
}

/**
 * The person accountable for what the actor does: a user, or whoever made the API key it calls with. Maker-checker
 * (双人复核) compares persons, so that a key cannot be the second pair of eyes of the user who made it.
 */
export const personOf = (actor: Actor): string => actor.apiKey?.createdBy ?? actor.userId;

export interface AuditDraft {
  action: string;
  entityType: string;
  entityId: string;
  regionCode?: string | null;
  organizationId?: string | null;
  /** The other organization party to the change (a redemption's provider), which sees its domain event too. */
  counterpartyId?: string | null;
  summary: Record<string, unknown>;
  /**
   * Organizations, or regions' bureaus, that each receive the change's domain event with data of their own in place of
   * `summary` (a settlement's payees, each with only its own line; a clearing run's provinces, each with its own
   * position); the audit entry keeps `summary` alone. `unreadable`: the organization cannot read the record (a payee
   * left out of a batch, or whose line left it at payment), so its event does not name it (no `settlementId`).
   */
  recipients?: (
    | { organizationId: string; summary: Record<string, unknown>; unreadable?: true }
    | { regionCode: string; summary: Record<string, unknown> }
  )[];
}

/**
 * Per-request state carried through async calls: the request (for every log line written while serving it) and who
 * is calling (for audit entries and idempotency scope).
 */
export interface ContextStore {
  request?: { id: string; method: string; path: string };
  actor?: Actor;
}

export const requestContext = new AsyncLocalStorage<ContextStore>();
