import { Injectable } from '@nestjs/common';
import type { Role } from '../common/context/request-context';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';
import { Session } from './session.entity';

/** What every authenticated request needs to know about its session and user, in one indexed lookup. */
export interface SessionState {
  revokedAt: string | null;
  expiresAt: string;
  userId: string;
  username: string;
  role: Role;
  organizationId: string | null;
  regionCode: string | null;
  admin: boolean;
  disabledAt: string | null;
  mfaEnabledAt: string | null;
}

@Injectable()
export class SessionRepository {
  constructor(private readonly db: Database) {}

  insert(session: Session): Promise<void> {
    return this.db.insert(Session, [session]);
  }

  lock(id: string): Promise<Session | null> {
    return this.db.lock(Session, { id });
  }

  /**
   * Whether a session is still live, read under its row lock. The caller holds its user's row: every change that ends a
   * user's sessions (a password change, two-factor enabled, a reset, a disabling) locks that row first, so a session
   * read live here stays live until the caller's unit commits, and what it makes is ended by such a change after it.
   */
  async live(id: string): Promise<boolean> {
    const session = await this.lock(id);
    return !!session && !session.revokedAt;
  }

  /** The session and its user by the session's primary key: the per-request check. */
  async state(id: string): Promise<SessionState | undefined> {
    const row = await this.db.row<Record<string, unknown>>(
      sql`SELECT s.revoked_at, s.expires_at, u.id AS user_id, u.username, u.role, u.organization_id, u.region_code, u.admin, u.disabled_at,
          u.mfa_enabled_at FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.id = ${id}`,
    );
    if (!row) return undefined;
    return {
      revokedAt: row.revoked_at as string | null,
      expiresAt: row.expires_at as string,
      userId: row.user_id as string,
      username: row.username as string,
      role: row.role as Role,
      organizationId: row.organization_id as string | null,
      regionCode: row.region_code as string | null,
      admin: Number(row.admin) === 1,
      disabledAt: row.disabled_at as string | null,
      mfaEnabledAt: row.mfa_enabled_at as string | null,
    };
  }

  /** Replaces the refresh token, if `previousHash` is still the current one; false when it was used already. */
  async rotate(id: string, previousHash: string, nextHash: string, refreshedAt: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE session SET refresh_hash = ${nextHash}, refreshed_at = ${refreshedAt}
          WHERE id = ${id} AND refresh_hash = ${previousHash} AND revoked_at IS NULL`,
    );
    return changed === 1;
  }

  /** Ends one session; false when it had ended already. */
  async revoke(id: string, at: string, reason: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE session SET revoked_at = ${at}, revoked_reason = ${reason} WHERE id = ${id} AND revoked_at IS NULL`,
    );
    return changed === 1;
  }

  /** Ends every live session of a user but `except`; returns how many. */
  revokeAllOf(userId: string, at: string, reason: string, except?: string): Promise<number> {
    return this.db.execute(
      sql`UPDATE session SET revoked_at = ${at}, revoked_reason = ${reason}
          WHERE user_id = ${userId} AND revoked_at IS NULL${except ? sql` AND id <> ${except}` : sql``}`,
    );
  }
}
