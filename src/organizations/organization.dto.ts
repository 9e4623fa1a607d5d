import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { creditCodeProblem } from './credit-code';
import { ENTERPRISE_KINDS, Organization } from './organization.entity';
import { NoBidiControls } from '../common/http/text';

/** Validates a unified social credit code and names the exact problem. */
export function IsCreditCode(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCreditCode',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => creditCodeProblem(value) === null,
        defaultMessage: (args) => `${args?.property} is not a valid unified social credit code: ${creditCodeProblem(args?.value)}`,
      },
    });
}

export class OrganizationInput {
  @ApiProperty({ example: '合肥微纳新材料科技有限公司' }) @IsString() @Length(2, 200) @NoBidiControls() name: string;
  @ApiProperty({ example: '91340100MA2T8XQ21W', description: '18-character unified social credit code (GB 32100)' })
  @IsCreditCode()
  creditCode: string;
  @ApiPropertyOptional({ enum: ENTERPRISE_KINDS, description: 'enterprises only; default tech_sme' })
  @IsOptional()
  @IsIn(ENTERPRISE_KINDS)
  kind?: (typeof ENTERPRISE_KINDS)[number];
  @ApiPropertyOptional({ description: "actual controller's credit code" }) @IsOptional() @IsCreditCode() controllerCreditCode?: string;
  @ApiPropertyOptional({ type: [String], description: 'credit codes of shareholders, parent, subsidiaries' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsCreditCode({ each: true })
  relatedCreditCodes?: string[];
}

export class AdmitProviderInput {
  @ApiPropertyOptional({ description: 'public notice period in days; 0 activates at once', default: 7, minimum: 0, maximum: 60 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60)
  noticeDays?: number;
}

export class SuspendProviderInput {
  @ApiProperty({ example: 'falsified usage records' }) @IsString() @Length(1, 500) reason: string;
}

export class OrganizationView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() creditCode: string;
  @ApiProperty({ enum: ['enterprise', 'provider'] }) type: string;
  @ApiProperty({ nullable: true, enum: ENTERPRISE_KINDS }) kind: string | null;
  @ApiProperty({ example: '340100' }) regionCode: string;
  @ApiProperty({ example: '340000' }) provinceCode: string;
  @ApiProperty({ enum: ['active', 'applied', 'public_notice', 'suspended'] }) status: string;
  @ApiProperty({ nullable: true }) controllerCreditCode: string | null;
  @ApiProperty({ type: [String] }) relatedCreditCodes: string[];
  @ApiProperty({ nullable: true }) noticeEndsAt: string | null;
  @ApiProperty({ nullable: true }) statusReason: string | null;

  static of(o: Organization): OrganizationView {
    const {
      id,
      name,
      creditCode,
      type,
      kind,
      regionCode,
      provinceCode,
      status,
      controllerCreditCode,
      relatedCreditCodes,
      noticeEndsAt,
      statusReason,
    } = o;
    return {
      id,
      name,
      creditCode,
      type,
      kind,
      regionCode,
      provinceCode,
      status,
      controllerCreditCode,
      relatedCreditCodes,
      noticeEndsAt,
      statusReason,
    };
  }
}
