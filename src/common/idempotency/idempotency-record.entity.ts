import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, IntColumn, RefColumn, StrColumn } from '../persistence/columns';

/** A caller's Idempotency-Key: the request it was first used with and, once that committed, its response. */
@Entity('idempotency_record')
@Index(['callerId', 'idemKey'], { unique: true })
@Index(['createdAt'])
export class IdempotencyRecord {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() callerId: string;
  @StrColumn(128) idemKey: string;
  @StrColumn(200) route: string;
  @StrColumn(64) requestHash: string;
  @IntColumn({ nullable: true }) responseStatus: number | null;
  /** The first response's JSON, replayed verbatim. */
  @Column({ type: 'text', nullable: true }) responseBody: string | null;
  @InstantColumn() createdAt: string;
}
