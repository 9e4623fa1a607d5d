import { Injectable } from '@nestjs/common';
import { Database, Row } from '../common/persistence/database';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { empty, join, sql } from '../common/persistence/sql';
import type { WebhookEndCause } from './webhook.rules';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Whose subscription it is: an organization, a bureau's region, or the platform (neither). */
export interface SubscriptionOwner {
  ownerRole: string;
  organizationId: string | null;
  regionCode: string | null;
}

export interface WebhookSubscription extends SubscriptionOwner {
  id: string;
  url: string;
  events: string[];
  /** Encrypted at rest (AES-256-GCM under MFA_ENCRYPTION_KEY). */
  secret: string;
  /** The secret a rotation replaced (encrypted too), which still signs deliveries until `previousSecretUntil`. */
  previousSecret: string | null;
  previousSecretUntil: string | null;
  createdBy: string;
  createdAt: string;
  deletedAt: string | null;
  /** Its place among the owner's live subscriptions (1 to MAX_WEBHOOKS_PER_OWNER); null once deleted. */
  slot: number | null;
}

export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventSeq: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface WebhookAttempt {
  id: string;
  deliveryId: string;
  subscriptionId: string;
  attempt: number;
  startedAt: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  node: string;
}

/**
 * A claimed delivery with what sending it needs; `data` is the event's JSON text as the outbox stored it. `secrets`
 * (encrypted) are the current one and, during a rotation's overlap, the previous one.
 */
export interface DeliveryToSend {
  delivery: WebhookDelivery;
  url: string | null;
  secrets: string[] | null;
  event: { id: string; type: string; occurredAt: string; data: string };
}

const toSubscription = (r: Row): WebhookSubscription => ({
  id: r.id as string,
  ownerRole: r.owner_role as string,
  organizationId: (r.organization_id as string | null) ?? null,
  regionCode: (r.region_code as string | null) ?? null,
  url: r.url as string,
  events: JSON.parse(r.events as string) as string[],
  secret: r.secret as string,
  previousSecret: (r.previous_secret as string | null) ?? null,
  previousSecretUntil: (r.previous_secret_until as string | null) ?? null,
  createdBy: r.created_by as string,
  createdAt: r.created_at as string,
  deletedAt: (r.deleted_at as string | null) ?? null,
  slot: r.live_slot ? Number((r.live_slot as string).split('#').pop()) : null,
});

const toDelivery = (r: Row): WebhookDelivery => ({
  id: r.id as string,
  subscriptionId: r.subscription_id as string,
  eventId: r.event_id as string,
  eventSeq: Number(r.event_seq),
  eventType: r.event_type as string,
  status: r.status as DeliveryStatus,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at as string,
  leaseOwner: (r.lease_owner as string | null) ?? null,
  leaseExpiresAt: (r.lease_expires_at as string | null) ?? null,
  lastStatusCode: r.last_status_code === null || r.last_status_code === undefined ? null : Number(r.last_status_code),
  lastError: (r.last_error as string | null) ?? null,
  deliveredAt: (r.delivered_at as string | null) ?? null,
  createdAt: r.created_at as string,
});

const toAttempt = (r: Row): WebhookAttempt => ({
  id: r.id as string,
  deliveryId: r.delivery_id as string,
  subscriptionId: r.subscription_id as string,
  attempt: Number(r.attempt),
  startedAt: r.started_at as string,
  statusCode: r.status_code === null || r.status_code === undefined ? null : Number(r.status_code),
  error: (r.error as string | null) ?? null,
  durationMs: Number(r.duration_ms),
  node: r.node as string,
});

const DELIVERY_COLUMNS = sql`d.*, e.type AS event_type`;

/** Attempts of one subscription under way at once, on all nodes together (due). */
export const PER_SUBSCRIPTION_IN_FLIGHT = 10;

/** Webhook subscriptions, their deliveries (leased by any node through guarded updates) and the attempts log. */
@Injectable()
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts a live subscription under its unique keys (the owner's URL, the owner's slot); false when a subscription
   * committed meanwhile holds either, and nothing was written.
   */
  async insertSubscription(s: WebhookSubscription, keys: { url: string; slot: string }): Promise<boolean> {
    try {
      await this.db.execute(
        sql`INSERT INTO webhook_subscription (id, owner_role, organization_id, region_code, url, events, secret, created_by, created_at,
              deleted_at, live_url_key, live_slot)
            VALUES (${s.id}, ${s.ownerRole}, ${s.organizationId}, ${s.regionCode}, ${s.url}, ${JSON.stringify(s.events)}, ${s.secret},
                    ${s.createdBy}, ${s.createdAt}, NULL, ${keys.url}, ${keys.slot})`,
      );
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** The live subscriptions of one owner (same role, and same organization or bureau region). */
  async subscriptionsOf(owner: SubscriptionOwner): Promise<WebhookSubscription[]> {
    const rows = await this.db.rows(
      sql`SELECT * FROM webhook_subscription WHERE deleted_at IS NULL AND owner_role = ${owner.ownerRole}
          AND COALESCE(organization_id, '') = ${owner.organizationId ?? ''} AND COALESCE(region_code, '') = ${owner.regionCode ?? ''}
          ORDER BY created_at, id`,
    );
    return rows.map(toSubscription);
  }

  async subscription(id: string): Promise<WebhookSubscription | null> {
    const row = await this.db.row(sql`SELECT * FROM webhook_subscription WHERE id = ${id} AND deleted_at IS NULL`);
    return row ? toSubscription(row) : null;
  }

  async allLive(): Promise<WebhookSubscription[]> {
    return (await this.db.rows(sql`SELECT * FROM webhook_subscription WHERE deleted_at IS NULL`)).map(toSubscription);
  }

  /**
   * Ends a subscription and frees its URL and slot; false when it had already ended. Its pending deliveries are no
   * longer attempted.
   */
  async deleteSubscription(id: string, at: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE webhook_subscription SET deleted_at = ${at}, live_url_key = NULL, live_slot = NULL WHERE id = ${id} AND deleted_at IS NULL`,
      )) === 1
    );
  }

  /**
   * Ends the live subscriptions a credential made — a key's, or a person's and those of the keys they made; answers
   * those this call ended (each by the guarded update of deleteSubscription: of two units ending one, one does).
   */
  async endMadeBy(creatorId: string, at: string): Promise<WebhookSubscription[]> {
    const made = await this.db.rows(
      sql`SELECT * FROM webhook_subscription WHERE deleted_at IS NULL
          AND (created_by = ${creatorId} OR created_by IN (SELECT id FROM api_key WHERE created_by = ${creatorId}))`,
    );
    const ended: WebhookSubscription[] = [];
    for (const s of made.map(toSubscription)) if (await this.deleteSubscription(s.id, at)) ended.push(s);
    return ended;
  }

  /** Live subscriptions whose maker no longer acts — a key revoked, a person disabled, or a key whose maker is — and why. */
  async orphaned(): Promise<{ subscription: WebhookSubscription; cause: WebhookEndCause }[]> {
    const rows = await this.db.rows(
      sql`SELECT s.*, CASE WHEN k.revoked_at IS NOT NULL THEN 'api_key.revoked' ELSE 'user.disabled' END AS cause
          FROM webhook_subscription s LEFT JOIN api_key k ON k.id = s.created_by
            JOIN app_user u ON u.id = COALESCE(k.created_by, s.created_by)
          WHERE s.deleted_at IS NULL AND (k.revoked_at IS NOT NULL OR u.disabled_at IS NOT NULL)`,
    );
    return rows.map((r) => ({ subscription: toSubscription(r), cause: r.cause as WebhookEndCause }));
  }

  /** One delivery per event and subscription (the unique key makes a second fan-out of the same event impossible), in one statement. */
  async insertDeliveries(rows: { id: string; subscriptionId: string; eventId: string; eventSeq: number; at: string }[]): Promise<void> {
    // 500 rows a statement: within both databases' limits on bound parameters
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map(
          (d) =>
            sql`(${d.id}, ${d.subscriptionId}, ${d.eventId}, ${d.eventSeq}, 'pending', 0, ${d.at}, NULL, NULL, NULL, NULL, NULL, ${d.at})`,
        );
      await this.db.execute(
        sql`INSERT INTO webhook_delivery (id, subscription_id, event_id, event_seq, status, attempts, next_attempt_at, lease_owner,
              lease_expires_at, last_status_code, last_error, delivered_at, created_at)
            VALUES ${join(values)}`,
      );
    }
  }

  /**
   * Pending deliveries due now and not leased by a live node, of live subscriptions: candidates to claim, oldest first,
   * but no more of one subscription than leave it PER_SUBSCRIPTION_IN_FLIGHT attempts under way on all nodes together.
   * A receiver that never answers (or an owner making events by the thousand for one) then holds a few attempts, not
   * every node's: the other subscriptions' deliveries are claimed beside its backlog, not after it. The leases are
   * counted first through (status, lease_expires_at) — a few hundred rows at most — so that the subscriptions at their
   * share are left out of the one ordered read; the rest are trimmed to their share here.
   */
  async due(now: string, limit: number): Promise<string[]> {
    const leased = new Map<string, number>();
    for (const r of await this.db.rows(
      sql`SELECT subscription_id, COUNT(*) AS n FROM webhook_delivery WHERE status = 'pending' AND lease_expires_at > ${now}
          GROUP BY subscription_id`,
    )) {
      leased.set(r.subscription_id as string, Number(r.n));
    }
    const full = [...leased].filter(([, n]) => n >= PER_SUBSCRIPTION_IN_FLIGHT).map(([id]) => id);
    const rows = await this.db.rows(
      sql`SELECT d.id, d.subscription_id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= ${now} AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ${now})
            AND s.deleted_at IS NULL${full.length > 0 ? sql` AND d.subscription_id NOT IN (${join(full)})` : empty}
          ORDER BY d.next_attempt_at, d.event_seq LIMIT ${limit}`,
    );
    const taken = new Map<string, number>();
    return rows
      .filter((r) => {
        const subscription = r.subscription_id as string;
        const n = (taken.get(subscription) ?? leased.get(subscription) ?? 0) + 1;
        taken.set(subscription, n);
        return n <= PER_SUBSCRIPTION_IN_FLIGHT;
      })
      .map((r) => r.id as string);
  }

  /**
   * Claims a due delivery for one attempt: a guarded single-statement update that only one node can win, counting the
   * attempt. A lease that expired (its node died or hung) may be taken over.
   */
  async claim(id: string, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE webhook_delivery SET lease_owner = ${owner}, lease_expires_at = ${leaseUntil}, attempts = attempts + 1
            WHERE id = ${id} AND status = 'pending' AND next_attempt_at <= ${now}
              AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})`,
      )) === 1
    );
  }

  /**
   * What a batch of claimed deliveries needs to be sent, in one query: each delivery still leased by its claim, with its
   * subscription's URL and encrypted secret and its event (deliveries of deleted subscriptions come without a URL).
   */
  async toSend(claims: { id: string; owner: string }[], now: string): Promise<DeliveryToSend[]> {
    if (claims.length === 0) return [];
    const rows = await this.db.rows(
      sql`SELECT d.*, e.type AS event_type, s.url AS s_url, s.secret AS s_secret, s.deleted_at AS s_deleted_at,
            s.previous_secret AS s_previous_secret, s.previous_secret_until AS s_previous_secret_until,
            e.id AS e_id, e.type AS e_type, e.occurred_at AS e_occurred_at, e.data AS e_data
          FROM webhook_delivery d JOIN domain_event e ON e.id = d.event_id JOIN webhook_subscription s ON s.id = d.subscription_id
          WHERE d.id IN (${join(claims.map((c) => c.id))})`,
    );
    const owners = new Map(claims.map((c) => [c.id, c.owner]));
    return rows
      .filter((r) => r.lease_owner === owners.get(r.id as string))
      .map((r) => ({
        delivery: toDelivery(r),
        url: r.s_deleted_at ? null : (r.s_url as string),
        secrets: r.s_deleted_at
          ? null
          : [
              r.s_secret as string,
              ...(r.s_previous_secret && (r.s_previous_secret_until as string) > now ? [r.s_previous_secret as string] : []),
            ],
        event: { id: r.e_id as string, type: r.e_type as string, occurredAt: r.e_occurred_at as string, data: r.e_data as string },
      }));
  }

  async delivery(id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.row(
      sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d JOIN domain_event e ON e.id = d.event_id WHERE d.id = ${id}`,
    );
    return row ? toDelivery(row) : null;
  }

  /** Records an attempt's outcome, only while the lease is still the caller's; false when another node took it over. */
  async finish(
    id: string,
    owner: string,
    outcome: { status: DeliveryStatus; nextAttemptAt: string; statusCode: number | null; error: string | null; deliveredAt: string | null },
  ): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE webhook_delivery SET status = ${outcome.status}, next_attempt_at = ${outcome.nextAttemptAt}, lease_owner = NULL,
              lease_expires_at = NULL, last_status_code = ${outcome.statusCode}, last_error = ${outcome.error},
              delivered_at = ${outcome.deliveredAt}
            WHERE id = ${id} AND lease_owner = ${owner}`,
      )) === 1
    );
  }

  async insertAttempt(a: WebhookAttempt): Promise<void> {
    await this.db.execute(
      sql`INSERT INTO webhook_attempt (id, delivery_id, subscription_id, attempt, started_at, status_code, error, duration_ms, node)
          VALUES (${a.id}, ${a.deliveryId}, ${a.subscriptionId}, ${a.attempt}, ${a.startedAt}, ${a.statusCode}, ${a.error},
                  ${a.durationMs}, ${a.node})`,
    );
  }

  /**
   * Replaces a live subscription's secret by `secret`, keeping the one it replaces as the previous secret until `until`,
   * in one statement: of two rotations at once the second waits for the first's row lock and keeps the first's new
   * secret, as if they had come one after the other. (`previous_secret` is assigned first: MariaDB assigns left to right,
   * reading values already assigned; SQLite reads every value as it was.)
   */
  async rotateSecret(id: string, secret: string, until: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE webhook_subscription SET previous_secret = secret, secret = ${secret}, previous_secret_until = ${until}
            WHERE id = ${id} AND deleted_at IS NULL`,
      )) === 1
    );
  }

  /**
   * Deletes up to `limit` deliveries delivered or given up before `before` (their `next_attempt_at` is when they ended),
   * with their attempts, and those of subscriptions deleted before it (never attempted again, whatever their state);
   * never a pending one of a live subscription, nor one a node holds a live lease on at `now` (a worker may be sending
   * it, and records its attempt under that lease). The rows are locked first: a redelivery requested meanwhile waits,
   * and then finds nothing to put back in line. The deletes repeat the lease condition, so a claim that won the row
   * between the read and the delete keeps it. Answers how many it deleted.
   */
  async purgeEnded(before: string, now: string, limit: number): Promise<number> {
    const unleased = sql`(lease_expires_at IS NULL OR lease_expires_at <= ${now})`;
    // any of them, not the oldest first: an order would sort every old row again for each batch
    let ids = (
      await this.db.rows(
        sql`SELECT id FROM webhook_delivery WHERE status IN ('delivered', 'failed') AND next_attempt_at < ${before} AND ${unleased}
            LIMIT ${limit}${this.db.forUpdate}`,
      )
    ).map((r) => r.id as string);
    if (ids.length < limit) {
      const ended = await this.db.rows(
        sql`SELECT d.id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
            WHERE s.deleted_at IS NOT NULL AND s.deleted_at < ${before}
              AND ${unleased}
            LIMIT ${limit - ids.length}${this.db.forUpdate}`,
      );
      ids = [...new Set([...ids, ...ended.map((r) => r.id as string)])];
    }
    if (ids.length === 0) return 0;
    await this.db.execute(
      sql`DELETE FROM webhook_attempt WHERE delivery_id IN (SELECT id FROM webhook_delivery WHERE id IN (${join(ids)}) AND ${unleased})`,
    );
    return this.db.execute(sql`DELETE FROM webhook_delivery WHERE id IN (${join(ids)}) AND ${unleased}`);
  }

  /** A subscription's deliveries given up (failed) that were made in [from, to), at most `limit`, oldest event first, locked. */
  async failedIn(subscriptionId: string, from: string, to: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows(
      sql`SELECT id FROM webhook_delivery WHERE subscription_id = ${subscriptionId} AND status = 'failed'
            AND created_at >= ${from} AND created_at < ${to}
          ORDER BY event_seq LIMIT ${limit}${this.db.forUpdate}`,
    );
    return rows.map((r) => r.id as string);
  }

  /** Puts failed deliveries back in line now (a failed delivery holds no lease); answers how many. */
  async requeueFailed(ids: string[], now: string): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.execute(
      sql`UPDATE webhook_delivery SET status = 'pending', next_attempt_at = ${now} WHERE id IN (${join(ids)}) AND status = 'failed'`,
    );
  }

  /** Puts a delivery back in line now (manual redelivery); false while a node holds a live lease on it. */
  async requeue(id: string, subscriptionId: string, now: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE webhook_delivery SET status = 'pending', next_attempt_at = ${now}
            WHERE id = ${id} AND subscription_id = ${subscriptionId} AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})`,
      )) === 1
    );
  }

  /** A subscription's deliveries (only those in `status`, when given), newest event first. */
  async deliveries(
    subscriptionId: string,
    limit: number,
    offset: number,
    status?: DeliveryStatus,
  ): Promise<{ items: WebhookDelivery[]; total: number }> {
    const inStatus = status ? sql` AND d.status = ${status}` : empty;
    const rows = await this.db.rows(
      sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d JOIN domain_event e ON e.id = d.event_id
          WHERE d.subscription_id = ${subscriptionId}${inStatus} ORDER BY d.event_seq DESC LIMIT ${limit} OFFSET ${offset}`,
    );
    return {
      items: rows.map(toDelivery),
      total: await this.db.count(sql`webhook_delivery d WHERE d.subscription_id = ${subscriptionId}${inStatus}`),
    };
  }

  /** The attempts log of some deliveries, oldest first. */
  async attemptsOf(deliveryIds: string[]): Promise<WebhookAttempt[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.db.rows(
      sql`SELECT * FROM webhook_attempt WHERE delivery_id IN (${join(deliveryIds)}) ORDER BY started_at, attempt`,
    );
    return rows.map(toAttempt);
  }
}
