import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey } from 'node:crypto';
import { clock } from '../common/clock';
import { auditConfig, AuditConfig } from '../config/configuration';
import { checkpointProblem, keyIdOf, signCheckpoint, VerifyingKey } from './audit-checkpoint';
import type { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import { AuditProblem, problem } from './audit-problems';

/** A key that verifies checkpoints, as GET /api/audit/public-key publishes it. */
export interface PublishedKey extends VerifyingKey {
  publicKeyPem: string;
}

/**
 * Holds the audit signing key (AUDIT_SIGNING_KEY): signs checkpoints of the chain and checks them. Checkpoints signed
 * before a rotation verify under the earlier keys' public halves (AUDIT_PREVIOUS_PUBLIC_KEYS, oldest first).
 */
@Injectable()
export class AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** The keys that verify checkpoints, oldest first: the earlier keys, then the signing key. */
  readonly keys: PublishedKey[];

  constructor(@Inject(auditConfig.KEY) private readonly config: AuditConfig) {
    this.keys = [...config.previousPublicKeys, createPublicKey(config.signingKey)].map((publicKey) => ({
      keyId: keyIdOf(publicKey),
      publicKey,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    }));
    ({ keyId: this.keyId, publicKeyPem: this.publicKeyPem } = this.keys.at(-1)!);
  }

  /** The keys the signing key replaced, oldest first. */
  get previousKeys(): PublishedKey[] {
    return this.keys.slice(0, -1);
  }

  /** A checkpoint of the chain at `entry`, signed now. */
  sign(entry: Pick<AuditEntry, 'seq' | 'hash' | 'hashAlg'>): AuditCheckpoint {
    const { seq, hash, hashAlg } = entry;
    return { seq, hash, hashAlg, signedAt: clock.iso(), signature: signCheckpoint(this.config.signingKey, seq, hash), keyId: this.keyId };
  }

  /**
   * What is wrong with a checkpoint of the entry, if anything: another hash, an unknown key, a signature that does not
   * verify, or — given the checkpoint before it — a key retired before that one's was in use: a key is rotated out
   * because it may have leaked, and whoever holds it must not sign for later entries.
   */
  problem(cp: AuditCheckpoint, entry: Pick<AuditEntry, 'seq' | 'hash' | 'hashAlg'>, before?: AuditCheckpoint): AuditProblem | undefined {
    const found = checkpointProblem(cp, entry, this.keys);
    if (found || !before) return found;
    if (this.rank(cp.keyId) < this.rank(before.keyId)) {
      return problem('retiredKey', { seq: cp.seq, keyId: cp.keyId, laterSeq: before.seq, laterKeyId: before.keyId });
    }
    return undefined;
  }

  /** The ids of the keys that replaced the key `keyId`, oldest first. */
  keysAfter(keyId: string): string[] {
    return this.keys.slice(this.rank(keyId) + 1).map((k) => k.keyId);
  }

  private rank(keyId: string): number {
    return this.keys.findIndex((k) => k.keyId === keyId);
  }
}
