import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
import { MfaSecrets } from '../auth/mfa-secrets';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { webhooksConfig, WebhooksConfig } from '../config/configuration';
import { EventOutbox } from '../events/event-outbox';
import { DomainEvent, EventRepository } from '../events/event.repository';
import { nextAttemptAt, RETRY_RULE, RetryRule } from './webhook-backoff';
import { signatureHeader } from './webhook-signature';
import { CheckedTarget, checkTarget, TargetRefused } from './webhook-target';
import { WebhookDelivery, WebhookRepository } from './webhook.repository';

const BATCH = 20;
const NODE = `${hostname()}:${process.pid}`;

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

/**
 * Delivers webhooks, on every node. Each due delivery is claimed with a lease by a guarded UPDATE that commits before
 * the HTTP call (one node wins it; the attempt is counted then), attempted, and finished by an UPDATE guarded on the
 * lease still being this claim's. A node that dies or hangs mid-attempt leaves a lease that expires after
 * WEBHOOK_LEASE_MS (longer than the 10 s timeout); any node then claims the delivery again. Nothing lives in one
 * process's memory: the timer only makes delivery prompt, and the sweep runs it too.
 *
 * At least once: a receiver may see an event twice (a node died after the receiver answered, before the finish
 * committed), so receivers deduplicate by `Yrd-Event-Id`. Never twice in one attempt: a claim is one row update.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly rule: RetryRule;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly webhooks: WebhookRepository,
    private readonly events: EventRepository,
    private readonly secrets: MfaSecrets,
    private readonly scheduler: SchedulerRegistry,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    this.rule = { ...RETRY_RULE, baseMs: config.retryBaseMs };
    outbox.afterSequenced(() => this.nudge());
    sweeps.register('webhook-deliveries', () => this.deliverDue());
  }

  onApplicationBootstrap(): void {
    if (this.config.pollMs === 0) return;
    const timer = setInterval(() => this.nudge(), this.config.pollMs);
    timer.unref();
    this.scheduler.addInterval('webhook-deliveries', timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => 0);
  }

  /** Starts a round now, or right after the one running. With WEBHOOK_POLL_MS=0 this node delivers only in the sweep. */
  nudge(): void {
    if (this.stopped || this.config.pollMs === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((e) => {
        this.logger.warn(`webhook deliveries: ${(e as Error).message}`);
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Claims and attempts due deliveries until none is left; returns how many attempts this node made. */
  async deliverDue(): Promise<number> {
    let made = 0;
    while (!this.stopped) {
      const now = new Date();
      const candidates = await this.webhooks.due(now.toISOString(), BATCH);
      if (candidates.length === 0) break;
      const claimed: { id: string; owner: string }[] = [];
      for (const id of candidates) {
        const owner = `${NODE}:${newId()}`;
        const leaseUntil = new Date(now.getTime() + this.config.leaseMs).toISOString();
        if (await this.uow.run(() => this.webhooks.claim(id, owner, now.toISOString(), leaseUntil))) claimed.push({ id, owner });
      }
      if (claimed.length === 0) break; // other nodes took them
      await Promise.all(claimed.map((c) => this.attempt(c.id, c.owner)));
      made += claimed.length;
    }
    return made;
  }

  private async attempt(id: string, owner: string): Promise<void> {
    const delivery = await this.webhooks.delivery(id);
    if (!delivery || delivery.leaseOwner !== owner) return;
    const subscription = await this.webhooks.subscription(delivery.subscriptionId);
    const event = await this.events.byId(delivery.eventId);
    const started = Date.now();
    let result: AttemptResult;
    try {
      result =
        subscription && event
          ? await this.send(subscription.url, subscription.secret, event)
          : { statusCode: null, error: 'the subscription was deleted' };
    } catch (e) {
      // Whatever went wrong here (a secret that no longer decrypts under MFA_ENCRYPTION_KEY), the attempt is recorded as
      // failed and retried, rather than left leased until the lease runs out.
      result = { statusCode: null, error: (e as Error).message };
    }
    await this.finish(delivery, owner, started, result);
  }

  private async send(url: string, encryptedSecret: string, event: DomainEvent): Promise<AttemptResult> {
    const body = JSON.stringify({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data });
    const t = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'yrd-vouchers-webhooks/1',
      'yrd-event-id': event.id,
      'yrd-signature': signatureHeader(this.secrets.decrypt(encryptedSecret), body, t),
    };
    return this.post(url, body, headers);
  }

  private async finish(delivery: WebhookDelivery, owner: string, started: number, result: AttemptResult): Promise<void> {
    const now = Date.now();
    const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const next = delivered ? now : nextAttemptAt(this.rule, Date.parse(delivery.createdAt), now, delivery.attempts, Math.random());
    await this.uow.run(async () => {
      await this.webhooks.insertAttempt({
        id: newId(),
        deliveryId: delivery.id,
        subscriptionId: delivery.subscriptionId,
        attempt: delivery.attempts,
        startedAt: new Date(started).toISOString(),
        statusCode: result.statusCode,
        error: result.error?.slice(0, 500) ?? null,
        durationMs: now - started,
        node: NODE.slice(0, 100),
      });
      const finished = await this.webhooks.finish(delivery.id, owner, {
        status: delivered ? 'delivered' : next === null ? 'failed' : 'pending',
        nextAttemptAt: new Date(next ?? now).toISOString(),
        statusCode: result.statusCode,
        error: delivered ? null : (result.error ?? `HTTP ${result.statusCode}`).slice(0, 500),
        deliveredAt: delivered ? new Date(now).toISOString() : null,
      });
      if (!finished) this.logger.warn(`delivery ${delivery.id}: the lease ran out during the attempt; another node retries it`);
    });
  }

  /** One POST to the checked address, with the timeout; any answer is a status, anything else an error. */
  private async post(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult> {
    let target: CheckedTarget;
    try {
      target = await checkTarget(url, this.config.allowPrivate);
    } catch (e) {
      if (e instanceof TargetRefused) return { statusCode: null, error: `refused: ${e.message}` };
      throw e;
    }
    // Connect to the address just checked, not to what a second lookup might answer.
    const lookup: LookupFunction = (_host, options, callback) => {
      if (options.all)
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: target.address, family: target.family },
        ]);
      else callback(null, target.address, target.family);
    };
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<AttemptResult>((resolve) => {
      const req = send(
        target.url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup,
          timeout: this.config.timeoutMs,
        },
        (res) => {
          res.resume(); // the answer's body is not kept
          res.on('end', () => resolve({ statusCode: res.statusCode ?? null, error: null }));
          res.on('error', (e) => resolve({ statusCode: res.statusCode ?? null, error: e.message }));
        },
      );
      // The whole exchange, not only each silence, is bounded: a receiver trickling bytes is cut off too.
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.config.timeoutMs} ms`)));
      req.on('error', (e) => resolve({ statusCode: null, error: e.message }));
      req.end(body);
    });
  }
}
