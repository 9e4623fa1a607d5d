import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/database/columns';

export type VoucherStatus = 'active' | 'exhausted' | 'expired' | 'revoked';
export type ApplicationStatus = 'approved' | 'pending_review' | 'rejected';

@Entity('voucher_application')
@Index(['enterpriseId'])
@Index(['issuingRegionCode', 'status'])
export class VoucherApplication {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() enterpriseId: string;
  @StrColumn(6, { nullable: true }) issuingRegionCode: string | null;
  @RefColumn({ nullable: true }) policyId: string | null;
  @IntColumn() year: number;
  @FenColumn() amountFen: number;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(500) purpose: string;
  @StrColumn(20) status: ApplicationStatus;
  @StrColumn(40, { nullable: true }) reasonCode: string | null;
  @StrColumn(500, { nullable: true }) reason: string | null;
  @RefColumn({ nullable: true }) voucherId: string | null;
  @RefColumn({ nullable: true }) reviewedBy: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) decidedAt: string | null;
}

/** Face value = available + held + spent + released, always; balances change only in LedgerService. */
@Entity('voucher')
@Index(['serial'], { unique: true })
@Index(['verificationCode'], { unique: true })
@Index(['enterpriseId'])
@Index(['issuingRegionCode'])
@Index(['status', 'validUntil'])
export class Voucher {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(20) serial: string;
  @StrColumn(64) verificationCode: string;
  @StrColumn(6) issuingRegionCode: string;
  @IntColumn() budgetYear: number;
  @RefColumn() enterpriseId: string;
  @RefColumn() applicationId: string;
  @RefColumn() policyId: string;
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
  @InstantColumn() updatedAt: string;
}

@Entity('serial_counter')
export class SerialCounter {
  @PrimaryColumn({ type: 'varchar', length: 8 }) prefix: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @IntColumn() lastValue: number;
}
