import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, sql } from '../common/persistence/sql';
import { Organization, OrganizationStatus, OrganizationType } from './organization.entity';
import { admittedRecently, inPublicNotice } from './organization.time-rules';

@Injectable()
export class OrganizationRepository {
  constructor(private readonly db: Database) {}

  insert(org: Organization): Promise<void> {
    return this.db.insert(Organization, [org]);
  }

  async get(id: string): Promise<Organization | undefined> {
    return (await this.db.select(Organization, 'o', sql`WHERE o.id = ${id}`))[0];
  }

  lock(id: string): Promise<Organization | null> {
    return this.db.lock(Organization, { id });
  }

  async byCreditCode(creditCode: string): Promise<Organization | undefined> {
    return (await this.db.select(Organization, 'o', sql`WHERE o.credit_code = ${creditCode}`))[0];
  }

  /** Names by id, for lists that show who is who. */
  async names(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.rows<{ id: string; name: string }>(
      sql`SELECT o.id, o.name FROM organization o WHERE o.id IN (${join([...new Set(ids)])})`,
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async list(
    scope: ListScope,
    q: { type?: OrganizationType; status?: string; limit: number; offset: number },
  ): Promise<Page<Organization>> {
    const where = sql`WHERE 1 = 1${q.type ? sql` AND o.type = ${q.type}` : empty}${q.status ? sql` AND o.status = ${q.status}` : empty}${scopeCondition(
      scope,
      { region: 'o.region_code', orgs: ['o.id'] },
    )}`;
    const items = await this.db.select(Organization, 'o', sql`${where} ORDER BY o.created_at, o.id LIMIT ${q.limit} OFFSET ${q.offset}`);
    const counted = await this.db.row<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM organization o ${where}`);
    return { items, total: Number(counted?.n ?? 0) };
  }

  /** Moves the organization from `from` to the changes' status; false when its status moved first. */
  async transition(
    id: string,
    from: OrganizationStatus,
    changes: Pick<Organization, 'status' | 'noticeEndsAt' | 'statusReason' | 'updatedAt'>,
  ): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET status = ${changes.status}, notice_ends_at = ${changes.noticeEndsAt}, status_reason = ${changes.statusReason},
          updated_at = ${changes.updatedAt} WHERE id = ${id} AND status = ${from}`,
    );
    return changed === 1;
  }

  /** Providers whose public notice ended by `now`. */
  noticesEnded(now: string): Promise<Organization[]> {
    return this.db.select(Organization, 'o', sql`WHERE o.status = 'public_notice' AND o.notice_ends_at <= ${now}`);
  }

  /** public_notice → active for one provider whose notice ended; false when another node did it first. */
  async activateNoticeEnded(id: string, now: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET status = 'active', updated_at = ${now} WHERE id = ${id} AND status = 'public_notice' AND notice_ends_at <= ${now}`,
    );
    return changed === 1;
  }

  /** Providers in public notice at `now`, the notice ending soonest first. */
  providersInNotice(now: string, limit: number): Promise<Organization[]> {
    return this.db.select(
      Organization,
      'o',
      sql`WHERE o.type = 'provider' AND ${inPublicNotice.sql('o', now)} ORDER BY o.notice_ends_at, o.name LIMIT ${limit}`,
    );
  }

  /** Providers admitted within the last RECENT_ADMISSION_DAYS before `now` and active now, the latest first. */
  providersAdmittedRecently(now: string, limit: number): Promise<Organization[]> {
    return this.db.select(
      Organization,
      'o',
      sql`WHERE o.type = 'provider' AND ${admittedRecently.sql('o', now)}
          ORDER BY COALESCE(o.notice_ends_at, o.updated_at) DESC, o.name LIMIT ${limit}`,
    );
  }
}
