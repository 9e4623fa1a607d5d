import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { clock } from '../common/clock';
import { PageQuery } from '../common/http/paging';
import { IsFen, IsOmittable } from '../common/http/validators';
import { Voucher, VoucherApplication, VoucherStatus } from './voucher.entity';
import { effectiveVoucherStatus } from './voucher.time-rules';
import { applicationReason } from './voucher.rules';
import type { Language } from '../common/i18n/messages';
import { HasVisibleText, NoBidiControls } from '../common/http/text';
import { REGION_CODES } from '../regions/regions.data';

export class ApplyInput {
  @ApiProperty({ example: 8_000_000, description: 'requested face value in fen' }) @IsFen(1) amountFen: number;
  @ApiProperty({ example: '透射电镜表征新型电池正极材料' }) @IsString() @Length(1, 500) @NoBidiControls() purpose: string;
}

export class ApproveInput {
  @ApiPropertyOptional({ description: 'approve a lower amount than requested' }) @IsOmittable() @IsFen(1) amountFen?: number;
}

export class ReasonInput {
  @ApiProperty({ example: '申请材料不完整' }) @IsString() @Length(1, 500) @NoBidiControls() @HasVisibleText(1) reason: string;
}

export class VoucherQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['active', 'exhausted', 'expired', 'revoked'] })
  @IsOmittable()
  @IsIn(['active', 'exhausted', 'expired', 'revoked'])
  status?: string;
}

export class ApplicationQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['approved', 'pending_review', 'awaiting_second_approval', 'rejected'] })
  @IsOmittable()
  @IsIn(['approved', 'pending_review', 'awaiting_second_approval', 'rejected'])
  status?: string;
  @ApiPropertyOptional({ example: '340100', description: 'one issuing region only (a province’s bureau takes one city’s queue)' })
  @IsOmittable()
  @IsIn(REGION_CODES)
  issuingRegionCode?: string;
}

/** What a reviewer needs beside an application in a bureau's queue. */
export interface ReviewFacts {
  /** The person reading (personOf: an API key reads as its maker). */
  reviewer?: string;
  /** The enterprise's total granted by the issuing region this year, which the annual cap measures. */
  enterpriseGrantedFen?: number;
}

/** A voucher with the version of the policy it was issued under (a policy's versions are rows of their own, never changed). */
export type VersionedVoucher = Voucher & { policyVersion: number };

export class VoucherView {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'AH-2026-000042' }) serial: string;
  @ApiProperty() verificationCode: string;
  @ApiProperty() issuingRegionCode: string;
  @ApiProperty() enterpriseId: string;
  @ApiPropertyOptional({ description: 'in lists' }) enterpriseName?: string;
  @ApiProperty() policyId: string;
  @ApiProperty({ example: 3, description: 'the version of the issuing region’s policy the voucher was issued under (policyId’s)' })
  policyVersion: number;
  @ApiProperty() budgetYear: number;
  @ApiProperty() faceValueFen: number;
  @ApiProperty() availableFen: number;
  @ApiProperty() heldFen: number;
  @ApiProperty() spentFen: number;
  @ApiProperty({ description: 'given back to the budget by expiry, revocation or a reduced claim' }) releasedFen: number;
  @ApiProperty({ enum: ['active', 'exhausted', 'expired', 'revoked'] }) status: string;
  @ApiProperty() validFrom: string;
  @ApiProperty() validUntil: string;
  @ApiPropertyOptional() statusReason?: string;
  @ApiProperty() createdAt: string;

  static of(v: VersionedVoucher, enterpriseName?: string): VoucherView {
    const {
      id,
      serial,
      verificationCode,
      issuingRegionCode,
      enterpriseId,
      policyId,
      budgetYear,
      faceValueFen,
      availableFen,
      heldFen,
      spentFen,
      releasedFen,
      validFrom,
      validUntil,
      createdAt,
    } = v;
    return {
      id,
      serial,
      verificationCode,
      issuingRegionCode,
      enterpriseId,
      ...(enterpriseName !== undefined ? { enterpriseName } : {}),
      policyId,
      policyVersion: v.policyVersion,
      budgetYear,
      faceValueFen,
      availableFen,
      heldFen,
      spentFen,
      releasedFen,
      status: effectiveVoucherStatus(v, clock.today()),
      validFrom,
      validUntil,
      ...(v.statusReason ? { statusReason: v.statusReason } : {}),
      createdAt,
    };
  }
}

export class ApplicationView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['approved', 'pending_review', 'awaiting_second_approval', 'rejected'] }) status: string;
  @ApiProperty() enterpriseId: string;
  @ApiPropertyOptional({ description: 'in lists' }) enterpriseName?: string;
  @ApiProperty({ type: String, nullable: true }) issuingRegionCode: string | null;
  @ApiProperty() amountFen: number;
  @ApiPropertyOptional() approvedFen?: number;
  @ApiProperty() purpose: string;
  @ApiPropertyOptional({ description: 'the rule that rejected it' }) reasonCode?: string;
  @ApiPropertyOptional({ description: 'why it was rejected: the bureau’s words, or the broken rule in the caller’s language' })
  reason?: string;
  @ApiPropertyOptional({ type: VoucherView }) voucher?: VoucherView;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() decidedAt?: string;
  @ApiPropertyOptional({ description: 'maker-checker: the amount the first of two approvals approved' }) firstApprovedFen?: number;
  @ApiPropertyOptional({
    description:
      'bureau lists, awaiting a second approval: whether the caller (or the person whose API key calls) made the first, and so cannot make the second',
  })
  firstApprovedByYou?: boolean;
  @ApiPropertyOptional({
    description:
      'bureau lists, undecided applications: what the issuing region has granted the enterprise this year already (its annual cap counts it with this application)',
  })
  enterpriseGrantedFen?: number;

  /** `reason` in the caller's language when a rule refused the application (applicationReason); a bureau's as typed. */
  static of(
    a: VoucherApplication,
    lng: Language,
    voucher?: VersionedVoucher | null,
    enterpriseName?: string,
    review: ReviewFacts = {},
  ): ApplicationView {
    const reason = applicationReason(a, lng);
    return {
      id: a.id,
      status: a.status,
      enterpriseId: a.enterpriseId,
      ...(enterpriseName !== undefined ? { enterpriseName } : {}),
      issuingRegionCode: a.issuingRegionCode,
      amountFen: a.amountFen,
      ...(a.approvedFen !== null ? { approvedFen: a.approvedFen } : {}),
      purpose: a.purpose,
      ...(a.reasonCode ? { reasonCode: a.reasonCode } : {}),
      ...(reason ? { reason } : {}),
      ...(voucher ? { voucher: VoucherView.of(voucher) } : {}),
      createdAt: a.createdAt,
      ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
      ...(a.firstApprovedFen !== null ? { firstApprovedFen: a.firstApprovedFen } : {}),
      ...(review.reviewer && a.status === 'awaiting_second_approval' ? { firstApprovedByYou: a.firstApprovedBy === review.reviewer } : {}),
      ...(review.enterpriseGrantedFen !== undefined ? { enterpriseGrantedFen: review.enterpriseGrantedFen } : {}),
    };
  }
}

export class VoucherList {
  @ApiProperty({ type: [VoucherView] }) items: VoucherView[];
  @ApiProperty() total: number;
}

export class ApplicationList {
  @ApiProperty({ type: [ApplicationView] }) items: ApplicationView[];
  @ApiProperty() total: number;
}

export class VerificationView {
  @ApiProperty() valid: boolean;
  @ApiProperty() serial: string;
  @ApiProperty() issuingRegionCode: string;
  @ApiProperty() issuingBureau: string;
  @ApiProperty({ enum: ['active', 'exhausted', 'expired', 'revoked'] }) status: VoucherStatus;
  @ApiProperty() faceValueFen: number;
  @ApiProperty() validUntil: string;
  @ApiPropertyOptional({ description: 'when a revoked voucher was revoked (the reason is its holder’s and its bureau’s only)' })
  revokedAt?: string;
  @ApiPropertyOptional({
    description:
      'present (true) on an active voucher whose holder, or its actual controller, is under a credit sanction in force: it cannot be used until the sanction ends',
  })
  holderSanctioned?: boolean;
}
