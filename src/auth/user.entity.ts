import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { Role } from '../common/context/request-context';
import { InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import { Organization } from '../organizations/organization.entity';

@Entity('app_user')
@Index(['username'], { unique: true })
// SQLite only, on LOWER(username), which TypeORM cannot declare: the schema builder leaves it be (migration UsernamesFolded).
@Index('idx_app_user_username_folded', { synchronize: false })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(64) username: string;
  @StrColumn(200) passwordHash: string;
  @StrColumn(16) role: Role;
  @RefColumn({ nullable: true }) @ForeignKey(() => Organization, { name: 'fk_app_user_organization' }) organizationId: string | null;
  @StrColumn(6, { nullable: true }) regionCode: string | null;
  @InstantColumn() createdAt: string;
  /** Manages the users of its organization, or of its bureau's region. */
  @Column({ type: 'boolean', default: false }) admin: boolean;
  @StrColumn(200, { nullable: true }) email: string | null;
  /** When its holder confirmed `email` with the code mailed to it: only a confirmed address is mailed notices. */
  @InstantColumn({ nullable: true }) emailVerifiedAt: string | null;
  /** The SHA-256 of the one-time code mailed to an address set or changed, usable until `emailCodeExpiresAt`. */
  @StrColumn(64, { nullable: true }) emailCodeHash: string | null;
  @InstantColumn({ nullable: true }) emailCodeExpiresAt: string | null;
  /** A disabled user's sessions end at once and it cannot log in. */
  @InstantColumn({ nullable: true }) disabledAt: string | null;
  /** The TOTP secret, encrypted (AES-256-GCM) with MFA_ENCRYPTION_KEY; set at setup, in force once enabled. */
  @StrColumn(200, { nullable: true }) mfaSecret: string | null;
  @InstantColumn({ nullable: true }) mfaEnabledAt: string | null;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  @IntColumn({ nullable: true }) mfaLastStep: number | null;
  @InstantColumn({ nullable: true }) passwordChangedAt: string | null;
  /** The admin who made the account; null for one made at registration or by the seed. */
  @RefColumn({ nullable: true }) createdBy: string | null;
  /**
   * Null while a bureau account made by a bureau admin waits for a second person to activate it (it cannot log in):
   * one admin alone cannot make the second person of maker-checker.
   */
  @InstantColumn({ nullable: true }) activatedAt: string | null;
  /**
   * Set at activation: the SHA-256 of the one-time code the activator hands the account's holder, who sets a password
   * of their own with it (POST /api/auth/setup). The maker chose the first password; until the code is used the
   * account does not log in.
   */
  @StrColumn(64, { nullable: true }) setupCodeHash: string | null;
  @InstantColumn({ nullable: true }) setupCodeExpiresAt: string | null;
  /** The admin who last reset the account's sign-in: for a bureau account, never the second person who issues its new code. */
  @RefColumn({ nullable: true }) signInResetBy: string | null;
  /** The admin who issued the setup code in force: if that admin is then reset or disabled, the code stops working. */
  @RefColumn({ nullable: true }) setupCodeIssuedBy: string | null;
}
