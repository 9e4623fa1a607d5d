import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Database, Row } from '../common/persistence/database';
import { inRegion } from '../common/persistence/scope.sql';
import { empty, join, sql } from '../common/persistence/sql';
import { EventDraft, EVERY_BUREAU_TYPES } from './event-types';

/** A domain event as the feed and the webhooks carry it. */
export interface DomainEvent {
  id: string;
  seq: number;
  type: string;
  occurredAt: string;
  entityType: string;
  entityId: string;
  regionCode: string | null;
  organizationId: string | null;
  counterpartyId: string | null;
  data: Record<string, unknown>;
}

const parseData = (text: string): Record<string, unknown> => {
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
};

const toEvent = (r: Row): DomainEvent => ({
  id: r.id as string,
  seq: Number(r.seq),
  type: r.type as string,
  occurredAt: r.occurred_at as string,
  entityType: r.entity_type as string,
  entityId: r.entity_id as string,
  regionCode: (r.region_code as string | null) ?? null,
  organizationId: (r.organization_id as string | null) ?? null,
  counterpartyId: (r.counterparty_id as string | null) ?? null,
  data: parseData(r.data as string),
});

/** The outbox (`domain_event`) and its sequencer's head row (`event_head`). */
@Injectable()
export class EventRepository {
  constructor(private readonly db: Database) {}

  /** Writes events unnumbered, in the caller's unit of work: one statement for the unit's events. */
  async insert(events: (EventDraft & { id: string; occurredAt: string })[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(
      (e) =>
        sql`(${e.id}, NULL, ${e.type}, ${e.occurredAt}, ${e.entityType}, ${e.entityId}, ${e.regionCode}, ${e.organizationId}, ${e.counterpartyId}, ${JSON.stringify(e.data)})`,
    );
    await this.db.execute(
      sql`INSERT INTO domain_event (id, seq, type, occurred_at, entity_type, entity_id, region_code, organization_id, counterparty_id, data)
          VALUES ${join(rows)}`,
    );
  }

  async anyUnsequenced(): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM domain_event WHERE seq IS NULL LIMIT 1`)) !== undefined;
  }

  /** The last number handed out, as it stands. */
  async head(): Promise<number> {
    return Number((await this.db.row(sql`SELECT seq FROM event_head WHERE id = 1`))?.seq ?? 0);
  }

  /** The last number handed out, locked for the rest of the unit of work: sequencers on every node queue here. */
  async lockHead(): Promise<number> {
    const row = await this.db.row(sql`SELECT seq FROM event_head WHERE id = 1${this.db.forUpdate}`);
    if (!row) throw new Error('event_head has no row: the events migration did not run');
    return Number(row.seq);
  }

  /** Committed events not numbered yet, in the order they were written. */
  async unsequenced(limit: number): Promise<string[]> {
    const rows = await this.db.rows(sql`SELECT id FROM domain_event WHERE seq IS NULL ORDER BY id LIMIT ${limit}`);
    return rows.map((r) => r.id as string);
  }

  /**
   * Numbers events `from + 1`, `from + 2`, … in the order given, in one statement (a CASE over their ids); returns how
   * many it numbered, which is all of them under the head's lock.
   */
  async number(ids: string[], from: number): Promise<number> {
    if (ids.length === 0) return 0;
    const cases = join(
      ids.map((id, i) => sql`WHEN ${id} THEN ${from + i + 1}`),
      ' ',
    );
    return this.db.execute(sql`UPDATE domain_event SET seq = CASE id ${cases} END WHERE id IN (${join(ids)}) AND seq IS NULL`);
  }

  async moveHead(from: number, to: number): Promise<void> {
    if ((await this.db.execute(sql`UPDATE event_head SET seq = ${to} WHERE id = 1 AND seq = ${from}`)) !== 1) {
      throw new Error(`the event head moved from ${from} while it was locked`);
    }
  }

  async bySeqRange(fromExclusive: number, toInclusive: number): Promise<DomainEvent[]> {
    const rows = await this.db.rows(sql`SELECT * FROM domain_event WHERE seq > ${fromExclusive} AND seq <= ${toInclusive} ORDER BY seq`);
    return rows.map(toEvent);
  }

  /** Numbered events after `afterSeq` that the scope sees, oldest first. */
  async feed(scope: ListScope, afterSeq: number, limit: number): Promise<DomainEvent[]> {
    const rows = await this.db.rows(sql`SELECT * FROM domain_event WHERE seq > ${afterSeq}${scopeOf(scope)} ORDER BY seq LIMIT ${limit}`);
    return rows.map(toEvent);
  }
}

/**
 * An organization sees the events it is a party to, a bureau its region's (a province's cities included) and those
 * every bureau reads (the shared credit list), the platform all.
 */
function scopeOf(scope: ListScope) {
  if ('all' in scope) return empty;
  if ('regionCode' in scope) return sql` AND (${inRegion('region_code', scope.regionCode)} OR type IN (${join([...EVERY_BUREAU_TYPES])}))`;
  return sql` AND (organization_id = ${scope.organizationId} OR counterparty_id = ${scope.organizationId})`;
}
