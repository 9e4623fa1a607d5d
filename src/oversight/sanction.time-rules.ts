import { raw, sql, Sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import { organizationActive } from '../organizations/organization.time-rules';
import type { Sanction } from './sanction.entity';

/** A sanction binds on the date `at`: not lifted, and `until` (inclusive) not yet passed. */
export const sanctionInForce: TimeRule<Pick<Sanction, 'status' | 'until'>> = {
  holds: (s, today) => s.status === 'active' && (s.until === null || s.until >= today),
  sql: (alias, today) => sql`(${raw(alias)}.status = 'active' AND (${raw(alias)}.until IS NULL OR ${raw(alias)}.until >= ${today}))`,
};

const sanctionOn = (code: Sql, today: string) =>
  sql`EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = ${code} AND ${sanctionInForce.sql('s', today)})`;

/**
 * Whether a sanction in force on `today` binds the organization aliased `org`: one against its credit code, or against
 * its actual controller's (a sanctioned party does not escape it through a company it controls; see boundAmong). One
 * EXISTS per code, the second only for an organization with a controller.
 */
export const sanctionedSql = (org: string, today: string) =>
  sql`(${sanctionOn(raw(`${org}.credit_code`), today)} OR (${raw(org)}.controller_credit_code IS NOT NULL AND ${sanctionOn(
    raw(`${org}.controller_credit_code`),
    today,
  )}))`;

/** Whether the payee aliased `org` is held back from settlement: suspended (not active at `now`) or sanctioned on `today`. */
export const heldBackSql = (org: string, now: string, today: string) =>
  sql`(NOT ${organizationActive.sql(org, now)} OR ${sanctionedSql(org, today)})`;

/**
 * Whether a provider's facilities are offered to the public (catalogue, search, comparisons, notices) and take orders:
 * active at the instant `now`, and bound by no sanction in force on the Beijing day `today`. The sanction side is
 * NOT EXISTS on the (credit_code, status) index, for the provider's code and its controller's: at most two probes per
 * provider row, never a scan of the sanction list.
 */
export const providerListedSql = (org: string, now: string, today: string) =>
  sql`(${organizationActive.sql(org, now)} AND NOT ${sanctionedSql(org, today)})`;
