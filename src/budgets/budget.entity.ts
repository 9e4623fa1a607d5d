import { Check, Entity, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn } from '../common/persistence/columns';

/** A region's budget for a year: total = available + committed, kept equal to the ledger. */
@Entity('budget')
@Check('chk_budget_balances', 'total_fen >= 0 AND available_fen >= 0 AND committed_fen >= 0 AND total_fen = available_fen + committed_fen')
export class Budget {
  @PrimaryColumn({ type: 'varchar', length: 6 }) regionCode: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @FenColumn() totalFen: number;
  @FenColumn() availableFen: number;
  @FenColumn() committedFen: number;
  @InstantColumn() updatedAt: string;
}
