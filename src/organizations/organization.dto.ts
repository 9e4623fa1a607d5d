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
import { HasVisibleText, NoBidiControls, OneLine } from '../common/http/text';
import { IsMailbox, IsOmittable } from '../common/http/validators';
import { IsBankAccount, IsPhone, maskBankAccount } from './profile.rules';

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
  @ApiProperty({ example: '合肥微纳新材料科技有限公司' }) @IsString() @Length(2, 200) @OneLine() @HasVisibleText(2) name: string;
  @ApiProperty({ example: '91340100MA2T8XQ21W', description: '18-character unified social credit code (GB 32100)' })
  @IsCreditCode()
  creditCode: string;
  @ApiPropertyOptional({ enum: ENTERPRISE_KINDS, description: 'enterprises only; default tech_sme' })
  @IsOmittable()
  @IsIn(ENTERPRISE_KINDS)
  kind?: (typeof ENTERPRISE_KINDS)[number];
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "actual controller's credit code; an enterprise declaring one waits for its bureau's verification even when listed",
  })
  @IsOptional()
  @IsCreditCode()
  controllerCreditCode?: string | null;
  @ApiPropertyOptional({ type: [String], description: 'credit codes of shareholders, parent, subsidiaries' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsCreditCode({ each: true })
  relatedCreditCodes?: string[];
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'GR202634000123',
    description:
      "enterprises: the certificate number of its qualification (高新技术企业 证书编号, 科技型中小企业 入库编号). A listed enterprise is active at registration only when it names the number its province's qualified list holds; otherwise it waits for its bureau, which sees the number stated",
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @OneLine()
  certificateNo?: string | null;
}

export class AdmitProviderInput {
  @ApiPropertyOptional({ description: 'public notice period in days; 0 activates at once', default: 7, minimum: 0, maximum: 60 })
  @IsOmittable()
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
  @OneLine()
  certificateNo: string;
  @ApiPropertyOptional({
    example: '核验时证书编号录入有误',
    description:
      'only to correct the certificate number of an enterprise already verified (without it, 409): why; audited with the number it was',
  })
  @IsOmittable()
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason?: string;
}

export class DeclineEnterpriseInput {
  @ApiProperty({ example: '入库编号与企业不符' }) @IsString() @Length(1, 500) @NoBidiControls() @HasVisibleText(1) reason: string;
}

export class RejectBankChangeInput {
  @ApiProperty({ example: '开户许可证与所填账户不符' }) @IsString() @Length(1, 500) @NoBidiControls() @HasVisibleText(1) reason: string;
}

export class QualifiedRowInput {
  @ApiProperty({ example: '91340100MA2T8XQ21W' }) @IsString() @Length(1, 40) creditCode: string;
  @ApiProperty({ example: '202634010400123' }) @IsString() @Length(0, 200) certificateNo: string;
}

/** The most rows one load of a qualified list takes, as JSON or as CSV: a province's whole list. */
export const MAX_QUALIFIED_ROWS = 100_000;

export class QualifiedListInput {
  @ApiProperty({ type: [QualifiedRowInput], description: 'or the same rows as text/csv: creditCode,certificateNo' })
  @IsArray()
  @ArrayMaxSize(MAX_QUALIFIED_ROWS)
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
  @ApiProperty({ example: 'falsified usage records' }) @IsString() @Length(1, 500) @NoBidiControls() @HasVisibleText(1) reason: string;
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
  @ApiProperty({ type: String, nullable: true }) controllerCreditCode: string | null;
  @ApiProperty({ type: [String] }) relatedCreditCodes: string[];
  @ApiProperty({ type: String, nullable: true }) noticeEndsAt: string | null;
  @ApiProperty({ type: String, nullable: true }) statusReason: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the qualification an enterprise was verified on; while it waits for verification or was declined, the number it stated',
  })
  certificateNo: string | null;
  @ApiProperty({ type: String, nullable: true }) verifiedAt: string | null;
  @ApiProperty({ type: String, nullable: true, example: '王敏' }) contactPerson: string | null;
  @ApiProperty({ type: String, nullable: true, example: '0551-65123456' }) contactPhone: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'finance@micronano.example.cn' }) contactEmail: string | null;
  @ApiProperty({ type: String, nullable: true, example: '安徽省合肥市蜀山区望江西路 800 号' }) address: string | null;
  @ApiProperty({ type: String, nullable: true, example: '中国工商银行合肥科技支行' }) bankName: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '**** **** 4321',
    description: 'masked to all but the last four digits; in full only on settlement lines and statements, to the paying bureau',
  })
  bankAccount: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'when its admin last changed the profile (the audit log has each change)' })
  profileUpdatedAt: string | null;
  @ApiPropertyOptional({
    description: 'a change of bank account waiting for the bureau of the organization’s region (absent when none waits): the bank',
    example: '招商银行合肥分行',
  })
  pendingBankName?: string;
  @ApiPropertyOptional({
    description:
      'the account of the change waiting for the bureau, masked; until the bureau confirms it, settlement pays neither account (the payee is held)',
    example: '**** **** 9876',
  })
  pendingBankAccount?: string;
  @ApiPropertyOptional({ description: 'when the change waiting for the bureau was asked for' })
  pendingBankRequestedAt?: string;

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
      contactPerson: o.contactPerson ?? null,
      contactPhone: o.contactPhone ?? null,
      contactEmail: o.contactEmail ?? null,
      address: o.address ?? null,
      bankName: o.bankName ?? null,
      bankAccount: maskBankAccount(o.bankAccount),
      profileUpdatedAt: o.profileUpdatedAt ?? null,
      ...(o.pendingBankAccount
        ? {
            pendingBankName: o.pendingBankName ?? undefined,
            pendingBankAccount: maskBankAccount(o.pendingBankAccount)!,
            pendingBankRequestedAt: o.pendingBankRequestedAt ?? undefined,
          }
        : {}),
    };
  }
}

/** What an organization's admin may change of its profile; every field optional, at least one present; null clears one. */
export class UpdateProfileInput {
  @ApiPropertyOptional({ type: String, nullable: true, example: '王敏' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @OneLine()
  contactPerson?: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '0551-65123456',
    description: 'a mainland mobile (13800138000) or a landline with area code',
  })
  @IsOptional()
  @IsPhone()
  contactPhone?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'finance@micronano.example.cn' })
  @IsOptional()
  @IsMailbox()
  @Length(3, 254)
  contactEmail?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '安徽省合肥市蜀山区望江西路 800 号' })
  @IsOptional()
  @IsString()
  @Length(2, 300)
  @OneLine()
  address?: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '中国工商银行合肥科技支行',
    description: 'payees: the bank (branch) settlements are paid into',
  })
  @IsOptional()
  @IsString()
  @Length(2, 100)
  @OneLine()
  bankName?: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '1302 0108 0920 0054 321',
    description: 'payees: 8–30 digits, spaces between groups allowed; needs bankName',
  })
  @IsOptional()
  @IsBankAccount()
  bankAccount?: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "actual controller's credit code; audited, and used for caps aggregated by controller",
  })
  @IsOptional()
  @IsCreditCode()
  controllerCreditCode?: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: [String],
    description: 'credit codes of shareholders, parent, subsidiaries: replaces the list; audited',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsCreditCode({ each: true })
  relatedCreditCodes?: string[] | null;
}
