import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
import { MfaSecrets } from '../auth/mfa-secrets';
import { newId } from '../common/ids';
import { Rounds } from '../common/rounds';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { webhooksConfig, WebhooksConfig } from '../config/configuration';
import { EventOutbox } from '../events/event-outbox';
import { nextAttemptAt, RETRY_RULE, RetryRule } from './webhook-backoff';
import { signatureHeader } from './webhook-signature';
import { CheckedTarget, checkTarget, TargetRefused } from './webhook-target';
import { DeliveryToSend, WebhookDelivery, WebhookRepository } from './webhook.repository';

const BATCH = 50;
const MAX_IN_FLIGHT = 200;
const NODE = `${hostname()}:${process.pid}`;

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

/** One attempt made, to be recorded. */
interface Outcome {
  delivery: WebhookDelivery;
  owner: string;
  started: number;
  ended: number;
  result: AttemptResult;
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
  private readonly rounds = new Rounds(
    () => this.deliverDue(),
    (e) => this.logger.warn(`webhook deliveries: ${e.message}`),
  );
  /** Attempts under way on this node: a slow receiver holds only its own, never the others'. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Attempts made and not yet recorded: recorded together, one transaction for all that finished meanwhile. */
  private finished: Outcome[] = [];
  private recording: Promise<void> | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly webhooks: WebhookRepository,
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
    await this.rounds.stop();
    await Promise.all(this.inFlight);
    await this.recording;
  }

  /** Starts a round now, or right after the one running. With WEBHOOK_POLL_MS=0 this node delivers only in the sweep. */
  nudge(): void {
    if (this.config.pollMs !== 0) this.rounds.request();
  }

  /**
   * Claims due deliveries until none is left or MAX_IN_FLIGHT attempts are under way, and starts their attempts;
   * returns how many it claimed. Each attempt is recorded when it ends, with whatever else ended meanwhile.
   */
  async deliverDue(): Promise<number> {
    let made = 0;
    while (!this.rounds.stopped && this.inFlight.size < MAX_IN_FLIGHT) {
      const now = new Date();
      const candidates = await this.webhooks.due(now.toISOString(), Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight.size));
      if (candidates.length === 0) break;
      const leaseUntil = new Date(now.getTime() + this.config.leaseMs).toISOString();
      // One transaction claims the batch; each claim is still its own guarded UPDATE, won or lost row by row.
      const claimed = await this.uow.run(async () => {
        const won: { id: string; owner: string }[] = [];
        for (const id of candidates) {
          const owner = `${NODE}:${newId()}`;
          if (await this.webhooks.claim(id, owner, now.toISOString(), leaseUntil)) won.push({ id, owner });
        }
        return won;
      });
      if (claimed.length === 0) break; // other nodes took them
      const owners = new Map(claimed.map((c) => [c.id, c.owner]));
      for (const b of await this.webhooks.toSend(claimed, new Date().toISOString())) {
        const attempt: Promise<void> = this.attempt(b, owners.get(b.delivery.id)!)
          .then((outcome) => this.record(outcome))
          .finally(() => {
            this.inFlight.delete(attempt);
            if (this.inFlight.size === MAX_IN_FLIGHT - 1) this.nudge(); // room again
          });
        this.inFlight.add(attempt);
      }
      made += claimed.length;
    }
    return made;
  }

  /** Queues an attempt's outcome and records the queue in one transaction, again while more arrive. */
  private record(outcome: Outcome): void {
    this.finished.push(outcome);
    if (this.recording) return;
    this.recording = this.recordQueued();
  }

  private async recordQueued(): Promise<void> {
    while (this.finished.length > 0) {
      const batch = this.finished;
      this.finished = [];
      // A batch that cannot be recorded leaves its leases to expire: those deliveries are attempted again (at least once).
      await this.finishAll(batch).catch((e) => this.logger.warn(`recording ${batch.length} webhook attempts: ${(e as Error).message}`));
    }
    // Cleared in the same step as the last look at the queue: an outcome queued after it starts a new round.
    this.recording = null;
  }

  private async attempt(b: DeliveryToSend, owner: string): Promise<Outcome> {
    const started = Date.now();
    let result: AttemptResult;
    try {
      result =
        b.url !== null && b.secrets !== null
          ? await this.send(b.url, b.secrets, b.event)
          : { statusCode: null, error: 'the subscription was deleted' };
    } catch (e) {
      // Whatever went wrong here (a secret that no longer decrypts under MFA_ENCRYPTION_KEY), the attempt is recorded as
      // failed and retried, rather than left leased until the lease runs out.
      result = { statusCode: null, error: (e as Error).message };
    }
    return { delivery: b.delivery, owner, started, ended: Date.now(), result };
  }

  /** The event's data is sent as stored (JSON text), so the body is exactly what was written in the outbox. */
  private async send(
    url: string,
    encryptedSecrets: string[],
    event: { id: string; type: string; occurredAt: string; data: string },
  ): Promise<AttemptResult> {
    const body = `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"occurredAt":${JSON.stringify(event.occurredAt)},"data":${event.data}}`;
    const t = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'yrd-vouchers-webhooks/1',
      'yrd-event-id': event.id,
      'yrd-signature': signatureHeader(
        encryptedSecrets.map((s) => this.secrets.decrypt(s)),
        body,
        t,
      ),
    };
    return this.post(url, body, headers);
  }

  /** The outcomes of a batch of attempts, in one transaction: each attempt logged, each delivery finished under its lease. */
  private async finishAll(outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.uow.run(async () => {
      for (const { delivery, owner, started, ended, result } of outcomes) {
        const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
        const next = delivered ? ended : nextAttemptAt(this.rule, Date.parse(delivery.createdAt), ended, delivery.attempts, Math.random());
        await this.webhooks.insertAttempt({
          id: newId(),
          deliveryId: delivery.id,
          subscriptionId: delivery.subscriptionId,
          attempt: delivery.attempts,
          startedAt: new Date(started).toISOString(),
          statusCode: result.statusCode,
          error: result.error?.slice(0, 500) ?? null,
          durationMs: ended - started,
          node: NODE.slice(0, 100),
        });
        const finished = await this.webhooks.finish(delivery.id, owner, {
          status: delivered ? 'delivered' : next === null ? 'failed' : 'pending',
          nextAttemptAt: new Date(next ?? ended).toISOString(),
          statusCode: result.statusCode,
          error: delivered ? null : (result.error ?? `HTTP ${result.statusCode}`).slice(0, 500),
          deliveredAt: delivered ? new Date(ended).toISOString() : null,
        });
        if (!finished) this.logger.warn(`delivery ${delivery.id}: the lease ran out during the attempt; another node retries it`);
      }
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
