import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { FenColumn, InPlaceRefColumn, InstantColumn, JsonColumn, RefColumn, StrColumn } from '../common/persistence/columns';

export const CLAIM_STATUSES = ['submitted', 'awaiting_second_approval', 'approved', 'rejected'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export interface ClaimEvidence {
  contractNo: string;
  invoiceNo: string;
  paymentProofRef?: string;
  reportRef?: string;
}

@Entity('claim')
@Check('chk_claim_amounts', 'claimed_fen >= 0 AND (approved_fen IS NULL OR (approved_fen >= 0 AND approved_fen <= claimed_fen))')
@Index(['issuingRegionCode', 'status'])
@Index(['claimantId'])
@Index(['settlementId'])
@Index(['claimantId', 'invoiceKey'], { unique: true })
export class Claim {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_claim_claimant' }) claimantId: string;
  @StrColumn(6) issuingRegionCode: string;
  @FenColumn() claimedFen: number;
  @FenColumn({ nullable: true }) approvedFen: number | null;
  @StrColumn(32) status: ClaimStatus;
  @JsonColumn() evidence: ClaimEvidence;
  @JsonColumn() redemptionIds: string[];
  @StrColumn(500, { nullable: true }) reason: string | null;
  /**
   * No foreign key: a batch marks its claims before its own row is written complete (CreateSettlement). On MariaDB an
   * ASCII CHAR in a REDUNDANT row, so that marking a batch writes in place (migration ClaimBatchInPlace); joined to a
   * utf8mb4 column its index would not be used, so it is compared with values.
   */
  @InPlaceRefColumn({ nullable: true }) settlementId: string | null;
  @RefColumn({ nullable: true }) reviewedBy: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) decidedAt: string | null;
  /** The invoice number while the claim stands (null once rejected): unique per claimant, so no invoice is claimed twice. */
  @StrColumn(64, { nullable: true }) invoiceKey: string | null;
  /** Maker-checker: the first of two approvals above the policy's dualControlFen, and the amount it approved. */
  @RefColumn({ nullable: true }) firstApprovedBy: string | null;
  @FenColumn({ nullable: true }) firstApprovedFen: number | null;
  /** The API key the first approval was given through (null in a session): its revocation withdraws the approval. */
  @RefColumn({ nullable: true }) firstApprovedKey: string | null;
  /** The session it was given in (null through a key): a password change withdraws those not given in its own session. */
  @RefColumn({ nullable: true }) firstApprovedSession: string | null;
  /**
   * A rejection for good (终局驳回): its redemptions stay bound to this claim, annulled, their captured subsidy returned,
   * and can never be claimed again. False for a rejection that lets the payee claim them again, and for claims not
   * rejected.
   */
  @Column({ type: 'boolean', default: false }) finalRejection: boolean;
}

/**
 * An invoice a standing claim holds, under each lab whose redemptions the claim takes in (the lab issued it): one key
 * per lab and invoice, so one invoice backs one claim whoever claims it — the lab for its provider-redeemed services, an
 * enterprise for those it paid in full. (The claim's own unique key is per claimant: a lab and an enterprise each
 * claiming another service on one invoice of the lab passed it.) Released by a rejection that lets the invoice be
 * claimed again, kept by one for good, as the claim's invoice key is.
 */
@Entity('claimed_invoice')
@Index(['claimId'])
export class ClaimedInvoice {
  @PrimaryColumn({ type: 'varchar', length: 36 }) providerId: string;
  @PrimaryColumn({ type: 'varchar', length: 64 }) invoiceKey: string;
  @RefColumn() @ForeignKey(() => Claim, { name: 'fk_claimed_invoice_claim' }) claimId: string;
}
