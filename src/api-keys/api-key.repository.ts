import { Injectable } from '@nestjs/common';
import type { Page } from '../common/http/paging';
import { Database, Row } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';

export interface ApiKey {
  id: string;
  name: string;
  /** SHA-256 of the key: the key has 240 random bits, so a fast hash suffices (as for GitHub's tokens). */
  keyHash: string;
  /** The key's first characters, to tell keys apart in lists. */
  prefix: string;
  role: string;
  organizationId: string | null;
  regionCode: string | null;
  readOnly: boolean;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** When the person who made the key was disabled (read with the key when it authenticates). */
  creatorDisabledAt?: string | null;
}

const toKey = (r: Row): ApiKey => ({
  id: r.id as string,
  name: r.name as string,
  keyHash: r.key_hash as string,
  prefix: r.prefix as string,
  role: r.role as string,
  organizationId: (r.organization_id as string | null) ?? null,
  regionCode: (r.region_code as string | null) ?? null,
  readOnly: Number(r.read_only) === 1,
  createdBy: r.created_by as string,
  createdAt: r.created_at as string,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
  revokedAt: (r.revoked_at as string | null) ?? null,
});

/** API keys of provincial systems and labs. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  async insert(k: ApiKey): Promise<void> {
    await this.db.execute(
      sql`INSERT INTO api_key (id, name, key_hash, prefix, role, organization_id, region_code, read_only, created_by, created_at,
            last_used_at, revoked_at)
          VALUES (${k.id}, ${k.name}, ${k.keyHash}, ${k.prefix}, ${k.role}, ${k.organizationId}, ${k.regionCode}, ${k.readOnly},
                  ${k.createdBy}, ${k.createdAt}, NULL, NULL)`,
    );
  }

  /**
   * The key with this hash, revoked or not, with whether its maker is disabled (one indexed lookup and a primary-key
   * join on every request made with a key). A key whose maker is gone has nobody accountable for it: none.
   */
  async byHash(keyHash: string): Promise<ApiKey | null> {
    const row = await this.db.row(
      sql`SELECT k.*, u.disabled_at AS creator_disabled_at FROM api_key k JOIN app_user u ON u.id = k.created_by WHERE k.key_hash = ${keyHash}`,
    );
    return row ? { ...toKey(row), creatorDisabledAt: (row.creator_disabled_at as string | null) ?? null } : null;
  }

  async byId(id: string): Promise<ApiKey | null> {
    const row = await this.db.row(sql`SELECT * FROM api_key WHERE id = ${id}`);
    return row ? toKey(row) : null;
  }

  /** The keys of one organization or bureau region (role and scope alike), newest first. */
  async ownedBy(
    owner: { role: string; organizationId: string | null; regionCode: string | null },
    page: { limit: number; offset: number },
  ): Promise<Page<ApiKey>> {
    const where = sql`WHERE role = ${owner.role} AND COALESCE(organization_id, '') = ${owner.organizationId ?? ''}
          AND COALESCE(region_code, '') = ${owner.regionCode ?? ''}`;
    const rows = await this.db.rows(
      sql`SELECT * FROM api_key ${where} ORDER BY created_at DESC, id LIMIT ${page.limit} OFFSET ${page.offset}`,
    );
    return { items: rows.map(toKey), total: await this.db.count(sql`api_key ${where}`) };
  }

  /**
   * Whether a credential still acts — a person not disabled, whose session was not ended (by a reset of the sign-in, a
   * password change); a key not revoked, whose maker is not disabled — read under shared locks: a revocation, a
   * disabling or a reset waits for the reader's unit to end, and so ends what it made.
   */
  async stillActs(actor: { userId: string; sessionId: string; apiKey?: { id: string; createdBy: string } }): Promise<boolean> {
    const person = await this.db.row(
      sql`SELECT disabled_at FROM app_user WHERE id = ${actor.apiKey?.createdBy ?? actor.userId}${this.db.forShare}`,
    );
    if (!person || person.disabled_at) return false;
    if (!actor.apiKey) {
      const session = await this.db.row(sql`SELECT revoked_at FROM session WHERE id = ${actor.sessionId}${this.db.forShare}`);
      return !!session && !session.revoked_at;
    }
    const key = await this.db.row(sql`SELECT revoked_at FROM api_key WHERE id = ${actor.apiKey.id}${this.db.forShare}`);
    return !!key && !key.revoked_at;
  }

  /** Revokes the live keys a person made; answers those this call revoked (each by revoke's guarded update). */
  async revokeMadeBy(userId: string, at: string): Promise<ApiKey[]> {
    const live = (await this.db.rows(sql`SELECT * FROM api_key WHERE created_by = ${userId} AND revoked_at IS NULL`)).map(toKey);
    const revoked: ApiKey[] = [];
    for (const k of live) if (await this.revoke(k.id, at)) revoked.push({ ...k, revokedAt: at });
    return revoked;
  }

  /** Revokes a live key; false when it was already revoked. */
  async revoke(id: string, at: string): Promise<boolean> {
    return (await this.db.execute(sql`UPDATE api_key SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`)) === 1;
  }

  /** Notes a use, at most once a minute per key, so that busy machine clients do not write on every request. */
  async touch(id: string, at: string, notSince: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE api_key SET last_used_at = ${at} WHERE id = ${id} AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ${notSince})`,
    );
  }
}
