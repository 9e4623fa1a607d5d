import { createHash } from 'node:crypto';
import type { AuditEntry } from './audit-entry.entity';

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

/** Where verification of a run of entries stopped: every entry up to `seq` links to the one before it. */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** Follows the chain over consecutive entries from `from`; returns the position reached and the first entry that breaks it, if any. */
export function followChain(from: ChainPosition, entries: (Hashed & { hash: string })[]): { reached: ChainPosition; broken?: number } {
  let { seq, hash } = from;
  for (const e of entries) {
    if (e.seq !== seq + 1 || e.prevHash !== hash || e.hash !== entryHash(e)) return { reached: { seq, hash }, broken: e.seq };
    seq = e.seq;
    hash = e.hash;
  }
  return { reached: { seq, hash } };
}
