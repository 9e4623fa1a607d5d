import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { clock } from '../clock';
import type { IdempotencyClaim } from '../context/request-context';
import { InstantColumn, IntColumn, RefColumn, StrColumn } from '../database/columns';
import { newId } from '../ids';

@Entity('idempotency_record')
@Index(['callerId', 'idemKey'], { unique: true })
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

/** The row recording a claim: without a response while its request runs, with the first response after. */
export const idempotencyRecord = (
  claim: IdempotencyClaim,
  response: { status: number; body: string } | null = null,
): IdempotencyRecord => ({
  id: newId(),
  callerId: claim.callerId,
  idemKey: claim.key,
  route: claim.route,
  requestHash: claim.requestHash,
  responseStatus: response?.status ?? null,
  responseBody: response?.body ?? null,
  createdAt: clock.iso(),
});
