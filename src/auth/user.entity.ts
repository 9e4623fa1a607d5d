import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, RefColumn, StrColumn } from '../common/database/columns';
import type { Role } from '../common/context/request-context';

@Entity('app_user')
@Index(['username'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(64) username: string;
  @StrColumn(200) passwordHash: string;
  @StrColumn(16) role: Role;
  @RefColumn({ nullable: true }) organizationId: string | null;
  @StrColumn(6, { nullable: true }) regionCode: string | null;
  @InstantColumn() createdAt: string;
}
