import { catalogued } from '../common/errors/domain-error';
import type { ApiKeyRepository } from './api-key.repository';

/**
 * Inside a unit of work: refuses (401) a caller disabled, reset or revoked while its request ran — the guard checked it
 * on arrival only — read under shared locks (ApiKeyRepository.stillActs), so that the change comes wholly before or
 * after what the unit does.
 */
export async function assertStillActs(keys: ApiKeyRepository, actor: Parameters<ApiKeyRepository['stillActs']>[0]): Promise<void> {
  if (!(await keys.stillActs(actor))) throw catalogued('UNAUTHENTICATED', 'auth.sessionEnded');
}
