import { Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import type { Role } from '../common/context/request-context';

@Entity('app_user')
@Index(['username'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(64) username: string;
  @StrColumn(200) passwordHash: string;
  @StrColumn(16) role: Role;
  @RefColumn({ nullable: true }) @ForeignKey(() => Organization, { name: 'fk_app_user_organization' }) organizationId: string | null;
  @StrColumn(6, { nullable: true }) regionCode: string | null;
  @InstantColumn() createdAt: string;
}
