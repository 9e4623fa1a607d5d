import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, JsonColumn, RefColumn, StrColumn } from '../common/persistence/columns';

export type OrganizationType = 'enterprise' | 'provider';
export const ENTERPRISE_KINDS = ['tech_sme', 'high_tech', 'startup_team'] as const;
export type EnterpriseKind = (typeof ENTERPRISE_KINDS)[number];
/**
 * Enterprises are verified by their home bureau (pending_verification → active, or declined) unless their province's
 * qualified list names them; providers pass admission: applied → public_notice → active ⇄ suspended.
 */
export const ORGANIZATION_STATUSES = ['pending_verification', 'declined', 'active', 'applied', 'public_notice', 'suspended'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

@Entity('organization')
@Index(['creditCode'], { unique: true })
@Index(['controllerCreditCode'])
@Index(['status', 'noticeEndsAt'])
@Index(['bankAccountKey'], { unique: true })
@Index(['pendingBankAccountKey'], { unique: true })
export class Organization {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(200) name: string;
  @StrColumn(18) creditCode: string;
  @StrColumn(16) type: OrganizationType;
  @StrColumn(16, { nullable: true }) kind: EnterpriseKind | null;
  @StrColumn(6) regionCode: string;
  @StrColumn(6) provinceCode: string;
  @StrColumn(32) status: OrganizationStatus;
  @StrColumn(18, { nullable: true }) controllerCreditCode: string | null;
  @JsonColumn() relatedCreditCodes: string[];
  @InstantColumn({ nullable: true }) noticeEndsAt: string | null;
  @StrColumn(500, { nullable: true }) statusReason: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
  /** The qualification an enterprise was verified on: 科技型中小企业 入库编号, 高新技术企业 证书编号, or an incubator record. */
  @StrColumn(64, { nullable: true }) certificateNo: string | null;
  @InstantColumn({ nullable: true }) verifiedAt: string | null;
  /** The bureau user who verified it, or null when its province's qualified list named it. */
  @RefColumn({ nullable: true }) verifiedBy: string | null;
  // The profile its admin keeps (PATCH /api/organizations/:id).
  @StrColumn(100, { nullable: true }) contactPerson: string | null;
  @StrColumn(32, { nullable: true }) contactPhone: string | null;
  @StrColumn(254, { nullable: true }) contactEmail: string | null;
  @StrColumn(300, { nullable: true }) address: string | null;
  /** Where a payee is paid: the bank (branch) and the account number, digits only. */
  @StrColumn(100, { nullable: true }) bankName: string | null;
  @StrColumn(34, { nullable: true }) bankAccount: string | null;
  /**
   * The account folded (bankAccountKey), unique: an account is on file for one organization at most, so a lab cannot
   * have its subsidy paid into its client enterprise's account (or any other organization's). Null without an account.
   */
  @StrColumn(34, { nullable: true }) bankAccountKey: string | null;
  @InstantColumn({ nullable: true }) profileUpdatedAt: string | null;
  /**
   * When an account last went on file (filed first, or a change the bureau confirmed); kept when the account is cleared,
   * so that clearing it and filing another is a change the bureau confirms, not a first filing.
   */
  @InstantColumn({ nullable: true }) bankAccountFiledAt: string | null;
  /**
   * A change of an account on file, waiting for the bureau of the organization's region to confirm or reject it; until
   * then settlement pays neither account (the payee is held). Its key is unique, and no organization's account or
   * pending account may share it (OrganizationRepository.accountTaken).
   */
  @StrColumn(100, { nullable: true }) pendingBankName: string | null;
  @StrColumn(34, { nullable: true }) pendingBankAccount: string | null;
  @StrColumn(34, { nullable: true }) pendingBankAccountKey: string | null;
  @InstantColumn({ nullable: true }) pendingBankRequestedAt: string | null;
  /** The person (user) who asked for the change: not the one who may confirm it. */
  @RefColumn({ nullable: true }) pendingBankRequestedBy: string | null;
}

/** A province's list of qualified enterprises: one listed registers as active, verified by the list. */
@Entity('qualified_enterprise')
@Index(['regionCode'])
export class QualifiedEnterprise {
  @PrimaryColumn({ type: 'varchar', length: 18 }) creditCode: string;
  @StrColumn(6) regionCode: string;
  @StrColumn(64) certificateNo: string;
  @InstantColumn() importedAt: string;
  @RefColumn() importedBy: string;
}
