import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { fenTransformer } from '../common/persistence/transformers';
import { InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';

/** The chain's hash algorithms (AUDIT_HASH), recorded with each entry; both digests are 32 bytes, 64 hex characters. */
export const HASH_ALGS = ['sha256', 'sm3'] as const;
export type HashAlg = (typeof HASH_ALGS)[number];

/** What an audit entry says, waiting to be chained or chained. */
abstract class AuditRecord {
  @InstantColumn() at: string;
  @RefColumn({ nullable: true }) actorId: string | null;
  @StrColumn(16, { nullable: true }) actorRole: string | null;
  @StrColumn(48) action: string;
  @StrColumn(32) entityType: string;
  @RefColumn() entityId: string;
  @StrColumn(6, { nullable: true }) regionCode: string | null;
  @RefColumn({ nullable: true }) organizationId: string | null;
  /** JSON text, hashed exactly as stored. */
  @Column({ type: 'text' }) summary: string;
}

@Entity('audit_entry')
@Index(['entityType', 'entityId'])
@Index(['regionCode'])
@Index(['organizationId'])
// GET /api/audit's filters, each with the scope's region and the day (migration AuditFiltersIndexed)
@Index(['action', 'regionCode', 'at'])
@Index(['actorId', 'regionCode', 'at'])
@Index(['at', 'regionCode'])
export class AuditEntry extends AuditRecord {
  @PrimaryColumn({ type: 'bigint', transformer: fenTransformer })
  seq: number;
  @StrColumn(64) prevHash: string;
  @StrColumn(64) hash: string;
  /** The algorithm this entry was hashed with (AUDIT_HASH when it was sealed); rows from before SM3 are sha256. */
  @StrColumn(8, { default: 'sha256' }) hashAlg: HashAlg;
}

/** An entry written in its business transaction, waiting for the sealer to chain it into `audit_entry`. */
@Entity('audit_pending')
export class AuditPending extends AuditRecord {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
}

@Entity('audit_head')
export class AuditHead {
  @PrimaryColumn({ type: 'integer' }) id: number;
  @Column({ type: 'bigint', transformer: fenTransformer }) seq: number;
  @StrColumn(64) hash: string;
}

/**
 * The chain head at `seq` signed with the audit key (Ed25519), so a chain recomputed by someone who can write to the
 * database but lacks the key no longer matches. No foreign key to `audit_entry`: a checkpoint is evidence about the
 * entries, and one whose entry is gone must stay to say so.
 */
@Entity('audit_checkpoint')
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'bigint', transformer: fenTransformer })
  seq: number;
  @StrColumn(64) hash: string;
  @StrColumn(8) hashAlg: HashAlg;
  @InstantColumn() signedAt: string;
  /** base64 of the Ed25519 signature over `yrd-audit-checkpoint:${seq}:${hash}`. */
  @StrColumn(88) signature: string;
  /** The first 16 hex characters of SHA-256 over the public key's SPKI DER. */
  @StrColumn(16) keyId: string;
}
