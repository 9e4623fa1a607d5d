import { createHash, KeyObject, sign, verify } from 'node:crypto';
import type { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import { AuditProblem, problem } from './audit-problems';

/** The chain head is signed at least every this many entries … */
export const CHECKPOINT_EVERY_ENTRIES = 1_000;
/** … and, while it moves, at least this often. */
export const CHECKPOINT_EVERY_MS = 10 * 60_000;

/** The text a checkpoint's signature covers, as UTF-8 bytes (API.md, "Audit integrity"). */
export const checkpointMessage = (seq: number, hash: string): string => `yrd-audit-checkpoint:${seq}:${hash}`;

/** A public key's id: the first 16 hex characters of SHA-256 over its SPKI DER. */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

/** base64 of the Ed25519 signature of the checkpoint message. */
export const signCheckpoint = (privateKey: KeyObject, seq: number, hash: string): string =>
  sign(null, Buffer.from(checkpointMessage(seq, hash), 'utf8'), privateKey).toString('base64');

export const checkpointSignatureValid = (publicKey: KeyObject, cp: Pick<AuditCheckpoint, 'seq' | 'hash' | 'signature'>): boolean =>
  verify(null, Buffer.from(checkpointMessage(cp.seq, cp.hash), 'utf8'), publicKey, Buffer.from(cp.signature, 'base64'));

/** The newest checkpoint, as far as deciding the next one goes. */
export type CheckpointMark = Pick<AuditCheckpoint, 'seq' | 'signedAt'>;

/** By time: the head moved past the newest checkpoint, and that one is 10 minutes old (or there is none yet). */
export const dueByTime = (last: CheckpointMark | undefined, headSeq: number, now: string): boolean =>
  headSeq > (last?.seq ?? 0) && (!last || Date.parse(now) - Date.parse(last.signedAt) >= CHECKPOINT_EVERY_MS);

/**
 * The seqs to sign among entries just chained (consecutive, after the newest checkpoint `last`): each one that is
 * 1,000 past the checkpoint before it, so checkpoints are never more than 1,000 apart, and the new head when one is
 * due by time.
 */
export function seqsToSign(last: CheckpointMark | undefined, chained: number[], now: string): number[] {
  const seqs: number[] = [];
  let mark = last;
  for (const seq of chained) {
    if (seq - (mark?.seq ?? 0) >= CHECKPOINT_EVERY_ENTRIES) {
      seqs.push(seq);
      mark = { seq, signedAt: now };
    }
  }
  const head = chained.at(-1);
  if (head !== undefined && dueByTime(mark, head, now)) seqs.push(head);
  return seqs;
}

/** A key that verifies checkpoints: the signing key's public half, or one of a key it replaced. */
export interface VerifyingKey {
  keyId: string;
  publicKey: KeyObject;
}

/**
 * What is wrong with a checkpoint, given the entry at its seq and the keys that verify checkpoints (the audit key last);
 * nothing when it holds.
 */
export function checkpointProblem(
  cp: AuditCheckpoint,
  entry: Pick<AuditEntry, 'seq' | 'hash' | 'hashAlg'>,
  keys: VerifyingKey[],
): AuditProblem | undefined {
  if (cp.hash !== entry.hash || cp.hashAlg !== entry.hashAlg) {
    return problem('checkpointHashDiffers', {
      seq: cp.seq,
      signedAlg: cp.hashAlg,
      signedHash: cp.hash,
      entryAlg: entry.hashAlg,
      entryHash: entry.hash,
    });
  }
  const key = keys.find((k) => k.keyId === cp.keyId);
  if (!key) return problem('unknownKey', { seq: cp.seq, keyId: cp.keyId, auditKeyId: keys.at(-1)!.keyId });
  if (!checkpointSignatureValid(key.publicKey, cp)) return problem('signatureInvalid', { seq: cp.seq, keyId: key.keyId });
  return undefined;
}
