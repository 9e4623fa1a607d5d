import type { Connection } from 'mysql2/promise';
import type { KeyObject } from 'node:crypto';
import { chainEntries } from '../../src/audit/audit-chain';
import { seqsToSign, signCheckpoint } from '../../src/audit/audit-checkpoint';
import type { AuditPending } from '../../src/audit/audit-entry.entity';

export type BulkInsert = (table: string, columns: string[], rows: unknown[][]) => Promise<void>;

const ENTRY_COLUMNS = [
  'seq',
  'prev_hash',
  'hash',
  'hash_alg',
  'at',
  'actor_id',
  'actor_role',
  'action',
  'entity_type',
  'entity_id',
  'region_code',
  'organization_id',
  'summary',
];

/**
 * Seals `pending` audit entries the way the service's sealer does, for the benchmark's bulk writers: under the head's
 * row lock, chained with the service's `chainEntries`, checkpoints signed with its `signCheckpoint` where its rule
 * `seqsToSign` asks for them, the head moved to the last entry, in one transaction.
 */
export async function sealAuditBatch(
  conn: Connection,
  pending: AuditPending[],
  key: { privateKey: KeyObject; keyId: string },
  insert: BulkInsert,
): Promise<void> {
  if (pending.length === 0) return;
  await conn.beginTransaction();
  const [[head]] = (await conn.query('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE')) as unknown as [
    { seq: string; hash: string }[],
  ];
  const [[last]] = (await conn.query('SELECT seq, signed_at AS signedAt FROM audit_checkpoint ORDER BY seq DESC LIMIT 1')) as unknown as [
    { seq: string; signedAt: string }[],
  ];
  const entries = chainEntries({ seq: Number(head.seq), hash: head.hash }, pending, 'sha256');
  const signedAt = new Date().toISOString();
  const mark = last ? { seq: Number(last.seq), signedAt: last.signedAt } : undefined;
  const seqs = new Set(
    seqsToSign(
      mark,
      entries.map((e) => e.seq),
      signedAt,
    ),
  );
  await insert(
    'audit_entry',
    ENTRY_COLUMNS,
    entries.map((e) => [
      e.seq,
      e.prevHash,
      e.hash,
      e.hashAlg,
      e.at,
      e.actorId,
      e.actorRole,
      e.action,
      e.entityType,
      e.entityId,
      e.regionCode,
      e.organizationId,
      e.summary,
    ]),
  );
  await insert(
    'audit_checkpoint',
    ['seq', 'hash', 'hash_alg', 'signed_at', 'signature', 'key_id'],
    entries
      .filter((e) => seqs.has(e.seq))
      .map((e) => [e.seq, e.hash, e.hashAlg, signedAt, signCheckpoint(key.privateKey, e.seq, e.hash), key.keyId]),
  );
  const tail = entries[entries.length - 1];
  await conn.query('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [tail.seq, tail.hash]);
  await conn.commit();
}
