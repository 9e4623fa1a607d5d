import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PageQuery } from '../common/http/paging';
import { SERVICE_CATEGORIES, ServiceCategory } from '../policies/policy.types';
import { Facility, FacilityRating, FACILITY_UNITS, FacilityUnit } from './facility.entity';
import { HasVisibleText, NoBidiControls, OneLine } from '../common/http/text';
import { IsOmittable } from '../common/http/validators';
import { PROVINCE_CODES } from '../regions/regions.data';

/** ¥100 million per unit: far above any instrument hour, and fee = price × quantity stays exact in a double. */
export const MAX_UNIT_PRICE_FEN = 10_000_000_000;

/** A facility's contact: whom enterprises ask, one line, public on the facility's page. */
const Contact = (whenNull: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      example: '张老师 021-6543 2100 tem@lab.example.cn',
      maxLength: 200,
      nullable: true,
      description: `whom enterprises ask about the service, shown on its public page; ${whenNull}`,
    }),
    IsOptional(),
    IsString(),
    MaxLength(200),
    OneLine(),
  );

export class CreateFacilityInput {
  @ApiProperty({ example: '透射电子显微镜 (TEM) 机时', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @OneLine()
  @HasVisibleText(1)
  name: string;

  @ApiProperty({ enum: SERVICE_CATEGORIES, example: 'testing' }) @IsIn(SERVICE_CATEGORIES) category: ServiceCategory;

  @ApiProperty({ enum: FACILITY_UNITS, example: 'hour' }) @IsIn(FACILITY_UNITS) unit: FacilityUnit;

  @ApiProperty({
    example: 80000,
    minimum: 1,
    maximum: MAX_UNIT_PRICE_FEN,
    description: 'price of one unit in integer fen (80000 = ¥800.00)',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_UNIT_PRICE_FEN)
  unitPriceFen: number;

  @ApiPropertyOptional({ type: String, example: 'JEOL JEM-F200 场发射透射电镜，含制样', maxLength: 2000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @NoBidiControls()
  description?: string | null;

  @Contact('null: none (blank is refused)')
  contact?: string | null;
}

/** Only what changes; `null` clears a description or a contact. */
export class UpdateFacilityInput {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  @Length(1, 200)
  @OneLine()
  @HasVisibleText(1)
  name?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_UNIT_PRICE_FEN, description: 'integer fen' })
  @ValidateIf((_, v) => v !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_UNIT_PRICE_FEN)
  unitPriceFen?: number;

  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @NoBidiControls()
  description?: string | null;

  @Contact('null clears it (blank is refused)')
  contact?: string | null;
}

export class FacilityQuery extends PageQuery {
  @ApiPropertyOptional({ example: '310000', description: 'province of the facility (a province code, NNxxxx with xxxx = 0000)' })
  @IsOmittable()
  @IsIn(PROVINCE_CODES, { message: '$property must be a province code of the region: 310000, 320000, 330000 or 340000' })
  provinceCode?: string;

  @ApiPropertyOptional({ enum: SERVICE_CATEGORIES }) @IsOmittable() @IsIn(SERVICE_CATEGORIES) category?: ServiceCategory;

  @ApiPropertyOptional({ example: '电镜', description: 'case-insensitive substring of the name or description' })
  @IsOmittable()
  @IsString()
  @Length(1, 100)
  q?: string;
}

export class FacilityView {
  @ApiProperty() id: string;
  @ApiProperty() providerId: string;
  @ApiProperty({ example: '上海微观表征公共服务平台' }) providerName: string;
  @ApiProperty({ example: '310000' }) provinceCode: string;
  @ApiProperty({ example: '310000' }) regionCode: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SERVICE_CATEGORIES }) category: string;
  @ApiProperty({ enum: FACILITY_UNITS }) unit: FacilityUnit;
  @ApiProperty({ example: 80000, description: 'integer fen per unit' }) unitPriceFen: number;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'whom enterprises ask about the service' }) contact: string | null;
  @ApiProperty({
    enum: ['active', 'suspended', 'retired'],
    description:
      'retired: off the market for good; suspended: its provider is suspended or under a credit sanction in force, so it is out of the catalogue and takes no orders or bookings until that ends',
  })
  status: 'active' | 'suspended' | 'retired';
  @ApiProperty({ description: 'whether it takes orders and bookings now: status active' }) bookable: boolean;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 4.5,
    description: 'the average of enterprises’ ratings (1–5), to one decimal; null before the first',
  })
  ratingAvg: number | null;
  @ApiProperty({ example: 12 }) ratingCount: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  /** `providerListed`: its provider is active and not sanctioned (providerListedSql); else an active facility reads suspended. */
  static of(f: Facility, providerName: string, providerListed = true): FacilityView {
    const { id, providerId, provinceCode, regionCode, name, category, unit, unitPriceFen, description, contact, createdAt, updatedAt } = f;
    const status = f.status === 'active' && !providerListed ? 'suspended' : f.status;
    const ratingAvg = f.ratingCount > 0 ? Math.round((f.ratingSum * 10) / f.ratingCount) / 10 : null;
    return {
      id,
      providerId,
      providerName,
      provinceCode,
      regionCode,
      name,
      category,
      unit,
      unitPriceFen,
      description,
      contact,
      status,
      bookable: status === 'active',
      ratingAvg,
      ratingCount: f.ratingCount,
      createdAt,
      updatedAt,
    };
  }
}

export class FacilityPage {
  @ApiProperty({ type: [FacilityView] }) items: FacilityView[];
  @ApiProperty() total: number;
}

export class RatingView {
  @ApiProperty({ minimum: 1, maximum: 5 }) score: number;
  @ApiPropertyOptional() comment?: string;
  @ApiProperty() createdAt: string;

  static of(r: FacilityRating): RatingView {
    return { score: r.score, ...(r.comment ? { comment: r.comment } : {}), createdAt: r.createdAt };
  }
}

export class RatingPage {
  @ApiProperty({ type: [RatingView] }) items: RatingView[];
  @ApiProperty() total: number;
}
