import { sanctionInForce } from './sanction.time-rules';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateBy } from 'class-validator';
import { clock } from '../common/clock';
import { PageQuery } from '../common/http/paging';
import { HasVisibleText, NoBidiControls } from '../common/http/text';
import { IsCalendarDate, IsOmittable } from '../common/http/validators';
import { IsCreditCode } from '../organizations/organization.dto';
import { Sanction } from './sanction.entity';

export const SANCTION_STATUSES = ['active', 'lifted'] as const;

const IsNotPast = () =>
  ValidateBy({
    name: 'isNotPast',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && v >= clock.today(),
      defaultMessage: (a) => `${a?.property} must not be in the past (today is ${clock.today()})`,
    },
  });

export class RecordSanctionInput {
  @ApiProperty({ example: '91340100MA2T8XQ21W', description: 'credit code of the sanctioned organization; it need not be registered yet' })
  @IsCreditCode()
  creditCode: string;
  @ApiProperty({ example: '伪造检测报告骗取创新券补贴', minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '2028-12-31',
    description: 'last day in force (YYYY-MM-DD, today or later); left out or null: until lifted',
  })
  @IsOptional()
  @IsCalendarDate()
  @IsNotPast()
  until?: string | null;
}

export class LiftSanctionInput {
  @ApiPropertyOptional({
    example: '已完成信用修复：退回违规补贴并公开承诺',
    minLength: 1,
    maxLength: 500,
    description: 'why it is lifted (信用修复, a ruling overturned, recorded in error); kept beside the sanction and audited',
  })
  @IsOmittable()
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason?: string;
}

export class SanctionQuery extends PageQuery {
  @ApiPropertyOptional() @IsOmittable() @IsCreditCode() creditCode?: string;
  @ApiPropertyOptional({ enum: SANCTION_STATUSES }) @IsOmittable() @IsIn(SANCTION_STATUSES) status?: (typeof SANCTION_STATUSES)[number];
}

export class SanctionView {
  @ApiProperty() id: string;
  @ApiProperty() creditCode: string;
  @ApiProperty() reason: string;
  @ApiProperty({ type: String, nullable: true, example: '2028-12-31' }) until: string | null;
  @ApiProperty({ enum: SANCTION_STATUSES }) status: 'active' | 'lifted';
  @ApiProperty({ description: 'active and not past its until date on the day of the response' }) inForce: boolean;
  @ApiProperty({ example: '340000' }) recordedRegionCode: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) liftedAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'why it was lifted, when the bureau said' }) liftReason: string | null;

  static of(s: Sanction): SanctionView {
    const { id, creditCode, reason, until, status, recordedRegionCode, createdAt, liftedAt, liftReason } = s;
    const inForce = sanctionInForce.holds(s, clock.today());
    return { id, creditCode, reason, until, status, inForce, recordedRegionCode, createdAt, liftedAt, liftReason };
  }
}

export class SanctionPage {
  @ApiProperty({ type: [SanctionView] }) items: SanctionView[];
  @ApiProperty() total: number;
}
