import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsString,
  IsUUID,
  Length,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../common/http/paging';
import { IsFen, IsOmittable } from '../common/http/validators';
import { REGION_CODES } from '../regions/regions.data';
import { Claim, CLAIM_STATUSES } from './claim.entity';
import { HasVisibleText, NoBidiControls, OneLine } from '../common/http/text';
import { invoiceKey, isInvoiceKey } from './claim.rules';
import type { Names } from '../organizations/names.repository';

/** One claim covers at most this many redemptions: its id list is stored in a TEXT column (64 KiB on MariaDB). */
export const MAX_REDEMPTIONS_PER_CLAIM = 500;

/** An invoice number is letters A–Z and digits once folded (invoiceKey): "  - " or "Ѕ１" names no invoice. */
const IsInvoiceNo = () =>
  ValidateBy({
    name: 'isInvoiceNo',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || isInvoiceKey(invoiceKey(value)),
      defaultMessage: (a) =>
        `${a?.property} must be the letters A–Z and digits of an invoice number (spaces and dashes between are ignored)`,
    },
  });

export class EvidenceInput {
  @ApiProperty({ example: 'HT-2026-0137', description: 'service contract number' })
  @IsString()
  @Length(1, 64)
  @OneLine()
  contractNo: string;
  @ApiProperty({ example: '31002613702', description: 'invoice number; spaces, dashes and full-width forms do not make another invoice' })
  @IsString()
  @Length(1, 64)
  @OneLine()
  @IsInvoiceNo()
  invoiceNo: string;
  @ApiPropertyOptional({ example: 'BANK-20260412-8841', description: 'proof that the self-paid share was received' })
  @IsOmittable()
  @IsString()
  @Length(1, 64)
  @OneLine()
  paymentProofRef?: string;
  @ApiPropertyOptional({ example: 'RPT-TEM-2026-0412', description: 'service report reference' })
  @IsOmittable()
  @IsString()
  @Length(1, 64)
  @OneLine()
  reportRef?: string;
}

export class SubmitClaimInput {
  @ApiProperty({
    type: [String],
    description: `captured redemptions of one issuing region, payable to the caller (1–${MAX_REDEMPTIONS_PER_CLAIM})`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REDEMPTIONS_PER_CLAIM)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  redemptionIds: string[];
  @ApiProperty({ type: EvidenceInput }) @IsObject() @ValidateNested() @Type(() => EvidenceInput) evidence: EvidenceInput;
}

export class ApproveClaimInput {
  @ApiPropertyOptional({ description: 'approve less than claimed (at least 1 fen; to pay nothing, reject); default: the claimed amount' })
  @IsOmittable()
  @IsFen(1)
  approvedFen?: number;

  @ApiPropertyOptional({
    example: '超出合同约定服务内容的 2 个样品不予补贴',
    maxLength: 500,
    description:
      'why less than claimed is approved (核减理由), shown to the payee on the claim, in its notice and in the claim.decided event; only with an approvedFen below the claimed amount (a full approval takes none: 400)',
  })
  @IsOmittable()
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason?: string;
}

export class RejectClaimInput {
  @ApiProperty({ example: '发票金额与合同不符' }) @IsString() @Length(1, 500) @NoBidiControls() @HasVisibleText(1) reason: string;
  @ApiPropertyOptional({
    default: false,
    description:
      'false (default): the payee may claim the redemptions again with corrected evidence. true: a rejection for good (终局驳回, ' +
      'e.g. a fake invoice): the redemptions are annulled and can never be claimed again (a later claim with any of them is 409 ' +
      'INVALID_STATE), and their captured subsidy goes back in the same transaction: to the voucher while it is active or ' +
      'exhausted (exhausted becomes active), to the issuing budget when it expired or was revoked, no longer counting against ' +
      'the annual grant.',
  })
  @IsOmittable()
  @IsBoolean()
  final?: boolean;
}

export class ClaimQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CLAIM_STATUSES }) @IsOmittable() @IsIn(CLAIM_STATUSES) status?: Claim['status'];
  @ApiPropertyOptional({ example: '340100' })
  @IsOmittable()
  @IsIn(REGION_CODES, { message: 'issuingRegionCode must be a province or city of the region list' })
  issuingRegionCode?: string;
  @ApiPropertyOptional({ description: 'the claims a settlement batch pays (a payee sees its own among them)' })
  @IsOmittable()
  @IsUUID()
  settlementId?: string;
}

export class ClaimEvidenceView {
  @ApiProperty() contractNo: string;
  @ApiProperty() invoiceNo: string;
  @ApiPropertyOptional() paymentProofRef?: string;
  @ApiPropertyOptional() reportRef?: string;
}

export class ClaimView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: CLAIM_STATUSES }) status: Claim['status'];
  @ApiProperty({ description: 'the payee: provider (provider_redeemed) or enterprise (enterprise_reimbursed)' }) claimantId: string;
  @ApiPropertyOptional({ description: 'in lists' }) claimantName?: string;
  @ApiProperty() issuingRegionCode: string;
  @ApiProperty({ description: 'the captured subsidy of its redemptions' }) claimedFen: number;
  @ApiPropertyOptional({ description: 'set on approval' }) approvedFen?: number;
  @ApiPropertyOptional({ description: 'awaiting a second approval: what the first approver approved' }) firstApprovedFen?: number;
  @ApiProperty({ type: [String] }) redemptionIds: string[];
  @ApiProperty({ type: ClaimEvidenceView }) evidence: ClaimEvidenceView;
  @ApiPropertyOptional({ description: 'why it was rejected, or why less than claimed was approved (核减理由)' }) reason?: string;
  @ApiPropertyOptional({
    description: 'on a rejected claim: true when rejected for good (终局驳回), so that its redemptions can never be claimed again',
  })
  final?: boolean;
  @ApiPropertyOptional({ description: 'the settlement batch that pays it' }) settlementId?: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() decidedAt?: string;
  @ApiPropertyOptional({
    description:
      'bureau lists, awaiting a second approval: whether the caller (or the person whose API key calls) made the first, and so cannot make the second',
  })
  firstApprovedByYou?: boolean;

  /** `reviewer`: the bureau person reading a list (personOf), told which claims await someone else's second approval. */
  static of(c: Claim, names?: Names, reviewer?: string): ClaimView {
    const claimantName = names?.get(c.claimantId);
    return {
      id: c.id,
      status: c.status,
      claimantId: c.claimantId,
      ...(claimantName ? { claimantName } : {}),
      issuingRegionCode: c.issuingRegionCode,
      claimedFen: c.claimedFen,
      ...(c.approvedFen !== null ? { approvedFen: c.approvedFen } : {}),
      ...(c.firstApprovedFen !== null ? { firstApprovedFen: c.firstApprovedFen } : {}),
      redemptionIds: c.redemptionIds,
      evidence: c.evidence,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.status === 'rejected' ? { final: c.finalRejection === true } : {}),
      ...(c.settlementId ? { settlementId: c.settlementId } : {}),
      createdAt: c.createdAt,
      ...(c.decidedAt ? { decidedAt: c.decidedAt } : {}),
      ...(reviewer && c.status === 'awaiting_second_approval' ? { firstApprovedByYou: c.firstApprovedBy === reviewer } : {}),
    };
  }
}

export class ClaimPage {
  @ApiProperty({ type: [ClaimView] }) items: ClaimView[];
  @ApiProperty() total: number;
}
