import { Injectable } from '@nestjs/common';
import { beijingDayStart } from '../common/clock';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { inRegion } from '../common/persistence/scope.sql';
import { empty, join, sql } from '../common/persistence/sql';
import type { Organization } from '../organizations/organization.entity';
import { Sanction } from './sanction.entity';
import { sanctionInForce } from './sanction.time-rules';

@Injectable()
export class SanctionRepository {
  constructor(private readonly db: Database) {}

  insert(sanction: Sanction): Promise<void> {
    return this.db.insert(Sanction, [sanction]);
  }

  lock(id: string): Promise<Sanction | null> {
    return this.db.lock(Sanction, { id });
  }

  async lift(id: string, liftedAt: string, liftedBy: string, reason: string | null): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE sanction SET status = 'lifted', lifted_at = ${liftedAt}, lifted_by = ${liftedBy}, lift_reason = ${reason}
          WHERE id = ${id} AND status = 'active'`,
    );
    return changed === 1;
  }

  /** Newest first; `creditCodes` narrows to those codes (one named, or what binds an organization reading its own). */
  async list(q: { creditCodes?: string[]; status?: string; limit: number; offset: number }): Promise<Page<Sanction>> {
    const codes = q.creditCodes;
    const where = sql`WHERE 1 = 1${codes !== undefined ? (codes.length ? sql` AND s.credit_code IN (${join(codes)})` : sql` AND 1 = 0`) : empty}${
      q.status ? sql` AND s.status = ${q.status}` : empty
    }`;
    return this.db.page(Sanction, 's', where, sql`s.created_at DESC, s.id DESC`, q);
  }

  /**
   * Sanctions recorded in a calendar year (Beijing's, from its first midnight there) that concern a region: recorded by
   * its bureau, or against an organization registered there (characters 3–8 of the credit code), oldest first.
   */
  recordedInRegion(regionCode: string, year: number): Promise<Sanction[]> {
    // Registration codes name districts: a city's are its first four digits, a province's its first two.
    const registeredIn = `${regionCode.slice(0, regionCode.endsWith('0000') ? 2 : 4)}%`;
    return this.db.select(
      Sanction,
      's',
      sql`WHERE s.created_at >= ${beijingDayStart(`${year}-01-01`)} AND s.created_at < ${beijingDayStart(`${year + 1}-01-01`)}
          AND (${inRegion('s.recorded_region_code', regionCode)} OR SUBSTR(s.credit_code, 3, 6) LIKE ${registeredIn})
          ORDER BY s.created_at, s.id`,
    );
  }

  /**
   * The credit codes of those of `orgs` a sanction in force on `today` binds: one against the organization itself, or
   * against its actual controller, as sanctionedSql judges in SQL. The controller is the party behind the company: a
   * sanctioned party that registers a new company under its control is still sanctioned.
   */
  async boundAmong(orgs: Pick<Organization, 'creditCode' | 'controllerCreditCode'>[], today: string): Promise<Set<string>> {
    const inForce = await this.inForceAmong(
      orgs.flatMap((o) => (o.controllerCreditCode ? [o.creditCode, o.controllerCreditCode] : [o.creditCode])),
      today,
    );
    const bound = (o: (typeof orgs)[number]) =>
      inForce.has(o.creditCode) || (o.controllerCreditCode !== null && inForce.has(o.controllerCreditCode));
    return new Set(orgs.filter(bound).map((o) => o.creditCode));
  }

  /** The codes among `creditCodes` under a sanction in force on `today`. */
  private async inForceAmong(creditCodes: string[], today: string): Promise<Set<string>> {
    if (creditCodes.length === 0) return new Set();
    const rows = await this.db.rows<{ code: string }>(
      sql`SELECT DISTINCT s.credit_code AS code FROM sanction s WHERE s.credit_code IN (${join([...new Set(creditCodes)])}) AND ${sanctionInForce.sql('s', today)}`,
    );
    return new Set(rows.map((r) => r.code));
  }
}
