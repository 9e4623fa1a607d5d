import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { User } from './user.entity';

/** A setup code that still sets a password: issued, not yet used or expired, on an account that is not disabled. */
export const setupCodeUsable: TimeRule<Pick<User, 'setupCodeHash' | 'setupCodeExpiresAt' | 'disabledAt'>> = {
  holds: (u, now) => u.setupCodeHash !== null && u.disabledAt === null && u.setupCodeExpiresAt !== null && now < u.setupCodeExpiresAt,
  sql: (alias, now) =>
    sql`(${raw(alias)}.setup_code_hash IS NOT NULL AND ${raw(alias)}.disabled_at IS NULL AND ${raw(alias)}.setup_code_expires_at > ${now})`,
};

/** How long a setup code opens the account to its holder: three days to hand it over. */
const SETUP_CODE_TTL_MS = 72 * 3_600_000;
/** When a setup code issued at `now` (an instant on the security clock) expires. */
export const setupCodeExpiry = (now: string) => new Date(Date.parse(now) + SETUP_CODE_TTL_MS).toISOString();
