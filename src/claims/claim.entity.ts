import { Entity, Index, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn, JsonColumn, RefColumn, StrColumn } from '../common/database/columns';

export const CLAIM_STATUSES = ['submitted', 'approved', 'rejected'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export interface ClaimEvidence {
  contractNo: string;
  invoiceNo: string;
  paymentProofRef?: string;
  reportRef?: string;
}

@Entity('claim')
@Index(['issuingRegionCode', 'status'])
@Index(['claimantId'])
@Index(['settlementId'])
export class Claim {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() claimantId: string;
  @StrColumn(6) issuingRegionCode: string;
  @FenColumn() claimedFen: number;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(16) status: ClaimStatus;
  @JsonColumn() evidence: ClaimEvidence;
  @JsonColumn() redemptionIds: string[];
  @StrColumn(500, { nullable: true }) reason: string | null;
  @RefColumn({ nullable: true }) settlementId: string | null;
  @RefColumn({ nullable: true }) reviewedBy: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) decidedAt: string | null;
}
