import { Check, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { Policy } from '../policies/policy.entity';
import { DateColumn, FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';

export type VoucherStatus = 'active' | 'exhausted' | 'expired' | 'revoked';
export type ApplicationStatus = 'approved' | 'pending_review' | 'awaiting_second_approval' | 'rejected';

@Entity('voucher_application')
@Check('chk_voucher_application_amounts', 'amount_fen > 0 AND (approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= amount_fen))')
@Index(['enterpriseId'])
@Index(['issuingRegionCode', 'status'])
export class VoucherApplication {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_voucher_application_enterprise' }) enterpriseId: string;
  @StrColumn(6, { nullable: true }) issuingRegionCode: string | null;
  @RefColumn({ nullable: true }) @ForeignKey(() => Policy, { name: 'fk_voucher_application_policy' }) policyId: string | null;
  @IntColumn() year: number;
  @FenColumn() amountFen: number;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(500) purpose: string;
  @StrColumn(32) status: ApplicationStatus;
  @StrColumn(40, { nullable: true }) reasonCode: string | null;
  @StrColumn(500, { nullable: true }) reason: string | null;
  @RefColumn({ nullable: true }) voucherId: string | null;
  @RefColumn({ nullable: true }) reviewedBy: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) decidedAt: string | null;
  /** Maker-checker: the first of two approvals above the policy's dualControlFen, and the amount it approved. */
  @RefColumn({ nullable: true }) firstApprovedBy: string | null;
  @FenColumn({ nullable: true }) firstApprovedFen: number | null;
  /** The API key the first approval was given through (null in a session): its revocation withdraws the approval. */
  @RefColumn({ nullable: true }) firstApprovedKey: string | null;
  /** The session it was given in (null through a key): a password change withdraws those not given in its own session. */
  @RefColumn({ nullable: true }) firstApprovedSession: string | null;
}

/** Face value = available + held + spent + released, always; balances change only in LedgerService. */
@Entity('voucher')
@Check(
  'chk_voucher_balances',
  'face_value_fen >= 0 AND available_fen >= 0 AND held_fen >= 0 AND spent_fen >= 0 AND released_fen >= 0 AND face_value_fen = available_fen + held_fen + spent_fen + released_fen',
)
@Index(['serial'], { unique: true })
@Index(['verificationCode'], { unique: true })
@Index(['enterpriseId'])
@Index(['issuingRegionCode'])
@Index(['status', 'validUntil'])
// Covers the statistics' balance sums of a region's budget year: an index range, no row reads (issue 18). An index, not a
// counter row per region: a counter would be one hot row that every hold of the province updates.
@Index(['budgetYear', 'issuingRegionCode', 'availableFen', 'heldFen', 'spentFen'])
export class Voucher {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(20) serial: string;
  @StrColumn(64) verificationCode: string;
  @StrColumn(6) issuingRegionCode: string;
  @IntColumn() budgetYear: number;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_voucher_enterprise' }) enterpriseId: string;
  @RefColumn() @ForeignKey(() => VoucherApplication, { name: 'fk_voucher_application' }) applicationId: string;
  @RefColumn() @ForeignKey(() => Policy, { name: 'fk_voucher_policy' }) policyId: string;
  @StrColumn(60) capSubject: string;
  @FenColumn() faceValueFen: number;
  @FenColumn() availableFen: number;
  @FenColumn() heldFen: number;
  @FenColumn() spentFen: number;
  @FenColumn() releasedFen: number;
  @StrColumn(16) status: VoucherStatus;
  @DateColumn() validFrom: string;
  @DateColumn() validUntil: string;
  @StrColumn(500, { nullable: true }) statusReason: string | null;
  @InstantColumn() createdAt: string;
  /** Any change, balances included: a claim decided after a revocation still moves them. */
  @InstantColumn() updatedAt: string;
  /** When it was revoked or expired (VoucherRepository.close); null while open, and on one closed before the column. */
  @InstantColumn({ nullable: true }) closedAt: string | null;
}

@Entity('serial_counter')
export class SerialCounter {
  @PrimaryColumn({ type: 'varchar', length: 8 }) prefix: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @IntColumn() lastValue: number;
}

/** What an enterprise (or a controller group) was granted in a region and year, for the annual caps. */
@Entity('annual_grant')
@Check('chk_annual_grant_granted', 'granted_fen >= 0')
export class AnnualGrant {
  @PrimaryColumn({ type: 'varchar', length: 6 }) regionCode: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @PrimaryColumn({ type: 'varchar', length: 60 }) subject: string;
  @FenColumn() grantedFen: number;
}
