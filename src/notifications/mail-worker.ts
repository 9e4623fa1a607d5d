import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createTransport, Transporter } from 'nodemailer';
import { hostname } from 'node:os';
import { admitSliding } from '../auth/throttle.rules';
import { ThrottleRepository } from '../auth/throttle.repository';
import { sha256 } from '../common/hash';
import { newId } from '../common/ids';
import { Rounds } from '../common/rounds';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { mailConfig, MailConfig } from '../config/configuration';
import { EventOutbox } from '../events/event-outbox';
import { MAIL_FOOTER } from './notification-templates';
import { EmailStatus, MailToSend, NotificationRepository } from './notification.repository';
import { mailRetry } from './notification.rules';

/** SMTP conversations under way on one node at once. */
const MAX_IN_FLIGHT = 4;
const NODE = `${hostname()}:${process.pid}`;
const DAY_SEC = 24 * 3600;
/** How long the mail server may take to be reached, to greet, and to answer each command (nodemailer's timeouts). */
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000, dnsTimeout: 30_000 };

/** What nodemailer's error says of a failed conversation: the server's reply and the command it answered, when it got one. */
interface SmtpFailure {
  message: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/**
 * Sends notification mails through SMTP (nodemailer, SMTP_URL), on every node, like the webhook deliveries: each due
 * mail is claimed by a guarded UPDATE that commits first, with a lease (MAIL_LEASE_MS) the sending node renews every
 * third of it for as long as the conversation lasts (a server may trickle its answers for minutes), so no other node
 * takes a mail over while it is being sent; a node that dies stops renewing and another node takes the mail after the
 * lease. The outcome is recorded under that lease. Sends run beside the sweeps, never inside them: a mail server that
 * hangs holds its own few conversations, not the expiry of vouchers and holds.
 *
 * A refusal of this mail that will not change (mailRetry: an unknown recipient) fails it at once; anything else is
 * retried, doubling from MAIL_RETRY_BASE_MS up to an hour, for a day after the notice (the notification stays in the
 * app in any case). A mail to a user disabled meanwhile is not sent, nor one past its address's MAIL_PER_ADDRESS_PER_DAY
 * (see claim). Every attempt carries the notification's own
 * Message-ID, so that a mail a node died after sending, sent again, is recognisably the same mail.
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MailWorker.name);
  private readonly transport: Transporter | null;
  private readonly domain: string;
  private readonly rounds = new Rounds(
    () => this.sendDue(),
    (e) => this.logger.warn(`notification mails: ${e.message}`),
  );
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly throttles: ThrottleRepository,
    private readonly scheduler: SchedulerRegistry,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    this.transport = config.smtpUrl ? createTransport({ url: config.smtpUrl, ...SMTP_TIMEOUTS }) : null;
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
    await this.rounds.stop();
    await Promise.all(this.inFlight);
    this.transport?.close();
  }

  /** Starts a round now, or right after the one running (the timer's and the outbox's nudges; none with MAIL_POLL_MS=0). */
  nudge(): void {
    if (this.config.pollMs !== 0) this.rounds.request();
  }

  /** Claims due mails while this node has room for their conversations and starts them; returns how many it claimed. */
  async sendDue(): Promise<number> {
    if (!this.transport) return 0;
    let made = 0;
    while (!this.rounds.stopped && this.inFlight.size < MAX_IN_FLIGHT) {
      const ids = await this.notifications.dueMails(new Date().toISOString(), MAX_IN_FLIGHT - this.inFlight.size);
      let claimed = 0;
      for (const id of ids) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) break; // a sweep and a timer's round may both be claiming
        // The lease runs from its own claim, so each mail has all of it.
        const now = new Date();
        const owner = `${NODE}:${newId()}`;
        const until = new Date(now.getTime() + this.config.leaseMs).toISOString();
        const n = await this.claim(id, owner, now.toISOString(), until);
        if (n === undefined) continue;
        claimed++;
        if (n === null) continue; // over its address's day: told in the app only
        const send: Promise<void> = this.send(n, owner)
          .catch((e) => this.logger.warn(`notification mail ${id}: ${(e as Error).message}`))
          .finally(() => {
            this.inFlight.delete(send);
            this.rounds.request(); // room again, whether a timer or only the sweep drives this node
          });
        this.inFlight.add(send);
      }
      if (claimed === 0) break; // none due, or other nodes took them
      made += claimed;
    }
    return made;
  }

  /**
   * Claims a due mail: the mail to send, undefined when another node has it, or null when its address has had
   * MAIL_PER_ADDRESS_PER_DAY mails in 24 hours (failed at once, in the app only). The addresses are not verified, and an
   * organization's admin may give its users any; an account's own notices (a key made, a password changed) come as
   * often as its holder acts: without this, one sign-in could have the service write to anyone without end. A mail's
   * first attempt counts (not its retries), in the address's throttle row, locked so that nodes' counts add up.
   */
  private claim(id: string, owner: string, now: string, until: string): Promise<MailToSend | null | undefined> {
    return this.uow.run(async () => {
      if (!(await this.notifications.claimMail(id, owner, now, until))) return undefined;
      const n = await this.notifications.mailToSend(id);
      if (!n?.emailTo || !n.recipientActive || n.emailAttempts > 1) return n ?? undefined;
      const row = await this.throttles.lockOrCreate(`mails-to:${sha256(n.emailTo.toLowerCase())}`, now);
      const admitted = admitSliding(row.recent ? (JSON.parse(row.recent) as string[]) : [], now, DAY_SEC, this.config.perAddressPerDay);
      if (admitted.refusedForSec !== undefined) {
        const error = `more than ${this.config.perAddressPerDay} mails to this address in 24 hours: told in the app only`;
        await this.notifications.finishMail(id, owner, 'failed', null, error);
        this.logger.warn(`notification mail ${id}: ${error}`);
        return null;
      }
      await this.throttles.save({ ...row, recent: JSON.stringify(admitted.recent), updatedAt: now });
      return n;
    });
  }

  private async send(n: MailToSend, owner: string): Promise<void> {
    const id = n.id;
    if (!n.emailTo || !n.recipientActive) {
      await this.finish(id, owner, 'failed', null, n.emailTo ? 'the user was disabled before it was sent' : 'no recipient');
      return;
    }
    let failure: SmtpFailure | null = null;
    const renewal = setInterval(() => void this.renew(id, owner), Math.floor(this.config.leaseMs / 3));
    try {
      await this.transport!.sendMail({
        from: this.config.from,
        to: n.emailTo,
        subject: n.title,
        text: `${n.body}${MAIL_FOOTER}`,
        messageId: `<${n.id}@${this.domain}>`,
      });
    } catch (e) {
      failure = e as SmtpFailure;
    } finally {
      clearInterval(renewal);
    }
    if (!failure) return this.finish(id, owner, 'sent', null, null);
    this.logger.warn(`notification mail ${id}: ${failure.message}`);
    const { responseCode, response, command } = failure;
    const { retryAt } = mailRetry({ ...n, responseCode, response, command, now: Date.now(), retryBaseMs: this.config.retryBaseMs });
    await this.finish(id, owner, retryAt ? 'pending' : 'failed', retryAt, failure.message.slice(0, 500));
  }

  /** Extends the lease while the conversation lasts; a lease lost (a node's clock far ahead took it) is said in the log. */
  private async renew(id: string, owner: string): Promise<void> {
    const until = new Date(Date.now() + this.config.leaseMs).toISOString();
    const renewed = await this.uow.run(() => this.notifications.renewMailLease(id, owner, until)).catch(() => false);
    if (!renewed) this.logger.warn(`notification mail ${id}: its lease could not be renewed`);
  }

  private async finish(id: string, owner: string, status: EmailStatus, nextAt: string | null, error: string | null): Promise<void> {
    if (!(await this.uow.run(() => this.notifications.finishMail(id, owner, status, nextAt, error))))
      this.logger.warn(`notification mail ${id}: finished (${status}) after its lease passed to another node`);
  }
}
