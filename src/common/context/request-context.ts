import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';

export const ROLES = ['enterprise', 'provider', 'bureau', 'platform'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the verified access token says. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  organizationId: string | null;
  regionCode: string | null;
}

export interface IdempotencyClaim {
  callerId: string;
  key: string;
  route: string;
  requestHash: string;
}

export interface AuditDraft {
  action: string;
  entityType: string;
  entityId: string;
  regionCode?: string | null;
  organizationId?: string | null;
  summary: Record<string, unknown>;
}

/** Per-request (and per-transaction) state carried through async calls. */
export interface ContextStore {
  actor?: Actor;
  idempotency?: IdempotencyClaim;
  /** Set inside TransactionService.run: nested calls join this transaction. */
  em?: EntityManager;
  /** Audit entries of the current transaction, appended to the chain just before commit. */
  audit?: AuditDraft[];
}

export const requestContext = new AsyncLocalStorage<ContextStore>();
