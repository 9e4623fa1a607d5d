import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsFen, IsOmittable } from '../common/http/validators';
import { PROVINCE_CODES, REGION_CODES } from '../regions/regions.data';
import { Policy } from './policy.entity';
import { policyFields } from './policy.rules';
import { DEFAULT_CONFIRM_DAYS, REDEMPTION_MODES, SERVICE_CATEGORIES, PolicyTerms } from './policy.types';

export class CategoryRatio {
  @ApiProperty({ enum: SERVICE_CATEGORIES }) @IsIn(SERVICE_CATEGORIES) category: (typeof SERVICE_CATEGORIES)[number];
  @ApiProperty({ minimum: 1, maximum: 10000, example: 5000 }) @IsInt() @Min(1) @Max(10000) ratioBp: number;
}

export class CreatePolicyInput {
  @ApiProperty({ example: '310000' })
  @IsIn(REGION_CODES)
  regionCode: string;
  @ApiProperty({ example: '2026-01-01' }) @IsCalendarDate() effectiveFrom: string;
  @ApiProperty({ type: [CategoryRatio] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SERVICE_CATEGORIES.length)
  @ArrayUnique((c: CategoryRatio) => c?.category, { message: 'categories must not list a category twice' })
  // ValidateNested passes a nested array ([[]]) without looking inside: each entry must be an object
  @IsObject({ each: true, message: 'categories must be objects {category, ratioBp}' })
  @ValidateNested({ each: true })
  @Type(() => CategoryRatio)
  categories: CategoryRatio[];
  @ApiProperty({ example: ['310000', '320000', '330000', '340000'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(PROVINCE_CODES, { each: true })
  acceptedProvinceCodes: string[];
  @ApiPropertyOptional({
    default: 0,
    minimum: 0,
    maximum: 10000,
    description: 'added to a category’s ratioBp for a provider of the issuing province; with every category’s ratioBp at most 10000',
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(10000)
  localBonusBp?: number;
  @ApiProperty({ example: 50_000_000 }) @IsFen(1) enterpriseAnnualCapFen: number;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 10_000_000,
    description: 'annual cap for startup teams; left out or null: enterpriseAnnualCapFen',
  })
  @IsOptional()
  @IsFen(1)
  teamAnnualCapFen?: number | null;
  @ApiProperty({ example: 30_000_000, description: 'at most enterpriseAnnualCapFen' }) @IsFen(1) maxVoucherFen: number;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 5_000_000, description: 'left out or null: no cap per redemption' })
  @IsOptional()
  @IsFen(1)
  perRedemptionCapFen?: number | null;
  @ApiPropertyOptional({ default: false, description: 'enterprises sharing an actual controller share one annual cap' })
  @IsOmittable()
  @IsBoolean()
  capByController?: boolean;
  @ApiProperty({ example: 365, minimum: 1, maximum: 3650 }) @IsInt() @Min(1) @Max(3650) voucherValidityDays: number;
  @ApiProperty({ example: 30, minimum: 1, maximum: 365 }) @IsInt() @Min(1) @Max(365) holdExpiryDays: number;
  @ApiProperty({
    example: 5_000_000,
    description:
      'applications at or under this amount are approved at once; at most maxVoucherFen, and below dualControlFen when that is on',
  })
  @IsFen(0)
  autoApproveMaxFen: number;
  @ApiProperty({ enum: REDEMPTION_MODES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(REDEMPTION_MODES, { each: true })
  redemptionModes: (typeof REDEMPTION_MODES)[number][];
  @ApiProperty({ enum: ['monthly', 'quarterly'] }) @IsIn(['monthly', 'quarterly']) settlementCycle: 'monthly' | 'quarterly';
  @ApiProperty({ example: true }) @IsBoolean() relatedPartyBan: boolean;
  @ApiPropertyOptional({
    default: DEFAULT_CONFIRM_DAYS,
    minimum: 1,
    maximum: 60,
    description: 'days to confirm or dispute a captured service; silence confirms',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(60)
  confirmDays?: number;
  @ApiPropertyOptional({
    default: 0,
    description: 'approvals at or above this amount (fen) take two different bureau users; 0 turns it off',
  })
  @IsOmittable()
  @IsFen(0)
  dualControlFen?: number;

  toTerms(): PolicyTerms {
    return {
      categories: this.categories.map(({ category, ratioBp }) => ({ category, ratioBp })),
      acceptedProvinceCodes: [...this.acceptedProvinceCodes].sort(),
      localBonusBp: this.localBonusBp ?? 0,
      enterpriseAnnualCapFen: this.enterpriseAnnualCapFen,
      teamAnnualCapFen: this.teamAnnualCapFen ?? null,
      maxVoucherFen: this.maxVoucherFen,
      perRedemptionCapFen: this.perRedemptionCapFen ?? null,
      capByController: this.capByController ?? false,
      voucherValidityDays: this.voucherValidityDays,
      holdExpiryDays: this.holdExpiryDays,
      autoApproveMaxFen: this.autoApproveMaxFen,
      redemptionModes: this.redemptionModes,
      settlementCycle: this.settlementCycle,
      relatedPartyBan: this.relatedPartyBan,
      confirmDays: this.confirmDays ?? DEFAULT_CONFIRM_DAYS,
      dualControlFen: this.dualControlFen ?? 0,
    };
  }
}

export class PolicyView extends CreatePolicyInput {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'counts up per region' }) version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty({ enum: ['published', 'withdrawn'] }) status: string;
  @ApiPropertyOptional() withdrawnAt?: string;

  static of(p: Policy) {
    return policyFields(p);
  }
}
