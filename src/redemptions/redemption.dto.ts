import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { QueryInt, IsOmittable } from '../common/http/validators';
import { clock } from '../common/clock';
import { RULE_CODES } from '../common/errors/domain-error';
import { PageQuery } from '../common/http/paging';
import { FacilityView } from '../facilities/facility.dto';
import { REDEMPTION_MODES, RedemptionMode, SERVICE_CATEGORIES, ServiceCategory } from '../policies/policy.types';
import type { Policy } from '../policies/policy.entity';
import { Evaluation } from './redemption.rules';
import { Redemption, RedemptionStatus, UsageStatus } from './redemption.entity';
import { effectiveRedemptionStatus, effectiveUsage } from './redemption.time-rules';
import { NoBidiControls, OneLine } from '../common/http/text';
import type { Names } from '../organizations/names.repository';

/** A million units of an hour, sample or item: beyond any real order, and it keeps fee arithmetic exact. */
export const MAX_QUANTITY = 1_000_000;
export const REDEMPTION_STATUSES: RedemptionStatus[] = ['held', 'captured', 'cancelled', 'expired'];
export const USAGE_STATUSES: UsageStatus[] = ['pending', 'confirmed', 'disputed'];

export class HoldInput {
  @ApiProperty({ description: 'a voucher of the calling enterprise' }) @IsUUID() voucherId: string;
  @ApiProperty() @IsUUID() facilityId: string;
  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_QUANTITY, description: 'units of the facility (hours, samples or items)' })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;
  @ApiPropertyOptional({ enum: REDEMPTION_MODES, description: 'defaults to provider_redeemed (通兑) where the policy allows it' })
  @IsOmittable()
  @IsIn(REDEMPTION_MODES)
  mode?: RedemptionMode;
}

export class CaptureInput {
  @ApiProperty({
    example: 1,
    minimum: 0,
    maximum: MAX_QUANTITY,
    description: 'units actually used; the subsidy is recomputed on them, never above the hold',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  actualQuantity: number;
}

export class QuoteQuery {
  @ApiProperty({ description: 'a voucher of the calling enterprise' }) @IsUUID() voucherId: string;
  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_QUANTITY }) @QueryInt() @IsInt() @Min(1) @Max(MAX_QUANTITY) quantity: number;
  @ApiPropertyOptional({ enum: REDEMPTION_MODES }) @IsOmittable() @IsIn(REDEMPTION_MODES) mode?: RedemptionMode;
}

export class CompareQuery extends PageQuery {
  @ApiProperty({ enum: SERVICE_CATEGORIES, example: 'testing' }) @IsIn(SERVICE_CATEGORIES) category: ServiceCategory;
  @ApiProperty({ description: 'a voucher of the calling enterprise' }) @IsUUID() voucherId: string;
  @ApiPropertyOptional({ type: 'integer', example: 1, minimum: 1, maximum: MAX_QUANTITY, default: 1 })
  @IsOmittable()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity = 1;
  @ApiPropertyOptional({ enum: REDEMPTION_MODES }) @IsOmittable() @IsIn(REDEMPTION_MODES) mode?: RedemptionMode;
}

export class RedemptionQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REDEMPTION_STATUSES, description: 'expired includes holds past expiresAt not yet swept' })
  @IsOmittable()
  @IsIn(REDEMPTION_STATUSES)
  status?: RedemptionStatus;
}

export class RefusalView {
  @ApiProperty({ enum: RULE_CODES }) code: string;
  @ApiProperty() message: string;
}

export class QuoteView {
  @ApiProperty({ enum: REDEMPTION_MODES }) mode: RedemptionMode;
  @ApiProperty({ description: 'unit price × quantity' }) feeFen: number;
  @ApiProperty({ description: 'category ratio, plus localBonusBp for a provider in the issuing province' }) ratioBp: number;
  @ApiProperty({ description: 'floor(fee × ratio / 10000), lowered to the per-redemption cap and the available balance; 0 when refused' })
  subsidyFen: number;
  @ApiProperty({ description: 'what the enterprise pays: fee − subsidy' }) selfPayFen: number;
  @ApiProperty() crossProvince: boolean;
  @ApiPropertyOptional({
    type: RefusalView,
    description: 'present when a rule forbids the redemption; a hold would be refused 422 with this code',
  })
  refusal?: RefusalView;
  @ApiProperty({ description: 'the policy version the voucher pinned when it was issued, which priced this quote (a hold takes the same)' })
  policyId: string;
  @ApiProperty({
    example: 1,
    description: 'that version’s number in its region: a version published since applies to vouchers issued since, not to this one',
  })
  policyVersion: number;

  static of(e: Evaluation, policy: Pick<Policy, 'id' | 'version'>): QuoteView {
    const { mode, feeFen, ratioBp, subsidyFen, selfPayFen, crossProvince, refusal } = e;
    return {
      mode,
      feeFen,
      ratioBp,
      subsidyFen,
      selfPayFen,
      crossProvince,
      ...(refusal ? { refusal } : {}),
      policyId: policy.id,
      policyVersion: policy.version,
    };
  }
}

export class FacilityQuoteView {
  @ApiProperty({ type: FacilityView }) facility: FacilityView;
  @ApiPropertyOptional({
    example: '2026-12-01T14:00:00+08:00',
    description: 'hourly facilities with a booking calendar: the first one-hour slot free within 31 days',
  })
  firstFreeSlot?: string;
  @ApiProperty({ type: QuoteView }) quote: QuoteView;
}

export class ComparisonPage {
  @ApiProperty({ type: [FacilityQuoteView], description: 'cheapest self-pay first; refused quotes last' }) items: FacilityQuoteView[];
  @ApiProperty() total: number;
}

export class DisputeInput {
  @ApiProperty({ example: '实际只使用了 1 小时', maxLength: 500, description: 'what the enterprise says went wrong' })
  @IsString()
  @Length(1, 500)
  @OneLine()
  reason: string;
}

export class ResolveInput {
  @ApiProperty({
    example: 1,
    minimum: 0,
    maximum: MAX_QUANTITY,
    description: 'the usage the bureau found, never above what was captured; 0 cancels the capture and returns the subsidy',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  actualQuantity: number;
}

export class RatingInput {
  @ApiProperty({ minimum: 1, maximum: 5, example: 5 }) @IsInt() @Min(1) @Max(5) score: number;
  @ApiPropertyOptional({ maxLength: 500 }) @IsOmittable() @IsString() @Length(1, 500) @NoBidiControls() comment?: string;
}

export class RedemptionRatingView {
  @ApiProperty() redemptionId: string;
  @ApiProperty() facilityId: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) score: number;
  @ApiPropertyOptional() comment?: string;
  @ApiProperty() createdAt: string;
}

export class RedemptionView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: REDEMPTION_STATUSES }) status: RedemptionStatus;
  @ApiProperty() voucherId: string;
  @ApiProperty() facilityId: string;
  @ApiPropertyOptional({ description: 'in lists' }) facilityName?: string;
  @ApiProperty() providerId: string;
  @ApiPropertyOptional({ description: 'in lists' }) providerName?: string;
  @ApiProperty() enterpriseId: string;
  @ApiPropertyOptional({ description: 'in lists' }) enterpriseName?: string;
  @ApiProperty({ description: 'who claims the subsidy: the provider in 通兑, the enterprise in 通用' }) payeeId: string;
  @ApiProperty() issuingRegionCode: string;
  @ApiProperty() providerProvinceCode: string;
  @ApiProperty() crossProvince: boolean;
  @ApiProperty({ enum: REDEMPTION_MODES }) mode: RedemptionMode;
  @ApiProperty({ description: 'units held' }) quantity: number;
  @ApiProperty() unitPriceFen: number;
  @ApiProperty({ description: 'the fee of the units held' }) feeFen: number;
  @ApiProperty() ratioBp: number;
  @ApiProperty({ description: 'the subsidy held' }) subsidyFen: number;
  @ApiProperty({ description: 'fee − subsidy of the hold: what the enterprise would pay' }) selfPayFen: number;
  @ApiProperty({ type: Number, nullable: true }) perRedemptionCapFen: number | null;
  @ApiProperty() policyId: string;
  @ApiProperty() expiresAt: string;
  @ApiPropertyOptional({ description: 'units the provider recorded as used (≤ quantity), after capture; lowered by a dispute resolution' })
  capturedQuantity?: number;
  @ApiPropertyOptional({ deprecated: true, description: 'v1 name of capturedQuantity' }) actualQuantity?: number;
  @ApiPropertyOptional() capturedFeeFen?: number;
  @ApiPropertyOptional({ description: 'the subsidy spent: what is claimed' }) capturedSubsidyFen?: number;
  @ApiPropertyOptional({ description: 'what the enterprise pays for the units used: capturedFeeFen − capturedSubsidyFen' })
  capturedSelfPayFen?: number;
  @ApiPropertyOptional() capturedAt?: string;
  @ApiPropertyOptional({
    description: 'after its claim is approved: the subsidy approved for it, below capturedSubsidyFen where the approval was cut',
  })
  approvedFen?: number;
  @ApiPropertyOptional({
    enum: USAGE_STATUSES,
    description: 'after capture: pending until the enterprise confirms or disputes; silence confirms at usageDueAt',
  })
  usage?: UsageStatus;
  @ApiPropertyOptional({ description: 'the end of the enterprise’s confirmation window' }) usageDueAt?: string;
  @ApiPropertyOptional() usageDecidedAt?: string;
  @ApiPropertyOptional() disputeReason?: string;
  @ApiPropertyOptional({ description: 'when it was captured, cancelled or expired' }) closedAt?: string;
  @ApiPropertyOptional() claimId?: string;
  @ApiProperty() createdAt: string;

  static of(r: Redemption, names?: Names): RedemptionView {
    const now = clock.iso();
    const optional = {
      facilityName: names?.get(r.facilityId),
      providerName: names?.get(r.providerId),
      enterpriseName: names?.get(r.enterpriseId),
      capturedQuantity: r.capturedQuantity,
      actualQuantity: r.capturedQuantity,
      capturedFeeFen: r.capturedFeeFen,
      capturedSubsidyFen: r.capturedSubsidyFen,
      // selfPayFen is the hold's: an enterprise that used 1 of 10,000 units held reads what it pays here
      capturedSelfPayFen: r.capturedFeeFen !== null && r.capturedSubsidyFen !== null ? r.capturedFeeFen - r.capturedSubsidyFen : null,
      capturedAt: r.capturedAt,
      approvedFen: r.approvedFen,
      usage: effectiveUsage(r, now),
      usageDueAt: r.usageDueAt,
      usageDecidedAt: r.usageDecidedAt ?? (effectiveUsage(r, now) !== r.usage ? r.usageDueAt : null),
      disputeReason: r.disputeReason,
      closedAt: r.closedAt,
      claimId: r.claimId,
    };
    return {
      id: r.id,
      status: effectiveRedemptionStatus(r, now),
      voucherId: r.voucherId,
      facilityId: r.facilityId,
      providerId: r.providerId,
      enterpriseId: r.enterpriseId,
      payeeId: r.payeeId,
      issuingRegionCode: r.issuingRegionCode,
      providerProvinceCode: r.providerProvinceCode,
      crossProvince: r.crossProvince,
      mode: r.mode,
      quantity: r.quantity,
      unitPriceFen: r.unitPriceFen,
      feeFen: r.feeFen,
      ratioBp: r.ratioBp,
      subsidyFen: r.subsidyFen,
      selfPayFen: r.selfPayFen,
      perRedemptionCapFen: r.perRedemptionCapFen,
      policyId: r.policyId,
      expiresAt: r.expiresAt,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== null && v !== undefined)),
      createdAt: r.createdAt,
    };
  }
}

export class RedemptionPage {
  @ApiProperty({ type: [RedemptionView] }) items: RedemptionView[];
  @ApiProperty() total: number;
}
