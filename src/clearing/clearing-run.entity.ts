import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';

/**
 * A clearing computed and recorded by the platform: the period it took in, what it found, and the SHA-256 of its CSV.
 * Written once, its figures never changed (the repository has no delete); only voiding stamps it, once. It clears the
 * lines paid in its period that no earlier run took in (settlement_line.clearing_run_id), so a later payment in the
 * same period makes a later run, not a different one, and no line is owed twice: a voided run gives its lines back to
 * the next run and keeps only their ids (clearing_run_voided_line).
 */
@Entity('clearing_run')
@Index(['createdAt'])
@Index(['runNo'], { unique: true })
export class ClearingRun {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  /**
   * The readable number the treasuries quote: QS-2026-0003 is the third run recorded in 2026 (Beijing year). Runs
   * recorded before numbers existed were numbered by migration ClearingRunNumbers in the order they were recorded.
   */
  @StrColumn(32, { default: '' }) runNo: string;
  @DateColumn() fromDate: string;
  @DateColumn() toDate: string;
  /** Σ gross flows: what crossed provincial borders in the period. */
  @FenColumn() grossTotalFen: number;
  /** Σ transfers: what actually moves between treasuries after netting. */
  @FenColumn() transferTotalFen: number;
  @StrColumn(64) csvSha256: string;
  @RefColumn() createdBy: string;
  @InstantColumn() createdAt: string;
  /**
   * Voided by a second person (not `createdBy`), with a reason: the run keeps its figures and hash, its lines went back
   * to be cleared again (clearing_run_voided_line keeps which they were). Set once, from NULL.
   */
  @InstantColumn({ nullable: true }) voidedAt: string | null;
  @RefColumn({ nullable: true }) voidedBy: string | null;
  @StrColumn(500, { nullable: true }) voidReason: string | null;
}

export const CLEARING_ENTRY_KINDS = ['gross', 'net', 'transfer'] as const;
export type ClearingEntryKind = (typeof CLEARING_ENTRY_KINDS)[number];

/**
 * One figure of a run, in the order the clearing gave it: a gross flow or a transfer (from → to), or a net position
 * (provinceCode, negative when the province pays).
 */
@Entity('clearing_run_entry')
@Index(['runId', 'seq'], { unique: true })
export class ClearingRunEntry {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => ClearingRun, { name: 'fk_clearing_run_entry_run' }) runId: string;
  @IntColumn() seq: number;
  @StrColumn(8) kind: ClearingEntryKind;
  @StrColumn(6, { nullable: true }) fromProvinceCode: string | null;
  @StrColumn(6, { nullable: true }) toProvinceCode: string | null;
  @StrColumn(6, { nullable: true }) provinceCode: string | null;
  @FenColumn() amountFen: number;
}

export const PROPOSAL_STATUSES = ['proposed', 'confirmed', 'discarded'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/**
 * A clearing run proposed by one platform person (CLEARING_TWO_PERSON=true), recorded only when a second person
 * confirms it (双人复核). It takes in no line and has no number: confirming records the run under the proposal's id, as
 * POST records one in a single step. `linesSha256` fixes which lines the proposer saw, so a confirmation of figures that
 * changed meanwhile is refused rather than recorded unseen. Its status moves once, from proposed, by a guarded update.
 */
@Entity('clearing_run_proposal')
@Index(['status', 'proposedAt'])
export class ClearingRunProposal {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @DateColumn() fromDate: string;
  @DateColumn() toDate: string;
  @Column({ type: 'boolean' }) catchUp: boolean;
  @FenColumn() grossTotalFen: number;
  @FenColumn() transferTotalFen: number;
  @IntColumn() lineCount: number;
  /** SHA-256 (hex) of the ids of the lines the run would take in, sorted. */
  @StrColumn(64) linesSha256: string;
  @RefColumn() proposedBy: string;
  @InstantColumn() proposedAt: string;
  @StrColumn(12) status: ProposalStatus;
  /** Who confirmed it (never the proposer) or discarded it, and when. */
  @RefColumn({ nullable: true }) decidedBy: string | null;
  @InstantColumn({ nullable: true }) decidedAt: string | null;
  @StrColumn(500, { nullable: true }) discardReason: string | null;
}
