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

const BATCH = 20;
const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 60_000;
const LEASE_MS = 60_000;
const NODE = `${hostname()}:${process.pid}`;

/**
 * Sends notification mails through SMTP (nodemailer, SMTP_URL), on every node, like the webhook deliveries: each
 * pending mail is claimed with a lease by a guarded UPDATE that commits first, sent, and finished under that lease;
 * a failure is retried after 1, 2, 4, 8 minutes, then the mail is marked failed (the notification stays in the app).
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MailWorker.name);
  private readonly transport: Transporter | null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly scheduler: SchedulerRegistry,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    this.transport = config.smtpUrl ? createTransport(config.smtpUrl) : null;
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
    this.transport?.close();
  }

  nudge(): void {
    if (this.stopped || this.running || this.config.pollMs === 0) return;
    this.running = this.sendDue()
      .catch((e) => {
        this.logger.warn(`notification mails: ${(e as Error).message}`);
        return 0;
      })
      .finally(() => (this.running = null));
  }

  /** Sends every due mail this node can claim; returns how many it attempted. */
  async sendDue(): Promise<number> {
    if (!this.transport) return 0;
    let made = 0;
    while (!this.stopped) {
      const now = new Date();
      const ids = await this.notifications.dueMails(now.toISOString(), BATCH);
      const claimed: { id: string; owner: string }[] = [];
      for (const id of ids) {
        const owner = `${NODE}:${newId()}`;
        const until = new Date(now.getTime() + LEASE_MS).toISOString();
        if (await this.uow.run(() => this.notifications.claimMail(id, owner, now.toISOString(), until))) claimed.push({ id, owner });
      }
      if (claimed.length === 0) return made;
      for (const c of claimed) await this.send(c.id, c.owner);
      made += claimed.length;
    }
    return made;
  }

  private async send(id: string, owner: string): Promise<void> {
    const n = await this.notifications.byId(id);
    if (!n || !n.emailTo) return;
    let error: string | null = null;
    try {
      await this.transport!.sendMail({ from: this.config.from, to: n.emailTo, subject: n.title, text: `${n.body}${MAIL_FOOTER}` });
    } catch (e) {
      error = (e as Error).message.slice(0, 500);
    }
    const retry = error !== null && n.emailAttempts < MAX_ATTEMPTS;
    const nextAt = retry ? new Date(Date.now() + RETRY_BASE_MS * 2 ** (n.emailAttempts - 1)).toISOString() : null;
    await this.uow.run(() =>
      this.notifications.finishMail(id, owner, error === null ? 'sent' : retry ? 'pending' : 'failed', nextAt, error),
    );
  }
}
