import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { Redemption, RedemptionStatus, UsageStatus } from './redemption.entity';

/** A hold past its expiry at the instant `at`: expired, whether or not the sweep has released it yet. */
export const holdExpired: TimeRule<Pick<Redemption, 'status' | 'expiresAt'>> = {
  holds: (r, now) => r.status === 'held' && r.expiresAt <= now,
  sql: (alias, now) => sql`(${raw(alias)}.status = 'held' AND ${raw(alias)}.expires_at <= ${now})`,
};

/** The status a reader sees: a hold past its expiry reads as expired before the sweep gets to it. */
export const effectiveRedemptionStatus = (r: Pick<Redemption, 'status' | 'expiresAt'>, now: string): RedemptionStatus =>
  holdExpired.holds(r, now) ? 'expired' : r.status;

/** Captured usage the enterprise left unanswered past its confirmation window (`at` is an instant): confirmed by silence. */
export const usageConfirmedBySilence: TimeRule<Pick<Redemption, 'usage' | 'usageDueAt'>> = {
  holds: (r, now) => r.usage === 'pending' && r.usageDueAt !== null && r.usageDueAt <= now,
  sql: (alias, now) => sql`(${raw(alias)}.usage_status = 'pending' AND ${raw(alias)}.usage_due_at <= ${now})`,
};

/** The usage a reader sees: pending usage past its window reads as confirmed before the sweep writes it. */
export const effectiveUsage = (r: Pick<Redemption, 'usage' | 'usageDueAt'>, now: string): UsageStatus | null =>
  usageConfirmedBySilence.holds(r, now) ? 'confirmed' : r.usage;
