import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { User } from './user.entity';

/** A setup code that still sets a password: issued, not yet used or expired, on an account that is not disabled. */
export const setupCodeUsable: TimeRule<Pick<User, 'setupCodeHash' | 'setupCodeExpiresAt' | 'disabledAt'>> = {
  holds: (u, now) => u.setupCodeHash !== null && u.disabledAt === null && u.setupCodeExpiresAt !== null && now < u.setupCodeExpiresAt,
  sql: (alias, now) =>
    sql`(${raw(alias)}.setup_code_hash IS NOT NULL AND ${raw(alias)}.disabled_at IS NULL AND ${raw(alias)}.setup_code_expires_at > ${now})`,
};
