import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Claim } from '../claims/claim.entity';
import { Facility } from '../facilities/facility.entity';
import { Organization } from '../organizations/organization.entity';
import { Policy } from '../policies/policy.entity';
import { Voucher } from '../vouchers/voucher.entity';
import { FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import type { RedemptionMode } from '../policies/policy.types';

export type RedemptionStatus = 'held' | 'captured' | 'cancelled' | 'expired';
export type UsageStatus = 'pending' | 'confirmed' | 'disputed';

@Entity('redemption')
@Check(
  'chk_redemption_amounts',
  'quantity > 0 AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen AND self_pay_fen = fee_fen - subsidy_fen' +
    ' AND (captured_subsidy_fen IS NULL OR captured_subsidy_fen >= 0) AND (approved_fen IS NULL OR approved_fen >= 0)',
)
@Index(['voucherId'])
@Index(['providerId'])
@Index(['enterpriseId'])
@Index(['status', 'expiresAt'])
@Index(['claimId'])
@Index(['payeeId', 'status'])
@Index(['usage', 'usageDueAt'])
// Covers the flows for a year (issuer × provider province over captured redemptions): read without the rows (issue 18).
@Index(['budgetYear', 'status', 'issuingRegionCode', 'providerProvinceCode', 'capturedSubsidyFen', 'approvedFen'])
export class Redemption {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Voucher, { name: 'fk_redemption_voucher' }) voucherId: string;
  @RefColumn() @ForeignKey(() => Facility, { name: 'fk_redemption_facility' }) facilityId: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_redemption_provider' }) providerId: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_redemption_enterprise' }) enterpriseId: string;
  /** Who claims the subsidy: the provider (provider_redeemed) or the enterprise (enterprise_reimbursed). */
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_redemption_payee' }) payeeId: string;
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
  /** Units the provider recorded as used (≤ quantity); fee and subsidy keep what was held. */
  @IntColumn({ nullable: true }) capturedQuantity: number | null;
  @FenColumn({ nullable: true }) capturedFeeFen: number | null;
  @FenColumn({ nullable: true }) capturedSubsidyFen: number | null;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(16) status: RedemptionStatus;
  @RefColumn() @ForeignKey(() => Policy, { name: 'fk_redemption_policy' }) policyId: string;
  @InstantColumn() expiresAt: string;
  @RefColumn({ nullable: true }) @ForeignKey(() => Claim, { name: 'fk_redemption_claim' }) claimId: string | null;
  @InstantColumn({ nullable: true }) capturedAt: string | null;
  @InstantColumn({ nullable: true }) closedAt: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
  /** After capture: the enterprise confirms the usage (or disputes it) before anyone claims; silence confirms at usageDueAt. */
  @StrColumn(16, { nullable: true, name: 'usage_status' }) usage: UsageStatus | null; // USAGE is a reserved word in MySQL
  @InstantColumn({ nullable: true }) usageDueAt: string | null;
  @InstantColumn({ nullable: true }) usageDecidedAt: string | null;
  @StrColumn(500, { nullable: true }) disputeReason: string | null;
}

/**
 * Captured subsidies per budget year, issuing region and provider province, for the flows (issue 18): the covering index
 * still walked every captured redemption of the year (1.2 s at half a year's data). Each row keeps what the labs keep:
 * every capture, dispute resolution, final rejection and approval cut adds its change to one of a few rows picked at
 * random (`shard`; a cut to shard 0), so concurrent captures of a province seldom wait on one row (nor conflict across
 * Galera nodes); readers sum the shards. A shard is a sum of changes and may be negative; the sum over shards is exact,
 * and the ledger check compares it with the redemptions.
 */
@Entity('captured_flow')
export class CapturedFlow {
  @PrimaryColumn({ type: 'integer' }) budgetYear: number;
  @PrimaryColumn({ type: 'varchar', length: 6 }) issuingRegionCode: string;
  @PrimaryColumn({ type: 'varchar', length: 6 }) providerProvinceCode: string;
  @PrimaryColumn({ type: 'integer' }) shard: number;
  @IntColumn() redemptions: number;
  @FenColumn() capturedFen: number;
}

/**
 * Captured redemptions per budget year, issuing region and facility, for the annual report's ten most used facilities:
 * the ranking read 57,000 redemptions of a region through an index at a tenth of a year (1.6 s). Kept as captured_flow
 * is, in the same transactions (a capture, a dispute's resolution, a final rejection, an approval's cut), at what the lab
 * keeps; one row per key (a facility's captures for one region seldom coincide), exact, and the ledger check compares
 * it with the redemptions. Nothing is written at a hold.
 */
@Entity('facility_usage')
export class FacilityUsage {
  @PrimaryColumn({ type: 'integer' }) budgetYear: number;
  @PrimaryColumn({ type: 'varchar', length: 6 }) issuingRegionCode: string;
  @PrimaryColumn({ type: 'varchar', length: 36 }) facilityId: string;
  @IntColumn() redemptions: number;
  @IntColumn() quantity: number;
  @FenColumn() feeFen: number;
  @FenColumn() subsidyFen: number;
}

/**
 * One row per usage dispute, written when the enterprise disputes (a dispute is raised once per redemption): the
 * annual report finds a region's disputes here instead of scanning every redemption for a dispute reason (0.4 s at a
 * tenth). Nothing is written at a hold.
 */
@Entity('usage_dispute')
@Index(['budgetYear', 'issuingRegionCode'])
export class UsageDispute {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  @ForeignKey(() => Redemption, { name: 'fk_usage_dispute_redemption' })
  redemptionId: string;
  @IntColumn() budgetYear: number;
  @StrColumn(6) issuingRegionCode: string;
  @InstantColumn() raisedAt: string;
}
