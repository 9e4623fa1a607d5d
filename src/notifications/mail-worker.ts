import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createTransport, Transporter } from 'nodemailer';
import { hostname } from 'node:os';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { mailConfig, MailConfig } from '../config/configuration';
import { EventOutbox } from '../events/event-outbox';
import { MAIL_FOOTER } from './notification-templates';
import { NotificationRepository } from './notification.repository';
import { mailRetry } from './notification.rules';

/** SMTP conversations under way on one node at once. */
const MAX_IN_FLIGHT = 4;
const NODE = `${hostname()}:${process.pid}`;

/**
 * Sends notification mails through SMTP (nodemailer, SMTP_URL), on every node, like the webhook deliveries: each due
 * mail is claimed by a guarded UPDATE that commits first, with a lease (MAIL_LEASE_MS) that outlasts the attempt —
 * every step of the SMTP conversation times out after a twelfth of it — so no other node takes a mail over while it is
 * being sent; the outcome is recorded under that lease. Sends run beside the sweeps, never inside them: a mail server
 * that hangs holds its own few conversations, not the expiry of vouchers and holds.
 *
 * A refusal that will not change (5xx) fails the mail at once; anything else is retried, doubling from
 * MAIL_RETRY_BASE_MS up to an hour, for a day after the notice (the notification stays in the app in any case). A mail
 * to a user disabled meanwhile is not sent. Every attempt carries the notification's own Message-ID, so that a mail a
 * node died after sending, sent again, is recognisably the same mail.
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MailWorker.name);
  private readonly transport: Transporter | null;
  private readonly domain: string;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly scheduler: SchedulerRegistry,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    const step = Math.floor(config.leaseMs / 12);
    this.transport = config.smtpUrl
      ? createTransport({ url: config.smtpUrl, connectionTimeout: step, greetingTimeout: step, socketTimeout: step, dnsTimeout: step })
      : null;
    this.domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(config.from)?.[1] ?? 'vouchers.invalid';
    if (!this.transport) return;
    outbox.afterSequenced(() => this.nudge());
    sweeps.register('notification-mails', () => this.sendDue());
  }

  onApplicationBootstrap(): void {
    if (!this.transport || this.config.pollMs === 0) return;
    const timer = setInterval(() => this.nudge(), this.config.pollMs);
    timer.unref();
    this.scheduler.addInterval('notification-mails', timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => 0);
    await Promise.all(this.inFlight);
    this.transport?.close();
  }

  /** Starts a round now, or right after the one running. */
  nudge(): void {
    if (this.stopped || this.config.pollMs === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sendDue()
      .catch((e) => {
        this.logger.warn(`notification mails: ${(e as Error).message}`);
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

  /** Claims due mails while this node has room for their conversations and starts them; returns how many it claimed. */
  async sendDue(): Promise<number> {
    if (!this.transport) return 0;
    let made = 0;
    while (!this.stopped && this.inFlight.size < MAX_IN_FLIGHT) {
      const ids = await this.notifications.dueMails(new Date().toISOString(), MAX_IN_FLIGHT - this.inFlight.size);
      let claimed = 0;
      for (const id of ids) {
        // The lease runs from its own claim, so each mail has all of it.
        const now = new Date();
        const owner = `${NODE}:${newId()}`;
        const until = new Date(now.getTime() + this.config.leaseMs).toISOString();
        if (!(await this.uow.run(() => this.notifications.claimMail(id, owner, now.toISOString(), until)))) continue;
        claimed++;
        const send: Promise<void> = this.send(id, owner)
          .catch((e) => this.logger.warn(`notification mail ${id}: ${(e as Error).message}`))
          .finally(() => {
            this.inFlight.delete(send);
            this.nudge(); // room again
          });
        this.inFlight.add(send);
      }
      if (claimed === 0) break; // none due, or other nodes took them
      made += claimed;
    }
    return made;
  }

  private async send(id: string, owner: string): Promise<void> {
    const n = await this.notifications.mailToSend(id);
    if (!n?.emailTo) return;
    if (!n.recipientActive) {
      await this.uow.run(() => this.notifications.finishMail(id, owner, 'failed', null, 'the user was disabled before it was sent'));
      return;
    }
    let failure: { message: string; responseCode?: number } | null = null;
    try {
      await this.transport!.sendMail({
        from: this.config.from,
        to: n.emailTo,
        subject: n.title,
        text: `${n.body}${MAIL_FOOTER}`,
        messageId: `<${n.id}@${this.domain}>`,
      });
    } catch (e) {
      failure = e as { message: string; responseCode?: number };
    }
    const outcome = failure
      ? mailRetry({ ...n, responseCode: failure.responseCode, now: Date.now(), retryBaseMs: this.config.retryBaseMs })
      : null;
    await this.uow.run(() =>
      this.notifications.finishMail(
        id,
        owner,
        !failure ? 'sent' : outcome!.retryAt ? 'pending' : 'failed',
        outcome?.retryAt ?? null,
        failure ? failure.message.slice(0, 500) : null,
      ),
    );
  }
}
