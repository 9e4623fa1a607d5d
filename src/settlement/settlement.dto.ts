import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Length, ValidateBy } from 'class-validator';
import { PageQuery } from '../common/http/paging';
import { IsCalendarDate, IsOmittable } from '../common/http/validators';
import { REGION_CODES } from '../regions/regions.data';
import { Settlement, SETTLEMENT_STATUSES, SettlementStatus } from './settlement.entity';
import { HasVisibleText, NoBidiControls, OneLine } from '../common/http/text';
import { isPaymentRef } from './payment-ref.rules';

// the catalogues say what a code of the region list is (validation.isRegionListCode), in the caller's language
const IsRegionCode = () => IsIn(REGION_CODES);

export class CreateSettlementInput {
  @ApiProperty({ example: '340100', description: 'the issuing region whose approved claims are settled' })
  @IsRegionCode()
  regionCode: string;
  @ApiPropertyOptional({
    example: '2026-03-31',
    description: 'only claims approved on or before this Beijing day; it also names the period',
  })
  @IsOmittable()
  @IsCalendarDate()
  periodEnd?: string;
}

/** A payment reference has letters or digits: "——" names no transfer (paymentRefKey). */
const IsPaymentRef = () =>
  ValidateBy({
    name: 'isPaymentRef',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || isPaymentRef(value),
      defaultMessage: (a) => `${a?.property} must contain the letters or digits of the treasury's payment reference`,
    },
  });

export class PaySettlementInput {
  @ApiProperty({
    example: 'TREASURY-2026-04-0117',
    description:
      'the treasury payment reference: one reference pays one batch of a region (PAYMENT_REF_USED); spaces, dashes, case and full-width forms do not make another',
  })
  @IsString()
  @Length(1, 100)
  @OneLine()
  @IsPaymentRef()
  paymentRef: string;
}

export class VoidSettlementInput {
  @ApiProperty({ example: '期间填错：应为第一季度', maxLength: 500, description: 'why the batch is voided: printed on its statement' })
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason: string;
}

export class SettlementQuery extends PageQuery {
  @ApiPropertyOptional({ example: '340100' }) @IsOmittable() @IsRegionCode() regionCode?: string;
  @ApiPropertyOptional({ enum: SETTLEMENT_STATUSES }) @IsOmittable() @IsIn(SETTLEMENT_STATUSES) status?: SettlementStatus;
}

export class StatementQuery {
  @ApiPropertyOptional({ description: 'one payee’s line only; a payee always gets its own' }) @IsOmittable() @IsUUID() payeeId?: string;
}

export class SettlementLineView {
  @ApiProperty() payeeId: string;
  @ApiProperty() payeeName: string;
  @ApiProperty({ example: '310000' }) payeeProvinceCode: string;
  @ApiProperty({ example: '340000', description: 'province of the batch’s issuing region: who pays' }) issuingProvinceCode: string;
  @ApiProperty() amountFen: number;
  @ApiProperty({ type: [String] }) claimIds: string[];
  @ApiPropertyOptional({ description: 'the payee’s bank when the batch was prepared (absent when none was on file)' })
  payeeBankName?: string;
  @ApiPropertyOptional({
    example: '130201080920005432',
    description: 'the account paid into, as when the batch was prepared: in full for the paying bureau, else masked (**** **** 5432)',
  })
  payeeBankAccount?: string;
  @ApiPropertyOptional() paidAt?: string;
}

export class SettlementSummary {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ example: '340100-2026-0007', description: 'the readable batch number statements print (region, year, count)' })
  batchNo?: string;
  @ApiProperty() regionCode: string;
  @ApiProperty({
    example: '2026-Q1',
    description:
      'the period of the region’s settlement cycle (monthly or quarterly) that holds periodEnd or, without one, the batch’s last approval',
  })
  periodLabel: string;
  @ApiPropertyOptional() periodEnd?: string;
  @ApiProperty({ enum: SETTLEMENT_STATUSES }) status: SettlementStatus;
  @ApiProperty({ description: 'Σ lines = Σ the claims’ approvedFen' }) totalFen: number;
  @ApiPropertyOptional() paymentRef?: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() paidAt?: string;
  @ApiPropertyOptional({
    description: 'when the open batch was voided (POST /api/settlements/{id}/void): its claims went back for a later batch',
  })
  voidedAt?: string;
  @ApiPropertyOptional({ description: 'why it was voided' }) voidReason?: string;

  static of(s: Settlement): SettlementSummary {
    return {
      id: s.id,
      ...(s.batchNo ? { batchNo: s.batchNo } : {}),
      regionCode: s.regionCode,
      periodLabel: s.periodLabel,
      ...(s.periodEnd ? { periodEnd: s.periodEnd } : {}),
      status: s.status,
      totalFen: s.totalFen,
      ...(s.paymentRef ? { paymentRef: s.paymentRef } : {}),
      createdAt: s.createdAt,
      ...(s.paidAt ? { paidAt: s.paidAt } : {}),
      ...(s.voidedAt ? { voidedAt: s.voidedAt, voidReason: s.voidReason ?? '' } : {}),
    };
  }
}

export class SettlementView extends SettlementSummary {
  @ApiProperty({ type: [SettlementLineView], description: 'one line per payee' }) lines: SettlementLineView[];
}

/** An item of GET /api/settlements: a batch without its lines, but for a payee, which reads its own line. */
export class SettlementListItem extends SettlementSummary {
  @ApiPropertyOptional({
    type: [SettlementLineView],
    description: 'a payee’s own line only; absent for bureaus and the platform (GET /api/settlements/:id has every line)',
  })
  lines?: SettlementLineView[];
}

export class SettlementPage {
  @ApiProperty({
    type: [SettlementListItem],
    description: 'without lines (GET /api/settlements/:id has them); a payee’s items carry its own line',
  })
  items: SettlementListItem[];
  @ApiProperty() total: number;
}
