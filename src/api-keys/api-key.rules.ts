import type { ApiKey } from './api-key.repository';

/** An API key's audit entry. */
export const apiKeyEntry = (k: ApiKey, action: string, summary: Record<string, unknown>) => ({
  action,
  entityType: 'api_key',
  entityId: k.id,
  regionCode: k.regionCode,
  organizationId: k.organizationId,
  summary,
});

/** The audit entry of a revoked key: by its owner's admin, or with its maker's account (`cause`). */
export const apiKeyRevoked = (k: ApiKey, cause?: 'user.sign_in_reset', webhooksEnded?: number) =>
  apiKeyEntry(k, 'api_key.revoked', {
    name: k.name,
    prefix: k.prefix,
    ...(webhooksEnded !== undefined ? { webhooksEnded } : {}),
    ...(cause ? { cause } : {}),
  });
