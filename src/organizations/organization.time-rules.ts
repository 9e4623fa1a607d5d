import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { Organization } from './organization.entity';

/** Active at the instant `at`: admitted, or in a public notice that has ended (before the sweep rewrites the row). */
export const organizationActive: TimeRule<Pick<Organization, 'status' | 'noticeEndsAt'>> = {
  holds: (o, at) => o.status === 'active' || (o.status === 'public_notice' && o.noticeEndsAt !== null && o.noticeEndsAt <= at),
  sql: (alias, at) =>
    sql`(${raw(alias)}.status = 'active' OR (${raw(alias)}.status = 'public_notice' AND ${raw(alias)}.notice_ends_at <= ${at}))`,
};

/** An organization as of `at`: a provider whose public notice has ended counts as active. */
export const withNoticeEnded = (org: Organization, at: string): Organization =>
  org.status === 'public_notice' && organizationActive.holds(org, at) ? { ...org, status: 'active' } : org;
