import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import type { Actor, AuditDraft } from '../common/context/request-context';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { Database } from '../common/persistence/database';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, sql } from '../common/persistence/sql';
import { entryHash } from './audit-chain';
import { AuditEntry, AuditHead, AuditPending } from './audit-entry.entity';

/** The audit log's tables: entries waiting to be chained, the chain, and its head. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /**
   * A unit of work's entries, written as pending in its transaction: they exist exactly when its changes do. One
   * insert and no shared row, so concurrent transactions do not queue here.
   */
  async insertPending(drafts: AuditDraft[], actor: Actor | undefined): Promise<void> {
    if (drafts.length === 0) return;
    const at = clock.iso();
    await this.db.insert(
      AuditPending,
      drafts.map((d) => ({
        id: newId(), // time-ordered: the sealer chains entries roughly in the order they were written
        at,
        actorId: actor?.userId ?? null,
        actorRole: actor?.role ?? null,
        action: d.action,
        entityType: d.entityType,
        entityId: d.entityId,
        regionCode: d.regionCode ?? null,
        organizationId: d.organizationId ?? null,
        summary: JSON.stringify(d.summary),
      })),
    );
  }

  async anyPending(): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM audit_pending LIMIT 1`)) !== undefined;
  }

  /**
   * Chains up to `limit` committed pending entries onto the single hash chain and returns how many. The head row is
   * locked (MariaDB) or the transaction is already exclusive (SQLite), so sealers on any number of API nodes queue
   * up: no forks, no gaps, no entry sealed twice.
   */
  async sealBatch(limit: number): Promise<number> {
    const head = (await this.db.lock(AuditHead, { id: 1 }))!;
    const pending = await this.db.select(AuditPending, 'p', sql`ORDER BY p.id LIMIT ${limit}`);
    if (pending.length === 0) return 0;
    let { seq, hash } = head;
    const entries = pending.map(({ id: _id, ...p }) => {
      const entry: AuditEntry = { ...p, seq: ++seq, prevHash: hash, hash: '' };
      entry.hash = hash = entryHash(entry);
      return entry;
    });
    await this.db.insert(AuditEntry, entries);
    await this.db.execute(sql`DELETE FROM audit_pending WHERE id IN (${join(pending.map((p) => p.id))})`);
    await this.db.execute(sql`UPDATE audit_head SET seq = ${seq}, hash = ${hash} WHERE id = 1`);
    return entries.length;
  }

  async head(): Promise<AuditHead> {
    return (await this.db.select(AuditHead, 'h', sql`WHERE h.id = 1`))[0];
  }

  /** Entries after `seq`, in order, at most `limit`. */
  entriesAfter(seq: number, limit: number): Promise<AuditEntry[]> {
    return this.db.select(AuditEntry, 'a', sql`WHERE a.seq > ${seq} ORDER BY a.seq LIMIT ${limit}`);
  }

  /** Newest first, within the scope, optionally for one entity type or entity. */
  async list(scope: ListScope, q: { entityType?: string; entityId?: string; limit: number; offset: number }): Promise<Page<AuditEntry>> {
    const where = sql`WHERE 1 = 1${q.entityType ? sql` AND a.entity_type = ${q.entityType}` : empty}${
      q.entityId ? sql` AND a.entity_id = ${q.entityId}` : empty
    }${scopeCondition(scope, { region: 'a.region_code', orgs: ['a.organization_id'] })}`;
    const items = await this.db.select(AuditEntry, 'a', sql`${where} ORDER BY a.seq DESC LIMIT ${q.limit} OFFSET ${q.offset}`);
    const counted = await this.db.row<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM audit_entry a ${where}`);
    return { items, total: Number(counted?.n ?? 0) };
  }
}
