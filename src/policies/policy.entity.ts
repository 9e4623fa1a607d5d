import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, InstantColumn, IntColumn, JsonColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import type { PolicyTerms } from './policy.types';

/** One immutable policy version of a region. */
@Entity('policy')
@Index(['regionCode', 'version'], { unique: true })
@Index(['regionCode', 'effectiveFrom'])
export class Policy {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(6) regionCode: string;
  @IntColumn() version: number;
  @DateColumn() effectiveFrom: string;
  @JsonColumn() terms: PolicyTerms;
  @RefColumn() createdBy: string;
  @InstantColumn() createdAt: string;
  /** A version withdrawn before it took effect is never in force. */
  @StrColumn(16, { default: 'published' }) status: 'published' | 'withdrawn';
  @InstantColumn({ nullable: true }) withdrawnAt: string | null;
}
