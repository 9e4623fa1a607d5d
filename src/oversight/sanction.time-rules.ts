import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { Sanction } from './sanction.entity';

/** A sanction binds on the date `at`: not lifted, and `until` (inclusive) not yet passed. */
export const sanctionInForce: TimeRule<Pick<Sanction, 'status' | 'until'>> = {
  holds: (s, today) => s.status === 'active' && (s.until === null || s.until >= today),
  sql: (alias, today) => sql`(${raw(alias)}.status = 'active' AND (${raw(alias)}.until IS NULL OR ${raw(alias)}.until >= ${today}))`,
};
