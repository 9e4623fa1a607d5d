import { Injectable } from '@nestjs/common';
import type { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { inRegion } from '../common/persistence/scope.sql';
import { sql } from '../common/persistence/sql';
import { User } from './user.entity';
import { setupCodeUsable } from './user.time-rules';

/** Who a staff list covers: one organization's users, or the bureau users of one region, or the platform's. */
export type UserGroup = { organizationId: string } | { role: 'bureau'; regionCode: string } | { role: 'platform' };

@Injectable()
export class UserRepository {
  constructor(private readonly db: Database) {}

  insert(user: User): Promise<void> {
    return this.db.insert(User, [user]);
  }

  async get(id: string): Promise<User | undefined> {
    return (await this.db.select(User, 'u', sql`WHERE u.id = ${id}`))[0];
  }

  /**
   * Whether a username is taken, whatever its case: `Bureau-AH-2` beside `bureau-ah-2` would mislead whoever activates
   * or reads the audit log. MariaDB's collation compares so, through the unique index; SQLite's does not, and reads
   * the index on the folded name (migration UsernamesFolded).
   */
  async usernameTaken(username: string): Promise<boolean> {
    return (await this.byUsername(username)) !== undefined;
  }

  /**
   * The user of this username whatever its case (unique so: see usernameTaken), as MariaDB compares; on SQLite too, so
   * that a login, a setup or an audit entry finds the same account on both.
   */
  async byUsername(username: string): Promise<User | undefined> {
    const where = this.db.dialect === 'sqlite' ? sql`LOWER(u.username) = ${username.toLowerCase()}` : sql`u.username = ${username}`;
    return (await this.db.select(User, 'u', sql`WHERE ${where}`))[0];
  }

  lock(id: string): Promise<User | null> {
    return this.db.lock(User, { id });
  }

  async any(): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM app_user LIMIT 1`)) !== undefined;
  }

  async inGroup(group: UserGroup, page: { limit: number; offset: number }): Promise<Page<User>> {
    const where =
      'organizationId' in group
        ? sql`WHERE u.organization_id = ${group.organizationId}`
        : group.role === 'bureau'
          ? sql`WHERE u.role = 'bureau' AND ${inRegion('u.region_code', group.regionCode)}`
          : sql`WHERE u.role = 'platform'`;
    return this.db.page(User, 'u', where, sql`u.created_at, u.id`, page);
  }

  /**
   * Bureau and platform accounts an admin made, or reset the sign-in of, that still wait for a second person: to
   * activate them, or (activated) for their holder to set a password with the setup code, other than those the asking
   * admin made or reset. Oldest first; one region's bureau accounts (a province's with its cities'), or every region's and the platform's.
   */
  async awaitingSecondPerson(q: { regionCode: string | null; notMadeBy: string; limit: number; offset: number }): Promise<Page<User>> {
    const whose = q.regionCode
      ? sql`u.role = 'bureau' AND ${inRegion('u.region_code', q.regionCode)}`
      : // the platform's: bureau and platform accounts, and organizations' users a platform admin reset
        sql`(u.role IN ('bureau', 'platform')
             OR (u.organization_id IS NOT NULL AND u.sign_in_reset_by IN (SELECT p.id FROM app_user p WHERE p.role = 'platform')))`;
    const where = sql`WHERE ${whose} AND (u.created_by IS NOT NULL OR u.sign_in_reset_by IS NOT NULL) AND u.disabled_at IS NULL
            AND COALESCE(u.created_by, '') <> ${q.notMadeBy} AND COALESCE(u.sign_in_reset_by, '') <> ${q.notMadeBy}
            AND (u.activated_at IS NULL OR u.setup_code_hash IS NOT NULL)`;
    return this.db.page(User, 'u', where, sql`u.created_at, u.id`, q);
  }

  /**
   * The admins of the platform, or of a province's bureau, that `npm run first-admin` counts (FirstAdmins): those who can
   * sign in (enabled, activated, not waiting for a setup code), and the first admins it made whose holder has not set a
   * password yet while their code is usable. One whose sign-in was reset waits for another admin to issue its code and
   * counts with neither.
   */
  async firstAdminsCounted(role: 'platform' | 'bureau', regionCode: string | null, now: string): Promise<number> {
    const region = regionCode === null ? sql`u.region_code IS NULL` : sql`u.region_code = ${regionCode}`;
    const row = await this.db.row<{ n: number | string }>(
      sql`SELECT COUNT(*) AS n FROM app_user u WHERE u.role = ${role} AND ${region} AND u.admin = 1 AND u.disabled_at IS NULL
            AND u.activated_at IS NOT NULL
            AND (u.setup_code_hash IS NULL
                 OR (u.created_by IS NULL AND u.sign_in_reset_by IS NULL AND u.setup_code_issued_by IS NULL AND ${setupCodeUsable.sql('u', now)}))`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * The first-admin command's turn for a group (`platform` or a province's code): its row written first in the unit of
   * work, so that runs for one group, in any process, count each other's admins (a row lock on MariaDB/MySQL, SQLite's
   * write lock). False when the group has no row.
   */
  async takeFirstAdminTurn(group: string): Promise<boolean> {
    return (await this.db.execute(sql`UPDATE first_admin_group SET made = made + 1 WHERE group_code = ${group}`)) === 1;
  }

  /** A first admin's one-time setup code (see FirstAdmins): its password matches nothing until the holder sets one. */
  async issueFirstSetupCode(id: string, setupCodeHash: string, expiresAt: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE app_user SET setup_code_hash = ${setupCodeHash}, setup_code_expires_at = ${expiresAt} WHERE id = ${id}`,
    );
  }

  async setPassword(id: string, passwordHash: string, at: string): Promise<void> {
    await this.db.execute(sql`UPDATE app_user SET password_hash = ${passwordHash}, password_changed_at = ${at} WHERE id = ${id}`);
  }

  /** Activates the account (or renews its setup code) with a new one-time setup code's hash. */
  async activate(id: string, by: string, at: string, setupCodeHash: string, expiresAt: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE app_user SET activated_at = COALESCE(activated_at, ${at}), setup_code_hash = ${setupCodeHash}, setup_code_expires_at = ${expiresAt},
              setup_code_issued_by = ${by}
            WHERE id = ${id} AND disabled_at IS NULL AND (activated_at IS NULL OR setup_code_hash IS NOT NULL)`,
      )) === 1
    );
  }

  /**
   * The unused setup codes an admin issued stop working (the accounts wait for a new one): the admin was reset or
   * disabled, and whoever held its account may hold them. Answers how many.
   */
  voidCodesIssuedBy(adminId: string): Promise<number> {
    return this.db.execute(
      sql`UPDATE app_user SET setup_code_expires_at = NULL
          WHERE setup_code_issued_by = ${adminId} AND setup_code_hash IS NOT NULL AND setup_code_expires_at IS NOT NULL`,
    );
  }

  /**
   * The holder's own password, once, with the setup code it was given: the code is spent. False when the code was
   * used, renewed or expired meanwhile, or the account disabled.
   */
  async completeSetup(id: string, setupCodeHash: string, passwordHash: string, at: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE app_user SET password_hash = ${passwordHash}, password_changed_at = ${at}, setup_code_hash = NULL, setup_code_expires_at = NULL
            WHERE id = ${id} AND setup_code_hash = ${setupCodeHash} AND ${setupCodeUsable.sql('app_user', at)}`,
      )) === 1
    );
  }

  /**
   * The account's sign-in withdrawn: two-factor off, the password replaced (calendar feeds made before `at` end with it),
   * and a setup code in force, without which it does not log in (one with no expiry sets nothing until a second person
   * issues a code). The caller holds the row's lock.
   */
  async resetSignIn(
    id: string,
    reset: { by: string; at: string; passwordHash: string; setupCodeHash: string; setupCodeExpiresAt: string | null },
  ): Promise<void> {
    // A code with an expiry is the resetting admin's to hand over: issued by it.
    await this.db.execute(
      sql`UPDATE app_user SET mfa_secret = NULL, mfa_enabled_at = NULL, password_hash = ${reset.passwordHash}, password_changed_at = ${reset.at},
            setup_code_hash = ${reset.setupCodeHash}, setup_code_expires_at = ${reset.setupCodeExpiresAt}, sign_in_reset_by = ${reset.by},
            setup_code_issued_by = ${reset.setupCodeExpiresAt ? reset.by : null}
          WHERE id = ${id}`,
    );
  }

  /** A new address, or none: unconfirmed, with no code (the caller issues one), the caller holding the row's lock. */
  async setEmail(id: string, email: string | null): Promise<void> {
    await this.db.execute(
      sql`UPDATE app_user SET email = ${email}, email_verified_at = NULL, email_code_hash = NULL, email_code_expires_at = NULL WHERE id = ${id}`,
    );
  }

  /** The code in force for the address (null: none), the one before it void. */
  async setEmailCode(id: string, codeHash: string | null, expiresAt: string | null): Promise<void> {
    await this.db.execute(sql`UPDATE app_user SET email_code_hash = ${codeHash}, email_code_expires_at = ${expiresAt} WHERE id = ${id}`);
  }

  /** Confirms the address with its code, once: false when the code was spent, replaced or expired meanwhile. */
  async verifyEmail(id: string, codeHash: string, at: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE app_user SET email_verified_at = ${at}, email_code_hash = NULL, email_code_expires_at = NULL
            WHERE id = ${id} AND email IS NOT NULL AND email_code_hash = ${codeHash} AND email_code_expires_at > ${at}`,
      )) === 1
    );
  }

  async disable(id: string, at: string): Promise<boolean> {
    return (await this.db.execute(sql`UPDATE app_user SET disabled_at = ${at} WHERE id = ${id} AND disabled_at IS NULL`)) === 1;
  }

  /** A new secret waiting to be confirmed (two-factor stays off until `enableMfa`). */
  async setPendingMfa(id: string, encryptedSecret: string): Promise<boolean> {
    return (
      (await this.db.execute(sql`UPDATE app_user SET mfa_secret = ${encryptedSecret} WHERE id = ${id} AND mfa_enabled_at IS NULL`)) === 1
    );
  }

  async enableMfa(id: string, at: string, step: number): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE app_user SET mfa_enabled_at = ${at}, mfa_last_step = ${step} WHERE id = ${id} AND mfa_enabled_at IS NULL AND mfa_secret IS NOT NULL`,
    );
    return changed === 1;
  }

  /** Accepts a code's time step once: false when this or a later step was used already (a replayed code). */
  async useMfaStep(id: string, step: number): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE app_user SET mfa_last_step = ${step} WHERE id = ${id} AND (mfa_last_step IS NULL OR mfa_last_step < ${step})`,
    );
    return changed === 1;
  }
}
