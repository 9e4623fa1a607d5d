import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { MfaSecrets } from '../auth/mfa-secrets';
import { clock, isoPlusDays, securityClock } from '../common/clock';
import { ThrottleRepository } from '../auth/throttle.repository';
import { admitSliding } from '../auth/throttle.rules';
import { Sweeps } from '../common/sweeps';
import type { Page } from '../common/http/paging';
import { personOf, type Actor } from '../common/context/request-context';
import { catalogued, DomainError, notFound, serviceBusy } from '../common/errors/domain-error';
import { translate } from '../common/i18n/messages';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { webhooksConfig, WebhooksConfig } from '../config/configuration';
import { EventOutbox } from '../events/event-outbox';
import { DomainEvent } from '../events/event.repository';
import { EVENT_TYPES } from '../events/event-types';
import { Notifier } from '../notifications/notifier';
import { zhDateTime } from '../common/i18n/messages';
import { checkTarget, TargetRefused } from './webhook-target';
import { DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookRepository, WebhookSubscription } from './webhook.repository';
import {
  freeSlot,
  liveSlotKey,
  liveUrlKey,
  MAX_WEBHOOKS_PER_OWNER,
  ownerOf,
  receives,
  sameOwner,
  sameUrl,
  webhookDeleted,
} from './webhook.rules';
import { assertStillActs } from '../api-keys/still-acts';

/** Subscriptions of organizations and bureaus, their fan-out from the outbox, and manual redelivery. */
@Injectable()
export class WebhooksService {
  static readonly subscribeRefusals = ['DUPLICATE', 'LIMIT_REACHED'] as const;
  static readonly redeliverRefusals = ['INVALID_STATE'] as const;
  static readonly redeliverWindowRefusals = ['VALIDATION_FAILED', 'RATE_LIMITED'] as const;
  /** Failed deliveries one bulk redelivery puts back in line at most; the caller asks again for the rest. */
  static readonly REDELIVER_MAX = 500;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly webhooks: WebhookRepository,
    private readonly secrets: MfaSecrets,
    private readonly keys: ApiKeyRepository,
    private readonly notifier: Notifier,
    private readonly throttles: ThrottleRepository,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    outbox.onSequenced((events) => this.fanOut(events));
    sweeps.register('webhooks whose maker no longer acts', () => this.endOrphaned());
    sweeps.register('webhook-delivery-retention', () => this.purgeEndedDeliveries());
  }

  /**
   * Deletes deliveries delivered or given up more than WEBHOOK_DELIVERY_RETENTION_DAYS ago, and those of subscriptions
   * deleted that long ago, with their attempts, in batches of its own transaction each (any node; a batch two nodes
   * race for is deleted once). A live subscription's pending ones stay, and so does any delivery a node is attempting
   * under a live lease: it goes in a later sweep, once the attempt is recorded or the lease has run out.
   */
  async purgeEndedDeliveries(): Promise<number> {
    const before = isoPlusDays(clock.iso(), -this.config.deliveryRetentionDays);
    let purged = 0;
    for (;;) {
      // leases are taken on the real clock (delivery-worker.ts), so they are read on it
      const n = await this.uow.run(() => this.webhooks.purgeEnded(before, new Date().toISOString(), PURGE_BATCH));
      purged += n;
      if (n < PURGE_BATCH) return purged;
    }
  }

  /**
   * Ends the live subscriptions of keys revoked and people disabled that the revocation or the disabling left: those
   * made before either ended a credential's webhooks (and any a path ending credentials would miss).
   */
  endOrphaned(): Promise<number> {
    return this.uow.run(async () => {
      const now = clock.iso();
      let ended = 0;
      for (const { subscription, cause } of await this.webhooks.orphaned()) {
        if (!(await this.webhooks.deleteSubscription(subscription.id, now))) continue;
        this.uow.record(webhookDeleted(subscription, cause));
        ended++;
      }
      return ended;
    });
  }

  /**
   * Creates a subscription; the signing secret is answered once and kept encrypted. An owner keeps at most
   * MAX_WEBHOOKS_PER_OWNER live subscriptions (422 LIMIT_REACHED) and one per URL (409 DUPLICATE).
   */
  async subscribe(actor: Actor, url: string, events: string[]): Promise<{ subscription: WebhookSubscription; secret: string }> {
    this.assertManager(actor);
    const unknown = events.filter((e) => e !== '*' && !EVENT_TYPES.includes(e));
    if (unknown.length > 0) throw catalogued('VALIDATION_FAILED', 'webhooks.unknownEvents', { types: unknown.join(', ') });
    try {
      await checkTarget(url, this.config.allowPrivate);
    } catch (e) {
      if (e instanceof TargetRefused) throw urlRefusal(e);
      throw e;
    }
    const owner = ownerOf(actor);
    const secret = newSecret();
    const subscription: WebhookSubscription = {
      id: newId(),
      ...owner,
      url,
      events: [...new Set(events)],
      secret: this.secrets.encrypt(secret),
      previousSecret: null,
      previousSecretUntil: null,
      createdBy: actor.userId,
      createdAt: clock.iso(),
      deletedAt: null,
      slot: null,
    };
    await this.uow.run(async () => {
      // A key revoked, or a person disabled, since this request began makes nothing: read under shared locks, so that
      // a revocation committing after this unit ends what it made (endMadeBy).
      await assertStillActs(this.keys, actor);
      // The unique keys decide between an owner's concurrent subscriptions: one that lost reads the winner and looks again.
      for (let attempt = 0; ; attempt++) {
        const live = await this.webhooks.subscriptionsOf(owner);
        const same = live.find((s) => sameUrl(s.url, url));
        if (same) throw catalogued('DUPLICATE', 'webhooks.duplicate', { id: same.id });
        const slot = live.length < MAX_WEBHOOKS_PER_OWNER ? freeSlot(live.map((s) => s.slot)) : null;
        if (slot === null) throw catalogued('LIMIT_REACHED', 'webhooks.limit', { max: MAX_WEBHOOKS_PER_OWNER });
        subscription.slot = slot;
        if (await this.webhooks.insertSubscription(subscription, { url: liveUrlKey(owner, url), slot: liveSlotKey(owner, slot) })) break;
        if (attempt === MAX_WEBHOOKS_PER_OWNER) throw serviceBusy();
      }
      this.uow.record({
        action: 'webhook.subscribed',
        entityType: 'webhook_subscription',
        entityId: subscription.id,
        regionCode: subscription.regionCode,
        organizationId: subscription.organizationId,
        summary: { url, events: subscription.events },
      });
      // The person whose sign-in (or key) made it hears of it: a stolen password's subscription would otherwise carry the
      // organization's events out unseen. The receiver by its origin only: a path or query may hold the receiver's token.
      await this.notifier.toUser(
        personOf(actor),
        'webhook_subscribed',
        subscription.createdAt,
        {
          via: actor.apiKey ? '通过其创建的 API 密钥' : '',
          events: subscription.events.includes('*') ? '全部' : subscription.events.join('、'),
          receiver: new URL(url).origin,
        },
        subscription.id,
      );
    });
    return { subscription, secret };
  }

  /** A page of the owner's live subscriptions: at most MAX_WEBHOOKS_PER_OWNER, so the page is cut from all of them. */
  async list(actor: Actor, page: { limit: number; offset: number }): Promise<Page<WebhookSubscription>> {
    const all = await this.webhooks.subscriptionsOf(ownerOf(actor));
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  async unsubscribe(actor: Actor, id: string): Promise<void> {
    this.assertManager(actor);
    await this.uow.run(async () => {
      const s = await this.own(actor, id);
      if (!(await this.webhooks.deleteSubscription(s.id, clock.iso()))) throw notFound('webhook');
      this.uow.record(webhookDeleted(s));
    });
  }

  /**
   * A new signing secret, answered once and kept encrypted. The one it replaces still signs every delivery (a second
   * `v1=`) for WEBHOOK_SECRET_OVERLAP_HOURS; a rotation during that overlap drops the oldest. The person acting is told.
   */
  async rotateSecret(actor: Actor, id: string): Promise<{ id: string; secret: string; previousSecretValidUntil: string }> {
    this.assertManager(actor);
    const secret = newSecret();
    const encrypted = this.secrets.encrypt(secret);
    const at = clock.iso();
    // on the worker's clock, as it compares (the real one, like delivery times)
    const until = new Date(Date.now() + this.config.secretOverlapHours * 3_600_000).toISOString();
    await this.uow.run(async () => {
      await assertStillActs(this.keys, actor);
      const s = await this.own(actor, id);
      // Of two rotations at once, the second replaces the first's secret: as if they had come one after the other.
      if (!(await this.webhooks.rotateSecret(s.id, encrypted, until))) throw notFound('webhook');
      this.uow.record({
        action: 'webhook.secret_rotated',
        entityType: 'webhook_subscription',
        entityId: s.id,
        regionCode: s.regionCode,
        organizationId: s.organizationId,
        summary: { url: s.url, previousSecretValidUntil: until },
      });
      await this.notifier.toUser(
        personOf(actor),
        'webhook_secret_rotated',
        at,
        { via: actor.apiKey ? '通过其创建的 API 密钥' : '', receiver: new URL(s.url).origin, until: zhDateTime(until) },
        newId(),
      );
    });
    return { id, secret, previousSecretValidUntil: until };
  }

  /**
   * Puts back in line the subscription's failed deliveries made in [from, to), at most REDELIVER_MAX, oldest event first.
   * Asking again requeues none of those (they are pending or delivered by then) and the next ones, if any.
   */
  redeliverFailed(actor: Actor, id: string, from: string, to: string): Promise<{ requeued: number; more: boolean }> {
    this.assertManager(actor);
    if (!(from < to)) throw catalogued('VALIDATION_FAILED', 'webhooks.window');
    return this.uow.run(async () => {
      const s = await this.own(actor, id);
      await this.countRedelivery(s.id);
      const max = WebhooksService.REDELIVER_MAX;
      // One more than the bound is read, to tell the caller there is more: it stays failed for the next request.
      const ids = await this.webhooks.failedIn(s.id, from, to, max + 1);
      const requeued = await this.webhooks.requeueFailed(ids.slice(0, max), new Date().toISOString());
      if (requeued > 0) {
        this.uow.record({
          action: 'webhook.redelivery_requested',
          entityType: 'webhook_subscription',
          entityId: s.id,
          regionCode: s.regionCode,
          organizationId: s.organizationId,
          summary: { from, to, requeued },
        });
      }
      return { requeued, more: ids.length > max };
    });
  }

  /**
   * Counts a window redelivery against the subscription's last hour (the instants on its throttle row, locked: counts
   * from several nodes add up). Each puts up to REDELIVER_MAX deliveries back in line; past WEBHOOK_REDELIVERIES_PER_HOUR
   * the unit ends in 429 and records nothing.
   */
  private async countRedelivery(subscriptionId: string): Promise<void> {
    const now = securityClock.iso();
    const row = await this.throttles.lockOrCreate(`webhook-redeliver:${subscriptionId}`, now);
    const max = this.config.redeliveriesPerHour;
    const admitted = admitSliding(row.recent ? (JSON.parse(row.recent) as string[]) : [], now, HOUR_SEC, max);
    if (admitted.refusedForSec !== undefined) {
      throw catalogued('RATE_LIMITED', 'webhooks.redeliveriesLimited', { max }, { retryAfterSec: admitted.refusedForSec });
    }
    await this.throttles.save({ ...row, recent: JSON.stringify(admitted.recent), updatedAt: now });
  }

  async deliveries(
    actor: Actor,
    id: string,
    limit: number,
    offset: number,
    status?: DeliveryStatus,
  ): Promise<{ items: (WebhookDelivery & { log: WebhookAttempt[] })[]; total: number }> {
    const s = await this.own(actor, id);
    const page = await this.webhooks.deliveries(s.id, limit, offset, status);
    const log = await this.webhooks.attemptsOf(page.items.map((d) => d.id));
    return { items: page.items.map((d) => ({ ...d, log: log.filter((a) => a.deliveryId === d.id) })), total: page.total };
  }

  /** Puts a delivery back in line at once, whatever its state, unless a node is attempting it right now. */
  redeliver(actor: Actor, id: string, deliveryId: string): Promise<Outcome<WebhookDelivery>> {
    this.assertManager(actor);
    return this.uow.run(async () => {
      const s = await this.own(actor, id);
      const delivery = await this.webhooks.delivery(deliveryId);
      if (!delivery || delivery.subscriptionId !== s.id) throw notFound('delivery');
      if (!(await this.webhooks.requeue(delivery.id, s.id, new Date().toISOString()))) {
        return refusedBy(catalogued('INVALID_STATE', 'webhooks.deliveryBusy'));
      }
      this.uow.record({
        action: 'webhook.redelivery_requested',
        entityType: 'webhook_subscription',
        entityId: s.id,
        regionCode: s.regionCode,
        organizationId: s.organizationId,
        summary: { deliveryId: delivery.id, eventId: delivery.eventId },
      });
      return ok((await this.webhooks.delivery(delivery.id))!);
    });
  }

  /** In the numbering transaction: one delivery per newly numbered event and subscription that receives it. */
  private async fanOut(events: DomainEvent[]): Promise<void> {
    const subscriptions = await this.webhooks.allLive();
    if (subscriptions.length === 0) return;
    const at = new Date().toISOString();
    const rows = events.flatMap((e) =>
      subscriptions.filter((s) => receives(s, e)).map((s) => ({ id: newId(), subscriptionId: s.id, eventId: e.id, eventSeq: e.seq, at })),
    );
    await this.webhooks.insertDeliveries(rows);
  }

  /** A subscription of the caller's organization or bureau; any other is 404 to it. */
  private async own(actor: Actor, id: string): Promise<WebhookSubscription> {
    const s = await this.webhooks.subscription(id);
    if (!s || !sameOwner(s, ownerOf(actor))) throw notFound('webhook');
    return s;
  }

  /** Subscriptions send the organization's data elsewhere: managed by its admins (or a writing API key of it). */
  private assertManager(actor: Actor): void {
    if (!actor.admin && !(actor.apiKey && !actor.apiKey.readOnly)) throw catalogued('FORBIDDEN', 'webhooks.managers');
  }
}

const PURGE_BATCH = 500;
const HOUR_SEC = 3600;

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** 400 naming `url`, with the reason in the caller's language. */
const urlRefusal = (e: TargetRefused) =>
  new DomainError('VALIDATION_FAILED', translate('en', 'webhooks.url', { reason: e.message }), {
    localized: (lng) => translate(lng, 'webhooks.url', { reason: translate(lng, `webhooks.target.${e.reason}`, e.params) }),
  });
