import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { fenTransformer } from '../common/persistence/transformers';
import { InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';

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
export class AuditEntry extends AuditRecord {
  @PrimaryColumn({ type: 'bigint', transformer: fenTransformer })
  seq: number;
  @StrColumn(64) prevHash: string;
  @StrColumn(64) hash: string;
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
