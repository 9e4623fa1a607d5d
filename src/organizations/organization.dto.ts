import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { creditCodeProblem } from './credit-code';
import { ENTERPRISE_KINDS, Organization, ORGANIZATION_STATUSES } from './organization.entity';
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

export class VerifyEnterpriseInput {
  @ApiProperty({
    example: '202634010400123',
    description: '科技型中小企业 入库编号, 高新技术企业 证书编号, or the incubator record of a team',
  })
  @IsString()
  @Length(1, 64)
  @NoBidiControls()
  certificateNo: string;
}

export class DeclineEnterpriseInput {
  @ApiProperty({ example: '入库编号与企业不符' }) @IsString() @Length(1, 500) reason: string;
}

export class QualifiedRowInput {
  @ApiProperty({ example: '91340100MA2T8XQ21W' }) @IsString() @Length(1, 40) creditCode: string;
  @ApiProperty({ example: '202634010400123' }) @IsString() @Length(0, 200) certificateNo: string;
}

export class QualifiedListInput {
  @ApiProperty({ type: [QualifiedRowInput], description: 'or the same rows as text/csv: creditCode,certificateNo' })
  @IsArray()
  @ArrayMaxSize(100_000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => QualifiedRowInput)
  rows: QualifiedRowInput[];
}

export class QualifiedImportView {
  @ApiProperty({ description: 'rows loaded (new, updated or unchanged)' }) imported: number;
  @ApiProperty({ type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } } })
  rejected: { line: number; reason: string }[];
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
  @ApiProperty({ enum: ORGANIZATION_STATUSES }) status: string;
  @ApiProperty({ nullable: true }) controllerCreditCode: string | null;
  @ApiProperty({ type: [String] }) relatedCreditCodes: string[];
  @ApiProperty({ nullable: true }) noticeEndsAt: string | null;
  @ApiProperty({ nullable: true }) statusReason: string | null;
  @ApiProperty({ nullable: true, description: 'the qualification an enterprise was verified on' }) certificateNo: string | null;
  @ApiProperty({ nullable: true }) verifiedAt: string | null;

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
      certificateNo,
      verifiedAt,
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
      certificateNo,
      verifiedAt,
    };
  }
}
