import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/database/columns';
import type { RedemptionMode } from '../policies/policy.types';

export type RedemptionStatus = 'held' | 'captured' | 'cancelled' | 'expired';

@Entity('redemption')
@Index(['voucherId'])
@Index(['providerId'])
@Index(['enterpriseId'])
@Index(['status', 'expiresAt'])
@Index(['claimId'])
@Index(['payeeId', 'status'])
export class Redemption {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() voucherId: string;
  @RefColumn() facilityId: string;
  @RefColumn() providerId: string;
  @RefColumn() enterpriseId: string;
  /** Who claims the subsidy: the provider (provider_redeemed) or the enterprise (enterprise_reimbursed). */
  @RefColumn() payeeId: string;
  @StrColumn(6) issuingRegionCode: string;
  @IntColumn() budgetYear: number;
  @StrColumn(6) providerProvinceCode: string;
  @Column({ type: 'boolean' }) crossProvince: boolean;
  @StrColumn(24) mode: RedemptionMode;
  @IntColumn() quantity: number;
  @FenColumn() unitPriceFen: number;
  @FenColumn() feeFen: number;
  @IntColumn() ratioBp: number;
  /** The held subsidy; after capture, what was captured. */
  @FenColumn() subsidyFen: number;
  @FenColumn() selfPayFen: number;
  @FenColumn({ nullable: true }) perRedemptionCapFen: number | null;
  @IntColumn({ nullable: true }) actualQuantity: number | null;
  @FenColumn({ nullable: true }) capturedFeeFen: number | null;
  @FenColumn({ nullable: true }) capturedSubsidyFen: number | null;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(16) status: RedemptionStatus;
  @RefColumn() policyId: string;
  @InstantColumn() expiresAt: string;
  @RefColumn({ nullable: true }) claimId: string | null;
  @InstantColumn({ nullable: true }) capturedAt: string | null;
  @InstantColumn({ nullable: true }) closedAt: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
}
