import { createHash } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { clock } from '../common/clock';
import type { Actor, AuditDraft } from '../common/context/request-context';
import { insertRows, lockRow } from '../common/database/statements';
import { newId } from '../common/ids';
import { AuditEntry, AuditHead, AuditPending } from './audit-entry.entity';

export const GENESIS_HASH = '0'.repeat(64);

type Hashed = Pick<
  AuditEntry,
  'seq' | 'prevHash' | 'at' | 'actorId' | 'actorRole' | 'action' | 'entityType' | 'entityId' | 'regionCode' | 'organizationId' | 'summary'
>;

/** The hash covers every field and the previous hash, so editing or removing any entry breaks the chain. */
export function entryHash(e: Hashed): string {
  const fields = [
    e.seq,
    e.prevHash,
    e.at,
    e.actorId,
    e.actorRole,
    e.action,
    e.entityType,
    e.entityId,
    e.regionCode,
    e.organizationId,
    e.summary,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * Writes a transaction's audit entries as pending, in that transaction: they exist exactly when its
 * changes do. One insert and no shared row, so concurrent transactions do not queue here.
 */
export async function recordPending(em: EntityManager, drafts: AuditDraft[], actor: Actor | undefined): Promise<void> {
  if (drafts.length === 0) return;
  const at = clock.iso();
  await insertRows(
    em,
    AuditPending,
    drafts.map((d) => ({
      id: newId(), // time-ordered: the sealer chains entries roughly in the order they were written
      at,
      actorId: actor?.userId ?? null,
      actorRole: actor?.role ?? null,
      action: d.action,
      entityType: d.entityType,
      entityId: d.entityId,
      regionCode: d.regionCode ?? null,
      organizationId: d.organizationId ?? null,
      summary: JSON.stringify(d.summary),
    })),
  );
}

/**
 * Chains up to `limit` committed pending entries onto the single hash chain and returns how many. The head
 * row is locked (MariaDB) or the transaction is already exclusive (SQLite), so sealers on any number of
 * API nodes queue up: no forks, no gaps, no entry sealed twice.
 */
export async function sealPending(em: EntityManager, limit: number): Promise<number> {
  const head = (await lockRow(em, AuditHead, { id: 1 }))!;
  const pending = await em.getRepository(AuditPending).find({ order: { id: 'ASC' }, take: limit });
  if (pending.length === 0) return 0;
  let { seq, hash } = head;
  const entries = pending.map(({ id: _id, ...p }) => {
    const entry: AuditEntry = { ...p, seq: ++seq, prevHash: hash, hash: '' };
    entry.hash = hash = entryHash(entry);
    return entry;
  });
  await insertRows(em, AuditEntry, entries);
  await em.getRepository(AuditPending).delete({ id: In(pending.map((p) => p.id)) });
  await em.getRepository(AuditHead).update({ id: 1 }, { seq, hash });
  return entries.length;
}
