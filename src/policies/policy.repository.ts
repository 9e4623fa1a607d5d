import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
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

  async latestVersion(regionCode: string): Promise<number> {
    const r = await this.db.row<{ v: unknown }>(sql`SELECT MAX(p.version) AS v FROM policy p WHERE p.region_code = ${regionCode}`);
    return Number(r?.v ?? 0);
  }

  versions(regionCode: string): Promise<Policy[]> {
    return this.db.select(Policy, 'p', sql`WHERE p.region_code = ${regionCode} ORDER BY p.version`);
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
