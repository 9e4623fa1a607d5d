import { Entity, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn } from '../common/database/columns';

/** A region's budget for a year: total = available + committed, kept equal to the ledger. */
@Entity('budget')
export class Budget {
  @PrimaryColumn({ type: 'varchar', length: 6 }) regionCode: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @FenColumn() totalFen: number;
  @FenColumn() availableFen: number;
  @FenColumn() committedFen: number;
  @InstantColumn() updatedAt: string;
}

/** What an enterprise (or a controller group) was granted in a region and year, for the annual caps. */
@Entity('annual_grant')
export class AnnualGrant {
  @PrimaryColumn({ type: 'varchar', length: 6 }) regionCode: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @PrimaryColumn({ type: 'varchar', length: 60 }) subject: string;
  @FenColumn() grantedFen: number;
}
