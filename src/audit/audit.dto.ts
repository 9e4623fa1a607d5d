import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { HASH_ALGS } from './audit-entry.entity';
import { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import { PageQuery } from '../common/http/paging';
import { IsCalendarDate, IsOmittable } from '../common/http/validators';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'sanction' }) @IsOmittable() @IsString() @Length(1, 32) entityType?: string;
  @ApiPropertyOptional() @IsOmittable() @IsString() @Length(1, 36) entityId?: string;
  @ApiPropertyOptional({ example: 'auth.login', description: 'one action only' }) @IsOmittable() @IsString() @Length(1, 48) action?: string;
  @ApiPropertyOptional({ description: 'entries of one user (their id), as actor' })
  @IsOmittable()
  @IsString()
  @Length(1, 36)
  actorId?: string;
  @ApiPropertyOptional({ example: '2026-12-01', description: 'entries written on or after this day (Asia/Shanghai)' })
  @IsOmittable()
  @IsCalendarDate()
  from?: string;
  @ApiPropertyOptional({ example: '2026-12-31', description: 'entries written on or before this day (Asia/Shanghai)' })
  @IsOmittable()
  @IsCalendarDate()
  to?: string;
}

/** The stored summary is JSON text; an edited row may hold anything, and reading it must not fail. */
const parseSummary = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export class AuditEntryView {
  @ApiPropertyOptional({
    example: 42,
    description:
      'the entry’s place in the whole chain; for the platform and bureaus only (an organization would read from the gaps between its entries how much everyone else did)',
  })
  seq?: number;
  @ApiProperty() at: string;
  @ApiProperty({ type: String, nullable: true }) actorId: string | null;
  @ApiProperty({ nullable: true, enum: ['enterprise', 'provider', 'bureau', 'platform'] }) actorRole: string | null;
  @ApiProperty({ example: 'sanction.recorded' }) action: string;
  @ApiProperty({ example: 'sanction' }) entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ type: String, nullable: true, example: '340100' }) regionCode: string | null;
  @ApiProperty({ type: String, nullable: true }) organizationId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) summary: unknown;
  @ApiProperty({ description: 'hashAlg over the fields and prevHash' }) hash: string;
  @ApiPropertyOptional({
    description: 'the hash of the entry before it in the chain; for the platform and bureaus only (with it, seq could be found from hash)',
  })
  prevHash?: string;
  @ApiProperty({ enum: HASH_ALGS, description: 'the hash algorithm of this entry (AUDIT_HASH when it was chained)' }) hashAlg: string;

  /** `chain`: with the entry's place in the chain (seq, prevHash), for those who read the chain's checkpoints. */
  static of(e: AuditEntry, chain: boolean): AuditEntryView {
    const { seq, at, actorId, actorRole, action, entityType, entityId, regionCode, organizationId, summary, hash, prevHash, hashAlg } = e;
    return {
      ...(chain ? { seq } : {}),
      at,
      actorId,
      actorRole,
      action,
      entityType,
      entityId,
      regionCode,
      organizationId,
      summary: parseSummary(summary),
      hash,
      ...(chain ? { prevHash } : {}),
      hashAlg,
    };
  }
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty() total: number;
}

export class VerifyQuery {
  @ApiPropertyOptional({
    enum: ['genesis', 'checkpoint'],
    default: 'genesis',
    example: 'checkpoint',
    description:
      '`genesis`: recompute the whole chain and check every checkpoint. `checkpoint`: check the newest checkpoint’s signature, then recompute the chain from its entry to the head (at most about 1,000 entries, whatever the log’s size).',
  })
  @IsOmittable()
  @IsIn(['genesis', 'checkpoint'])
  from?: 'genesis' | 'checkpoint';
}

/** The checkpoint a verification started from. */
export class VerifiedFrom {
  @ApiProperty({ example: 5_000_000 }) seq: number;
  @ApiProperty() hash: string;
  @ApiProperty() signedAt: string;
  @ApiProperty({ example: '3f1c0a9b7d2e4f60' }) keyId: string;
}

export class ChainVerification {
  @ApiProperty() valid: boolean;
  @ApiProperty({
    description: 'entries verified intact (all of them when valid); when a checkpoint fails, those up to the last checkpoint that held',
  })
  entries: number;
  @ApiPropertyOptional({
    description: 'seq of the first entry that breaks the chain or that no valid checkpoint vouches for',
    example: '1042',
  })
  firstBrokenId?: string;
  @ApiPropertyOptional({
    description: 'why the chain is not valid, naming the entry or checkpoint where it breaks, in the caller’s language (Accept-Language)',
    example: 'checkpoint 2000 signed the sha256 hash 9f…, but entry 2000 has the sha256 hash 4c…',
  })
  reason?: string;
  @ApiPropertyOptional({
    type: VerifiedFrom,
    description: 'with `from=checkpoint`: the newest signed checkpoint, whose signature vouches for the entries up to it',
  })
  fromCheckpoint?: VerifiedFrom;
}

export class CheckpointView {
  @ApiProperty({ example: 2000, description: 'the entry whose hash is signed: the chain head when it was signed' }) seq: number;
  @ApiProperty() hash: string;
  @ApiProperty({ enum: HASH_ALGS }) hashAlg: string;
  @ApiProperty() signedAt: string;
  @ApiProperty({ description: 'base64 of the Ed25519 signature over the UTF-8 bytes of `yrd-audit-checkpoint:${seq}:${hash}`' })
  signature: string;
  @ApiProperty({ example: '3f1c0a9b7d2e4f60', description: 'first 16 hex characters of SHA-256 over the signing key’s SPKI DER' })
  keyId: string;

  static of({ seq, hash, hashAlg, signedAt, signature, keyId }: AuditCheckpoint): CheckpointView {
    return { seq, hash, hashAlg, signedAt, signature, keyId };
  }
}

export class CheckpointPage {
  @ApiProperty({ type: [CheckpointView] }) items: CheckpointView[];
  @ApiProperty() total: number;
}

export class AuditKeyView {
  @ApiProperty({ example: '3f1c0a9b7d2e4f60', description: 'first 16 hex characters of SHA-256 over the key’s SPKI DER' }) keyId: string;
  @ApiProperty({ description: 'the Ed25519 public key, SPKI PEM', example: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n' })
  publicKeyPem: string;
}

export class AuditPublicKey extends AuditKeyView {
  @ApiPropertyOptional({
    type: [AuditKeyView],
    description:
      'after a rotation of the signing key: the keys it replaced (AUDIT_PREVIOUS_PUBLIC_KEYS), oldest first, which verify the checkpoints signed before it (each checkpoint names its `keyId`)',
  })
  previousKeys?: AuditKeyView[];
}
