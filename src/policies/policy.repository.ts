import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import type { Page } from '../common/http/paging';
import { reserveCounter } from '../common/persistence/serial-counter';
import { sql } from '../common/persistence/sql';
import { Policy } from './policy.entity';

@Injectable()
export class PolicyRepository {
  constructor(private readonly db: Database) {}

  insert(policy: Policy): Promise<void> {
    return this.db.insert(Policy, [policy]);
  }

  async get(id: string): Promise<Policy | undefined> {
    return (await this.db.select(Policy, 'p', sql`WHERE p.id = ${id}`))[0];
  }

  /**
   * The region's next version number, its publications queued first on the region's row of `serial_counter` (one
   * upsert takes its exclusive lock, and creates it for a region's first version): of twenty publications at once,
   * each then reads the number the one before it committed, where a bare MAX + 1 let them clash on the unique key.
   */
  async nextVersion(regionCode: string): Promise<number> {
    await reserveCounter(this.db, `p${regionCode}`, 0, 1); // the prefix column holds 8 characters; serials use AH, SH…
    const r = await this.db.row<{ v: unknown }>(sql`SELECT MAX(p.version) AS v FROM policy p WHERE p.region_code = ${regionCode}`);
    return Number(r?.v ?? 0) + 1;
  }

  /** A page of the region's versions, newest first. */
  versions(regionCode: string, page: { limit: number; offset: number }): Promise<Page<Policy>> {
    return this.db.page(Policy, 'p', sql`WHERE p.region_code = ${regionCode}`, sql`p.version DESC`, page);
  }

  async anyOf(regionCode: string): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM policy WHERE region_code = ${regionCode} LIMIT 1`)) !== undefined;
  }

  /** The published versions that took effect on or before `date`; the rule `policyInForce` picks the one in force. */
  effectiveBy(regionCode: string, date: string): Promise<Policy[]> {
    return this.db.select(Policy, 'p', sql`WHERE p.region_code = ${regionCode} AND p.effective_from <= ${date} AND p.status = 'published'`);
  }

  lock(id: string): Promise<Policy | null> {
    return this.db.lock(Policy, { id });
  }

  /** published → withdrawn, while it has not taken effect. */
  async withdraw(id: string, at: string, today: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE policy SET status = 'withdrawn', withdrawn_at = ${at} WHERE id = ${id} AND status = 'published' AND effective_from > ${today}`,
    );
    return changed === 1;
  }
}
