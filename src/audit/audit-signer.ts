import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import { clock } from '../common/clock';
import { auditConfig, AuditConfig } from '../config/configuration';
import { checkpointProblem, keyIdOf, signCheckpoint } from './audit-checkpoint';
import type { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import type { AuditProblem } from './audit-problems';

/** Holds the audit signing key (AUDIT_SIGNING_KEY): signs checkpoints of the chain and checks them. */
@Injectable()
export class AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  private readonly publicKey: KeyObject;

  constructor(@Inject(auditConfig.KEY) private readonly config: AuditConfig) {
    this.publicKey = createPublicKey(config.signingKey);
    this.keyId = keyIdOf(this.publicKey);
    this.publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  /** A checkpoint of the chain at `entry`, signed now. */
  sign(entry: Pick<AuditEntry, 'seq' | 'hash' | 'hashAlg'>): AuditCheckpoint {
    const { seq, hash, hashAlg } = entry;
    return { seq, hash, hashAlg, signedAt: clock.iso(), signature: signCheckpoint(this.config.signingKey, seq, hash), keyId: this.keyId };
  }

  /** What is wrong with a checkpoint of the entry, if anything: another hash, another key, a signature that does not verify. */
  problem(cp: AuditCheckpoint, entry: Pick<AuditEntry, 'seq' | 'hash' | 'hashAlg'>): AuditProblem | undefined {
    return checkpointProblem(cp, entry, { keyId: this.keyId, publicKey: this.publicKey });
  }
}
