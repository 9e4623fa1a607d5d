import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { clock } from '../common/clock';
import type { Actor, AuditDraft } from '../common/context/request-context';
import { AuditEntry, AuditHead } from './audit-entry.entity';

export const GENESIS_HASH = '0'.repeat(64);

type Hashed = Pick<AuditEntry, 'seq' | 'prevHash' | 'at' | 'actorId' | 'actorRole' | 'action' | 'entityType' | 'entityId' | 'regionCode' | 'organizationId' | 'summary'>;

/** The hash covers every field and the previous hash, so editing or removing any entry breaks the chain. */
export function entryHash(e: Hashed): string {
  const fields = [e.seq, e.prevHash, e.at, e.actorId, e.actorRole, e.action, e.entityType, e.entityId, e.regionCode, e.organizationId, e.summary];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * Appends a transaction's audit entries to the single hash chain. The head row is locked (MariaDB)
 * or the transaction is already exclusive (SQLite), so concurrent appends queue up: no forks, no gaps.
 * Called last in a transaction to keep that lock short.
 */
export async function appendToChain(em: EntityManager, drafts: AuditDraft[], actor: Actor | undefined, exclusive: boolean): Promise<void> {
  if (drafts.length === 0) return;
  const query = em.getRepository(AuditHead).createQueryBuilder('h').where('h.id = 1');
  if (!exclusive) query.setLock('pessimistic_write');
  const head = await query.getOneOrFail();
  let { seq, hash } = head;
  const at = clock.iso();
  const entries = drafts.map((d) => {
    const entry: AuditEntry = {
      seq: ++seq,
      prevHash: hash,
      at,
      actorId: actor?.userId ?? null,
      actorRole: actor?.role ?? null,
      action: d.action,
      entityType: d.entityType,
      entityId: d.entityId,
      regionCode: d.regionCode ?? null,
      organizationId: d.organizationId ?? null,
      summary: JSON.stringify(d.summary),
      hash: '',
    };
    entry.hash = hash = entryHash(entry);
    return entry;
  });
  await em.getRepository(AuditEntry).insert(entries);
  await em.getRepository(AuditHead).update({ id: 1 }, { seq, hash });
}
