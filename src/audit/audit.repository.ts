import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import type { Actor, AuditDraft } from '../common/context/request-context';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { Database } from '../common/persistence/database';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, raw, Sql, sql } from '../common/persistence/sql';
import type { ChainLink } from './audit-chain';
import { AuditCheckpoint, AuditEntry, AuditHead, AuditPending } from './audit-entry.entity';

/**
 * An entry's hashed fields under their property names, read as plain rows: verification reads millions of them, and
 * mapping each through the entity metadata cost more than hashing it.
 */
const LINK = raw(
  'seq, prev_hash AS prevHash, hash, hash_alg AS hashAlg, at, actor_id AS actorId, actor_role AS actorRole, action, ' +
    'entity_type AS entityType, entity_id AS entityId, region_code AS regionCode, organization_id AS organizationId, summary',
);

/** Which entries of the log to list; `from` and `until` are instants as stored (UTC ISO 8601). */
export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  action?: string;
  actorId?: string;
  from?: string;
  until?: string;
}

/** The audit log's tables: entries waiting to be chained, the chain, its head, and the signed checkpoints. */
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
   * The chain head, locked for the rest of the unit of work (MariaDB) or in a transaction that is already exclusive
   * (SQLite): sealers and signers on any number of API nodes queue up here, so the chain has no forks, no gaps, no
   * entry sealed twice, and no two checkpoints of conflicting heads.
   */
  async lockHead(): Promise<AuditHead> {
    return (await this.db.lock(AuditHead, { id: 1 }))!;
  }

  /** Up to `limit` committed pending entries, oldest first. */
  pendingBatch(limit: number): Promise<AuditPending[]> {
    return this.db.select(AuditPending, 'p', sql`ORDER BY p.id LIMIT ${limit}`);
  }

  /** Appends chained entries in place of the pending ones they came from, and moves the head to the last. */
  async append(entries: AuditEntry[], pendingIds: string[]): Promise<void> {
    const head = entries.at(-1);
    if (!head) return;
    await this.db.insert(AuditEntry, entries);
    await this.db.execute(sql`DELETE FROM audit_pending WHERE id IN (${join(pendingIds)})`);
    await this.db.execute(sql`UPDATE audit_head SET seq = ${head.seq}, hash = ${head.hash} WHERE id = 1`);
  }

  async head(): Promise<AuditHead> {
    return (await this.db.select(AuditHead, 'h', sql`WHERE h.id = 1`))[0];
  }

  /** The highest seq in the chain's table, 0 when it is empty: the head's, unless entries were written past it. */
  async lastSeq(): Promise<number> {
    return Number((await this.db.row<{ last: number | string | null }>(sql`SELECT MAX(seq) AS last FROM audit_entry`))?.last ?? 0);
  }

  async entryAt(seq: number): Promise<AuditEntry | undefined> {
    return (await this.db.select(AuditEntry, 'a', sql`WHERE a.seq = ${seq}`))[0];
  }

  /** The chain's links of seqs in (`after`, `upTo`], in order (BIGINT seq comes back a number: supportBigNumbers). */
  linksBetween(after: number, upTo: number): Promise<ChainLink[]> {
    return this.db.rows<ChainLink>(sql`SELECT ${LINK} FROM audit_entry WHERE seq > ${after} AND seq <= ${upTo} ORDER BY seq`);
  }

  async linkAt(seq: number): Promise<ChainLink | undefined> {
    return this.db.row<ChainLink>(sql`SELECT ${LINK} FROM audit_entry WHERE seq = ${seq}`);
  }

  async insertCheckpoints(checkpoints: AuditCheckpoint[]): Promise<void> {
    await this.db.insert(AuditCheckpoint, checkpoints);
  }

  async lastCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return (await this.db.select(AuditCheckpoint, 'c', sql`ORDER BY c.seq DESC LIMIT 1`))[0];
  }

  /** The newest checkpoint signed by one of the keys, if any. */
  async lastCheckpointSignedBy(keyIds: string[]): Promise<AuditCheckpoint | undefined> {
    if (keyIds.length === 0) return undefined;
    return (await this.db.select(AuditCheckpoint, 'c', sql`WHERE c.key_id IN (${join(keyIds)}) ORDER BY c.seq DESC LIMIT 1`))[0];
  }

  /** Checkpoints of seqs in (`after`, `upTo`], in order. */
  checkpointsBetween(after: number, upTo: number): Promise<AuditCheckpoint[]> {
    return this.db.select(AuditCheckpoint, 'c', sql`WHERE c.seq > ${after} AND c.seq <= ${upTo} ORDER BY c.seq`);
  }

  /** Newest first. */
  async checkpoints(q: { limit: number; offset: number }): Promise<Page<AuditCheckpoint>> {
    return this.db.page(AuditCheckpoint, 'c', empty, sql`c.seq DESC`, q);
  }

  /**
   * Newest first, within the scope, optionally for one entity type or entity, action, actor, and the instants written in
   * [`from`, `until`).
   */
  async list(scope: ListScope, q: AuditFilter & { limit: number; offset: number }): Promise<Page<AuditEntry>> {
    const conditions = [
      q.entityType && sql` AND a.entity_type = ${q.entityType}`,
      q.entityId && sql` AND a.entity_id = ${q.entityId}`,
      q.action && sql` AND a.action = ${q.action}`,
      q.actorId && sql` AND a.actor_id = ${q.actorId}`,
      q.from && sql` AND a.at >= ${q.from}`,
      q.until && sql` AND a.at < ${q.until}`,
    ].filter((c): c is Sql => !!c);
    const where = sql`WHERE 1 = 1${conditions.length > 0 ? join(conditions, '') : empty}${scopeCondition(scope, {
      region: 'a.region_code',
      orgs: ['a.organization_id'],
    })}`;
    const filtered = q.action || q.actorId || q.from || q.until;
    if (!filtered) return this.db.page(AuditEntry, 'a', where, sql`a.seq DESC`, q);
    // The filters' indexes (action, actor or day, each with region and day) hold every column they test, and the seq:
    // the page's seqs are chosen in the index alone, then only its rows are read. Left to itself MariaDB walked the log
    // backwards from the newest entry (the primary key's order) reading whole rows until a page matched, which for a
    // month of one action a year ago was every entry (3.7 s at a tenth of a year; docs/performance.md, 2026-12-05).
    const notByPrimaryKey = raw(this.db.dialect === 'sqlite' ? '' : ' IGNORE INDEX FOR ORDER BY (PRIMARY)');
    const items = await this.db.select(
      AuditEntry,
      'a',
      sql`JOIN (SELECT a.seq FROM audit_entry a${notByPrimaryKey} ${where} ORDER BY a.seq DESC LIMIT ${q.limit} OFFSET ${q.offset}) page
          ON page.seq = a.seq ORDER BY a.seq DESC`,
    );
    return { items, total: await this.db.count(sql`audit_entry a ${where}`) };
  }
}
