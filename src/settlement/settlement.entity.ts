import { Check, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { DateColumn, FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';

export const SETTLEMENT_STATUSES = ['open', 'paid', 'voided'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

/** A batch of one issuing region's approved claims; totalFen = Σ its lines = Σ its claims' approvedFen. */
@Entity('settlement')
@Check('chk_settlement_total', 'total_fen >= 0')
@Index(['regionCode', 'status'])
@Index(['batchNo'], { unique: true })
@Index(['regionCode', 'paymentRefKey'], { unique: true })
export class Settlement {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(6) regionCode: string;
  @StrColumn(16) periodLabel: string;
  @DateColumn({ nullable: true }) periodEnd: string | null;
  @StrColumn(16) status: SettlementStatus;
  @FenColumn() totalFen: number;
  @StrColumn(100, { nullable: true }) paymentRef: string | null;
  @RefColumn() createdBy: string;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) paidAt: string | null;
  /** The readable number statements print: issuing region, year, and the region's count of batches that year. */
  @StrColumn(32, { nullable: true }) batchNo: string | null;
  /**
   * The payment reference folded (paymentRefKey), unique in the region: one bank transfer pays one batch. Null while
   * open, and on a batch paid before the key with a reference an earlier batch of its region had used.
   */
  @StrColumn(100, { nullable: true }) paymentRefKey: string | null;
  /**
   * An open batch voided (作废) by a second person, with why: it keeps its number and lines as a record, its claims went
   * back, approved, for a later batch.
   */
  @InstantColumn({ nullable: true }) voidedAt: string | null;
  @RefColumn({ nullable: true }) voidedBy: string | null;
  @StrColumn(500, { nullable: true }) voidReason: string | null;
}

/**
 * One payee's share of a batch; paidAt lets clearing select the lines paid in a period. Its claims are
 * those with claim.settlement_id = the batch and claim.claimant_id = payeeId: that guarded column is
 * what keeps a claim in at most one batch.
 */
@Entity('settlement_line')
@Check('chk_settlement_line_amount', 'amount_fen >= 0')
@Index(['settlementId'])
@Index(['paidAt'])
@Index(['clearingRunId'])
export class SettlementLine {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Settlement, { name: 'fk_settlement_line_settlement' }) settlementId: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_settlement_line_payee' }) payeeId: string;
  @StrColumn(200) payeeName: string;
  @StrColumn(6) payeeProvinceCode: string;
  @StrColumn(6) issuingProvinceCode: string;
  @FenColumn() amountFen: number;
  @InstantColumn({ nullable: true }) paidAt: string | null;
  /** The payee's bank when the batch was prepared: what the treasury pays into, whatever the profile says later. */
  @StrColumn(100, { nullable: true }) payeeBankName: string | null;
  @StrColumn(34, { nullable: true }) payeeBankAccount: string | null;
  /**
   * The clearing run that took this line in, once paid: a line is cleared by one run only (a voided run sets its lines
   * free for the next, keeping their ids in clearing_run_voided_line). Not a foreign key, since the run is written after
   * its lines are claimed (its totals are theirs).
   */
  @RefColumn({ nullable: true }) clearingRunId: string | null;
}

/**
 * What settlements paid, summed per issuing region, budget year and capture→payment time in tenths of an hour (and the
 * annual report's span of that time): the statistics read it instead of every paid redemption (issue 18). Written in the
 * payment's transaction, checked by the ledger check against the redemptions of paid batches. Its size is bounded by
 * regions × years × distinct tenths, not by the number of redemptions.
 */
@Entity('paid_summary')
@Check('chk_paid_summary_amounts', 'redemptions > 0 AND approved_fen >= 0')
export class PaidSummary {
  @PrimaryColumn({ type: 'integer' }) budgetYear: number;
  @PrimaryColumn({ type: 'varchar', length: 6 }) regionCode: string;
  @PrimaryColumn({ type: 'integer' }) hoursTenths: number;
  @PrimaryColumn({ type: 'integer' }) span: number;
  @IntColumn() redemptions: number;
  @FenColumn() approvedFen: number;
}
