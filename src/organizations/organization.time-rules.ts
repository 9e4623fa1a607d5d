import { beijingDate, beijingDayStart, isoPlusDays } from '../common/clock';
import { addDays } from '../policies/policy.rules';
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

/** In public notice at the instant `at`: admitted into a notice that has not ended yet. */
export const inPublicNotice: TimeRule<Pick<Organization, 'status' | 'noticeEndsAt'>> = {
  holds: (o, at) => o.status === 'public_notice' && o.noticeEndsAt !== null && o.noticeEndsAt > at,
  sql: (alias, at) => sql`(${raw(alias)}.status = 'public_notice' AND ${raw(alias)}.notice_ends_at > ${at})`,
};

/** How far back the public notices page lists admissions. */
export const RECENT_ADMISSION_DAYS = 30;

/**
 * When a provider active now was admitted: the end of its public notice or, admitted at once (no notice), the moment of
 * that change, which its `updated_at` keeps (only status changes write it).
 */
export const admittedAt = (o: Pick<Organization, 'noticeEndsAt' | 'updatedAt'>): string => o.noticeEndsAt ?? o.updatedAt;

/**
 * When a public notice of `noticeDays` days begun at `now` ends: at Beijing's midnight after its last day, which is
 * `noticeDays` days after the day of admission. A notice is counted in Beijing days, as the notices page names them
 * (公示期：1月6日至1月13日), so the public may object until the end of the last day it reads; it lasts at least
 * noticeDays × 24 hours, whatever the hour of admission. (Ending noticeDays × 24 hours after the click, it ended during
 * the day the page gave as the last, or at its very start.)
 */
export const noticeEndsAtFor = (now: string, noticeDays: number): string => beijingDayStart(addDays(beijingDate(now), noticeDays + 1));

/** The last Beijing day of a notice ending at `noticeEndsAt` (exclusive): the day before a midnight end; the day of an end stored at another hour. */
export const noticeLastDay = (noticeEndsAt: string): string => beijingDate(Date.parse(noticeEndsAt) - 1);

/** When a provider in public notice entered it: its admission, the last change of its status. */
export const noticeStartedAt = (o: Pick<Organization, 'updatedAt'>): string => o.updatedAt;

/**
 * Active at the instant `at` and admitted within the RECENT_ADMISSION_DAYS before it. Read from the organization row
 * rather than from the `provider.admitted`/`provider.activated` audit entries: a notice that has ended counts as
 * admission before the sweep writes its entry (organizationActive), and entries wait unsealed for a moment after
 * their commit; the row says both at once.
 */
export const admittedRecently: TimeRule<Pick<Organization, 'status' | 'noticeEndsAt' | 'updatedAt'>> = {
  holds: (o, at) => organizationActive.holds(o, at) && admittedAt(o) >= isoPlusDays(at, -RECENT_ADMISSION_DAYS),
  sql: (alias, at) =>
    sql`(${organizationActive.sql(alias, at)} AND COALESCE(${raw(alias)}.notice_ends_at, ${raw(alias)}.updated_at) >= ${isoPlusDays(
      at,
      -RECENT_ADMISSION_DAYS,
    )})`,
};
