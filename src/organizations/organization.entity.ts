import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, JsonColumn, StrColumn } from '../common/persistence/columns';

export type OrganizationType = 'enterprise' | 'provider';
export const ENTERPRISE_KINDS = ['tech_sme', 'high_tech', 'startup_team'] as const;
export type EnterpriseKind = (typeof ENTERPRISE_KINDS)[number];
/** Enterprises start active; providers pass admission: applied → public_notice → active ⇄ suspended. */
export type OrganizationStatus = 'active' | 'applied' | 'public_notice' | 'suspended';

@Entity('organization')
@Index(['creditCode'], { unique: true })
@Index(['controllerCreditCode'])
@Index(['status', 'noticeEndsAt'])
export class Organization {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(200) name: string;
  @StrColumn(18) creditCode: string;
  @StrColumn(16) type: OrganizationType;
  @StrColumn(16, { nullable: true }) kind: EnterpriseKind | null;
  @StrColumn(6) regionCode: string;
  @StrColumn(6) provinceCode: string;
  @StrColumn(16) status: OrganizationStatus;
  @StrColumn(18, { nullable: true }) controllerCreditCode: string | null;
  @JsonColumn() relatedCreditCodes: string[];
  @InstantColumn({ nullable: true }) noticeEndsAt: string | null;
  @StrColumn(500, { nullable: true }) statusReason: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
}
