import type { CredentialEndCause } from '../webhooks/webhook.rules';
import type { ApiKey } from './api-key.repository';
import type { Withdrawn } from './first-approvals';

/** An API key's audit entry. */
export const apiKeyEntry = (k: ApiKey, action: string, summary: Record<string, unknown>) => ({
  action,
  entityType: 'api_key',
  entityId: k.id,
  regionCode: k.regionCode,
  organizationId: k.organizationId,
  summary,
});

/**
 * The audit entry of a revoked key: by its owner's admin (with the webhooks it ended), or with its maker's sign-in; with
 * the first approvals given through it that it withdrew (a bureau's key).
 */
export const apiKeyRevoked = (k: ApiKey, how: ({ webhooksEnded: number } | { cause: CredentialEndCause }) & Withdrawn) =>
  apiKeyEntry(k, 'api_key.revoked', { name: k.name, prefix: k.prefix, ...how });
