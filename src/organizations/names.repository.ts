import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { join, sql } from '../common/persistence/sql';

/** Display names by id, of organizations and facilities alike (their ids are UUIDs, so they never collide). */
export type Names = ReadonlyMap<string, string>;

/** Names for the ids of a page of a list, looked up in one query so that lists carry names beside ids. */
@Injectable()
export class NamesRepository {
  constructor(private readonly db: Database) {}

  async of(ids: Iterable<string | null | undefined>): Promise<Names> {
    const wanted = [...new Set([...ids].filter((id): id is string => !!id))];
    if (wanted.length === 0) return new Map();
    const rows = await this.db.rows<{ id: string; name: string }>(
      sql`SELECT id, name FROM organization WHERE id IN (${join(wanted)}) UNION ALL SELECT id, name FROM facility WHERE id IN (${join(wanted)})`,
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
