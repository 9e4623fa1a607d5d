import { Inject, Injectable } from '@nestjs/common';
import { beijingDate, clock, DAY_MS, isoPlusDays } from '../common/clock';
import { zhDateTime } from '../common/i18n/messages';
import { newId } from '../common/ids';
import { isMailbox } from '../common/http/validators';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { mailConfig, MailConfig } from '../config/configuration';
import { formatYuan } from '../documents/chinese-amount';
import { EventOutbox } from '../events/event-outbox';
import { DomainEvent } from '../events/event.repository';
import { noticeLastDay } from '../organizations/organization.time-rules';
import { bureauName, bureausOver, provinceOfRegion, regionName } from '../regions/regions.data';
import { applicationReason } from '../vouchers/voucher.rules';
import { AccountNoticeKind, ALWAYS_MAILED, MAIL_ONLY_KINDS, MAIL_ONLY_SPENT, NotificationKind, render } from './notification-templates';
import { Notification, NotificationRepository, Recipient } from './notification.repository';
import { VOUCHER_REMINDER_DAYS, voucherReminderDue } from './notification.rules';

/** The event types that may notify someone; the others cost no query. */
const NOTIFYING = new Set([
  'application.decided',
  'claim.decided',
  'settlement.created',
  'settlement.paid',
  'settlement.voided',
  'voucher.issued',
  'budget.set',
  'voucher.revoked',
  'provider.suspended',
  'provider.admitted',
  'enterprise.verified',
  'enterprise.declined',
  'enterprise.certificate_corrected',
  'sanction.recorded',
  'organization.profile_updated',
  'organization.bank_account_change_requested',
  'organization.bank_account_change_confirmed',
  'organization.bank_account_change_rejected',
]);

/** Expiry notices written in one transaction by the sweep. */
const NOTICES_PER_TRANSACTION = 200;

/** Notice of a budget comes when what is available falls below this share of the total (basis points). */
const BUDGET_LOW_BP = 1000;

interface Notice {
  kind: NotificationKind;
  recipients: Recipient[];
  entityType: string;
  entityId: string;
  /** What makes it the same notice again (the record, unless said otherwise): each user gets one per key. */
  key?: string;
  /** False: in the app only, never by mail. */
  mail?: boolean;
  vars: (r: Recipient) => Record<string, string>;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const yuan = (fen: unknown) => (typeof fen === 'number' && Number.isSafeInteger(fen) ? formatYuan(fen) : '');
const decisionText = (d: unknown) => (d === 'approved' ? '获批准' : '被驳回');
/** What a claim's rejection leaves the payee: to claim again once corrected, or nothing, the subsidy gone back. */
const finalText = (final: unknown): string =>
  final === true ? '该申报已终局驳回，所涉核销记录不能再次申报，补贴已退回。' : final === false ? '补正后可重新申报。' : '';

/** A reviewer's reason as a sentence: its own full stop kept, one added otherwise (never 。。). */
const reasonText = (reason: unknown) => {
  const text = typeof reason === 'string' ? reason.trim() : '';
  return !text ? '—。' : /[。！？.!?]$/.test(text) ? text : `${text}。`;
};
/** A cut, told to the payee with how much and why (the reviewer's reason, its full stop dropped inside the brackets). */
const cutText = (claimedFen: unknown, approvedFen: unknown, reason: unknown): string => {
  if (typeof claimedFen !== 'number' || typeof approvedFen !== 'number' || approvedFen >= claimedFen) return '';
  const text = typeof reason === 'string' ? reason.trim().replace(/[。！？.!?]+$/, '') : '';
  return `（核减 ${formatYuan(claimedFen - approvedFen)}${text ? `，核减理由：${text}` : ''}）`;
};
/** A profile change's bank fields, from → to (the account masked as audited); empty when neither changed. */
const bankChangeText = (changes: unknown): string => {
  const c = (changes ?? {}) as Record<string, { from?: unknown; to?: unknown } | undefined>;
  const shown = (v: unknown) => (typeof v === 'string' && v ? v : '（未登记）');
  const parts = (
    [
      ['bankName', '开户银行'],
      ['bankAccount', '银行账号'],
    ] as const
  )
    .filter(([field]) => c[field])
    .map(([field, label]) => `${label} ${shown(c[field]!.from)} → ${shown(c[field]!.to)}`);
  return parts.join('；');
};
/** Where a revoked voucher's unused money went: its balance, and what its holds, cancelled with it, held. */
const revokedText = (releasedFen: number, heldFen: number) =>
  heldFen > 0
    ? `该券尚未核销的服务预约已全部取消；未使用的余额 ${formatYuan(releasedFen + heldFen)}（含取消预约释放的冻结额度 ${formatYuan(heldFen)}）已退回发券地区预算。`
    : `该券未使用的余额 ${formatYuan(releasedFen)} 已退回发券地区预算。`;
/** A day as people read it, in Beijing: an instant's Beijing date, a business date as it is: 2026年12月3日. */
const dayText = (value: string) => zhDateTime(value.includes('T') ? beijingDate(value) : value);
/** An instant in Beijing time, to the minute: 2026年12月4日 10:00. */
const timeText = zhDateTime;

/**
 * Tells people what concerns them: from the domain events as they are numbered (application and claim decided,
 * settlement paid or a payee left out of a batch, or held back at payment, for want of a bank account, a budget falling below 10%, a voucher
 * revoked, a provider admitted, suspended or admitted again, an enterprise verified or declined or its certificate
 * number corrected, a sanction recorded), in the numbering transaction, and from a sweep (a voucher expiring within 30
 * days, a hold expiring within a day). One notification per kind, record and user (a unique key), however often a
 * sweep runs and on however many nodes. A user with an e-mail address also gets it by mail when SMTP_URL is set, unless
 * it asked for that kind in the app only (ALWAYS_MAILED kinds are mailed whatever it chose): the row is the mail's
 * outbox, sent by the mail worker.
 */
@Injectable()
export class Notifier {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    outbox: EventOutbox,
    sweeps: Sweeps,
  ) {
    outbox.onSequenced((events) => this.fromEvents(events));
    sweeps.register('notifications-expiring', () => this.expiring());
  }

  private async fromEvents(events: DomainEvent[]): Promise<void> {
    const notices: Notice[] = [];
    for (const e of events) if (NOTIFYING.has(e.type)) notices.push(...(await this.noticesOf(e)));
    await this.notify(...notices);
  }

  private async noticesOf(e: DomainEvent): Promise<Notice[]> {
    const d = e.data;
    const date = beijingDate(e.occurredAt); // the business day (and so the budget year) the event happened on
    if (e.type === 'application.decided' && e.organizationId) {
      // The event says what was decided; when it was asked for, how much, and the voucher's serial are the application's.
      const application = await this.notifications.decidedApplication(e.entityId);
      const serial = application?.serial ? `，券号 ${application.serial}` : '';
      const notice = this.toOrganization('application_decided', e, await this.notifications.usersOfOrganization(e.organizationId), {
        decision: decisionText(d.decision),
        submittedOn: dayText(application?.submittedAt ?? e.occurredAt),
        requested: yuan(application?.amountFen),
        outcome:
          d.decision === 'approved'
            ? `已获批准，核定金额 ${yuan(d.approvedFen)}${serial}。`
            : // a rule's refusal (automatic) is told from its code, in Chinese; a bureau's reason as typed
              `已被驳回。驳回理由：${reasonText(applicationReason({ reasonCode: str(d.reasonCode), reason: str(d.reason) }, 'zh'))}`,
      });
      // A rule's refusal answered the applicant at once; by mail it would let anyone who registers have the service mail
      // any address it adds as a user, as often as it applies: in the app only.
      return [{ ...notice, mail: !(d.decision === 'rejected' && d.automatic === true) }];
    }
    if (e.type === 'claim.decided' && e.organizationId) {
      const submittedAt = await this.notifications.claimSubmittedAt(e.entityId);
      const outcome =
        d.decision === 'approved'
          ? `已获批准，核定金额 ${yuan(d.approvedFen)}${cutText(d.claimedFen, d.approvedFen, d.reason)}。`
          : `已被驳回。驳回理由：${reasonText(d.reason)}${finalText(d.final)}`;
      return [
        this.toOrganization('claim_decided', e, await this.notifications.usersOfOrganization(e.organizationId), {
          decision: decisionText(d.decision),
          submittedOn: dayText(submittedAt ?? e.occurredAt),
          claimed: yuan(d.claimedFen),
          outcome,
        }),
      ];
    }
    // The batch's event notifies each payee of its line; the payees' own copies of it add nothing.
    if (e.type === 'settlement.paid' && !e.organizationId) {
      const payees = await this.notifications.settlementPayees(e.entityId);
      const users = await this.notifications.usersOfOrganizations(payees.map((p) => p.payeeId));
      return payees.map((p) =>
        this.toOrganization('settlement_paid', e, users.get(p.payeeId) ?? [], {
          amount: formatYuan(p.amountFen),
          paymentRef: typeof d.paymentRef === 'string' ? d.paymentRef : '',
          bureau: bureauName(e.regionCode ?? ''),
        }),
      );
    }
    // A payee left out of a batch for want of a bank account hears it in its own copy of the batch's event: what waits,
    // and what to do, or its claims would wait unseen (most labs read no events).
    // Each notice points at what the payee can read and mend, its organization's profile, not at the batch it has no
    // line in (404 to it); one per batch all the same.
    const aboutAccount = async (kind: 'settlement_account_missing' | 'settlement_account_held', vars: Record<string, string>) => {
      const organizationId = e.organizationId!;
      const notice = this.toOrganization(
        kind,
        { entityType: 'organization', entityId: organizationId },
        await this.notifications.usersOfOrganization(organizationId),
        // a payee's copy has no region (a bureau reads the batch's own event once): the batch's region is in its data
        { ...vars, batchNo: str(d.batchNo) ?? '', bureau: bureauName(str(d.issuingRegionCode) ?? '') },
      );
      return [{ ...notice, key: e.entityId }];
    };
    if (e.type === 'settlement.created' && e.organizationId && d.bankAccountMissing === true) {
      return aboutAccount('settlement_account_missing', {
        claims: typeof d.waitingClaims === 'number' ? String(d.waitingClaims) : '',
        amount: yuan(d.waitingFen),
      });
    }
    // So does a payee whose line is held back at payment for want of one (a line prepared before accounts were required):
    // its claims wait, approved, for the first batch prepared once its account is on file.
    if (e.type === 'settlement.paid' && e.organizationId && d.heldBack === true && d.bankAccountMissing === true) {
      return aboutAccount('settlement_account_held', { amount: yuan(d.amountFen) });
    }
    // A payee whose batch was voided before payment: the money it expected does not come with it; its claims wait,
    // approved, for a later batch.
    if (e.type === 'settlement.voided' && e.organizationId) {
      return [
        this.toOrganization('settlement_voided', e, await this.notifications.usersOfOrganization(e.organizationId), {
          batchNo: str(d.batchNo) ?? '',
          amount: yuan(d.amountFen),
          reason: reasonText(d.reason),
          bureau: bureauName(str(d.issuingRegionCode) ?? ''),
        }),
      ];
    }
    if (e.type === 'voucher.revoked' && e.organizationId) {
      return [
        this.toOrganization('voucher_revoked', e, await this.notifications.usersOfOrganization(e.organizationId), {
          serial: str(d.serial) ?? '',
          date: dayText(e.occurredAt),
          reason: reasonText(d.reason),
          returned: revokedText(Number(d.releasedFen), Number(d.heldFen)),
          bureau: bureauName(e.regionCode ?? ''),
        }),
      ];
    }
    // Only the bureau of the provider's province suspends and admits it. A provider may be suspended and admitted again
    // more than once: each event is a notice of its own. One suspended before it was ever active (its application pending,
    // or in its first notice) is admitted for the first time, and told so.
    const admittedFirst =
      e.type === 'provider.admitted' &&
      !!e.organizationId &&
      (d.from === 'applied' || (d.from === 'suspended' && !(await this.notifications.providerWasActive(e.organizationId, e.seq))));
    const readmitted = e.type === 'provider.admitted' && d.from === 'suspended' && !admittedFirst;
    if ((e.type === 'provider.suspended' || readmitted) && e.organizationId) {
      const vars = { date: dayText(e.occurredAt), bureau: bureauName(provinceOfRegion(e.regionCode ?? '')) };
      const users = await this.notifications.usersOfOrganization(e.organizationId);
      const notice = readmitted
        ? this.toOrganization('provider_reinstated', e, users, {
            ...vars,
            outcome:
              typeof d.noticeEndsAt === 'string'
                ? // its last day, as the notices page names it: the notice ends at the midnight after it
                  `现进入公示，公示期至 ${dayText(noticeLastDay(d.noticeEndsAt))}（北京时间），期满后恢复正常服务；公示期间仍不接受服务预约，兑付申报暂不批准。`
                : '即日起恢复正常服务：贵单位的仪器和服务重新在平台目录中展示，可以接受服务预约，兑付申报恢复审核和结算。',
          })
        : this.toOrganization('provider_suspended', e, users, { ...vars, reason: reasonText(d.reason) });
      return [{ ...notice, key: e.id }];
    }
    // Onboarding: a lab waits for its first admission, an enterprise for its verification, and hears of either outcome.
    if (admittedFirst && e.organizationId) {
      const notice = this.toOrganization('provider_admitted', e, await this.notifications.usersOfOrganization(e.organizationId), {
        date: dayText(e.occurredAt),
        bureau: bureauName(provinceOfRegion(e.regionCode ?? '')),
        outcome:
          typeof d.noticeEndsAt === 'string'
            ? `现进入公示，公示期至 ${dayText(noticeLastDay(d.noticeEndsAt))}（北京时间）；期满无异议即可发布仪器和服务、接受创新券服务预约。`
            : '即日起可以发布仪器和服务，接受创新券服务预约。',
      });
      // a notice of its own: one suspended in its first notice is admitted for the first time again
      return [{ ...notice, key: e.id }];
    }
    if ((e.type === 'enterprise.verified' || e.type === 'enterprise.declined') && e.organizationId) {
      const users = await this.notifications.usersOfOrganization(e.organizationId);
      const vars = { date: dayText(e.occurredAt), bureaus: bureausOver(e.regionCode ?? '') };
      const notice =
        e.type === 'enterprise.verified'
          ? this.toOrganization('enterprise_verified', e, users, {
              ...vars,
              basis: d.by === 'qualified_list' ? '列入科技型企业名单' : `证书编号 ${str(d.certificateNo) ?? ''}`,
            })
          : this.toOrganization('enterprise_declined', e, users, { ...vars, reason: reasonText(d.reason) });
      // declined, then verified later: each is a notice of its own
      return [{ ...notice, key: e.id }];
    }
    // The number its verification rests on, corrected by its bureau: the enterprise hears what it was, what it is and why,
    // each correction a notice of its own (a wrong correction is its to dispute).
    if (e.type === 'enterprise.certificate_corrected' && e.organizationId) {
      const users = await this.notifications.usersOfOrganization(e.organizationId);
      const notice = this.toOrganization('certificate_corrected', e, users, {
        date: dayText(e.occurredAt),
        bureaus: bureausOver(e.regionCode ?? ''),
        from: str(d.from) ?? '（未登记）',
        to: str(d.to) ?? '',
        reason: reasonText(d.reason),
      });
      return [{ ...notice, key: e.id }];
    }
    // The organization the sanction names; those bound only through their controller are not told.
    if (e.type === 'sanction.recorded' && e.organizationId) {
      return [
        this.toOrganization('sanction_recorded', e, await this.notifications.usersOfOrganization(e.organizationId), {
          date: dayText(e.occurredAt),
          bureau: bureauName(e.regionCode ?? ''),
          creditCode: str(d.creditCode) ?? '',
          term: typeof d.until === 'string' ? `有效期至 ${dayText(d.until)}` : '有效期至解除之日',
          reason: reasonText(d.reason),
        }),
      ];
    }
    // Where a payee is paid: a changed account is told to all its users, so that an admin's stolen password or key
    // cannot redirect the next batch unnoticed. Its other profile changes notify no one.
    if (e.type === 'organization.profile_updated' && e.organizationId) {
      const change = bankChangeText(d.changes);
      if (!change) return [];
      const users = await this.notifications.usersOfOrganization(e.organizationId);
      return [{ ...this.toOrganization('bank_account_changed', e, users, { at: timeText(e.occurredAt), change }), key: e.id }];
    }
    // A change of account asked for, confirmed or rejected by the bureau: told to all the organization's users, always
    // mailed, so that one asked for with a stolen session is seen (and the bureau told) before it is confirmed.
    const bankChange = {
      'organization.bank_account_change_requested': 'bank_account_change_requested',
      'organization.bank_account_change_confirmed': 'bank_account_change_confirmed',
      'organization.bank_account_change_rejected': 'bank_account_change_rejected',
    } as const;
    if (e.type in bankChange && e.organizationId) {
      const bank = (b: unknown) => {
        const v = (b ?? {}) as { bankName?: unknown; bankAccount?: unknown };
        return `${str(v.bankName) ?? '（未登记）'} ${str(v.bankAccount) ?? '（未登记）'}`;
      };
      const users = await this.notifications.usersOfOrganization(e.organizationId);
      const kind = bankChange[e.type as keyof typeof bankChange];
      const vars = {
        at: timeText(e.occurredAt),
        from: bank(d.from),
        to: bank(d.to),
        // asked for: the bureaus that may decide it; decided: the one that did
        bureau: str(d.bureauRegionCode) ? bureauName(str(d.bureauRegionCode)!) : bureausOver(e.regionCode ?? ''),
        reason: reasonText(d.reason),
      };
      const notices: Notice[] = [{ ...this.toOrganization(kind, e, users, vars), key: e.id }];
      // The bureaus that may decide a change asked for are told it waits: the payee's payments are held until they do.
      if (kind === 'bank_account_change_requested' && e.regionCode)
        notices.push({
          kind: 'bank_account_change_waiting',
          recipients: await this.notifications.bureauUsersOf(e.regionCode),
          entityType: e.entityType,
          entityId: e.entityId,
          key: e.id,
          vars: () => ({ ...vars, organization: str(d.name) ?? '' }),
        });
      return notices;
    }
    // A budget is told when what is left falls below 10%: by an issue, or by its total set lower. Each total it is set to
    // counts anew, so that a budget topped up and run down again is told again.
    if ((e.type === 'voucher.issued' || e.type === 'budget.set') && e.regionCode) {
      const year = Number(e.type === 'budget.set' ? d.year : (d.budgetYear ?? date.slice(0, 4)));
      const budget = await this.notifications.budget(e.regionCode, year);
      // integer comparison: available / total < 10%
      if (!budget || budget.totalFen === 0 || budget.availableFen * 10_000 >= budget.totalFen * BUDGET_LOW_BP) return [];
      const region = e.regionCode;
      return [
        {
          kind: 'budget_low',
          recipients: await this.notifications.bureauUsersOf(region),
          entityType: 'budget',
          entityId: `${region}-${year}`,
          key: `${region}-${year}@${budget.totalFen}`,
          vars: () => ({
            region: regionName(region),
            year: String(year),
            total: formatYuan(budget.totalFen),
            available: formatYuan(budget.availableFen),
          }),
        },
      ];
    }
    return [];
  }

  /**
   * Tells a person what was done to their account (two-factor enabled, the password changed, the sign-in reset by an
   * admin) or made with it (an API key, a webhook), in the unit of work that did it, so that an owner whose password
   * someone else holds hears of it by mail.
   * `at` (the change's instant) makes each change a notice of its own; a record made (a key, a subscription) is one by
   * its id, so two made in one millisecond are two notices.
   */
  async toUser(
    userId: string,
    kind: AccountNoticeKind,
    at: string,
    vars: Record<string, string> = {},
    key = at,
    /** Mailed to this address instead of the user's own: a code to the address it confirms, a change to the old one. */
    mailTo?: string,
  ): Promise<void> {
    const recipient = await this.notifications.recipient(userId);
    if (!recipient) return;
    await this.notify({
      kind,
      recipients: [mailTo === undefined ? recipient : { ...recipient, email: mailTo, emailVerified: true }],
      entityType: 'user',
      entityId: userId,
      key,
      vars: () => ({ username: recipient.username, at: timeText(at), ...vars }),
    });
  }

  /**
   * Tells the proposer of a clearing run (two-person recording) that another platform person confirmed it (naming the
   * run) or discarded it (with the reason), in the unit that decided it: one notice per proposal, decided once.
   */
  async clearingProposalDecided(
    p: { id: string; from: string; to: string; lineCount: number; grossTotalFen: number; proposedBy: string; proposedAt: string },
    decision: { at: string; by: string; runNo: string } | { at: string; by: string; reason: string },
  ): Promise<void> {
    const recipient = await this.notifications.recipient(p.proposedBy);
    if (!recipient) return;
    const confirmed = 'runNo' in decision;
    await this.notify({
      kind: 'clearing_proposal_decided',
      recipients: [recipient],
      entityType: 'clearing_run',
      entityId: p.id,
      vars: () => ({
        username: recipient.username,
        decision: confirmed ? '已确认' : '已撤销',
        id: p.id,
        from: dayText(p.from),
        to: dayText(p.to),
        lineCount: String(p.lineCount),
        gross: formatYuan(p.grossTotalFen),
        proposedAt: timeText(p.proposedAt),
        at: timeText(decision.at),
        outcome: confirmed
          ? `由 ${decision.by} 确认，记为清算单 ${decision.runNo}。`
          : `由 ${decision.by} 撤销。撤销原因：${reasonText(decision.reason)}请核对后重新提出该期间的清算。`,
      }),
    });
  }

  /** A notice about a record to the users of an organization, each addressed by the organization's name. */
  private toOrganization(
    kind: NotificationKind,
    about: Pick<DomainEvent, 'entityType' | 'entityId'>,
    recipients: Recipient[],
    vars: Record<string, string>,
  ): Notice {
    return {
      kind,
      recipients,
      entityType: about.entityType,
      entityId: about.entityId,
      vars: (r) => ({ organization: r.organizationName ?? '', ...vars }),
    };
  }

  /**
   * Vouchers expiring within 30 days once half their validity has passed (voucherReminderDue), and holds expiring within
   * a day; returns how many notifications it made. A round of vouchers issued on one day comes due on one day: their
   * users are read in one query and their notices written a few hundred a transaction, not one transaction each.
   */
  async expiring(): Promise<number> {
    const today = clock.today();
    const now = clock.iso();
    const vouchers = (
      await this.notifications.vouchersExpiring(today, isoPlusDays(`${today}T00:00:00.000Z`, VOUCHER_REMINDER_DAYS).slice(0, 10))
    ).filter((v) => voucherReminderDue(v.validFrom, v.validUntil, today));
    const holds = await this.notifications.holdsExpiring(now, new Date(Date.parse(now) + DAY_MS).toISOString());
    const users = await this.notifications.usersOfOrganizations([...new Set([...vouchers, ...holds].map((x) => x.enterpriseId))]);
    const notices: Notice[] = [
      ...vouchers.map((v) =>
        this.toOrganization('voucher_expiring', { entityType: 'voucher', entityId: v.id }, users.get(v.enterpriseId) ?? [], {
          serial: v.serial,
          validUntil: dayText(v.validUntil),
          available: formatYuan(v.availableFen),
        }),
      ),
      ...holds.map((h) =>
        this.toOrganization('hold_expiring', { entityType: 'redemption', entityId: h.id }, users.get(h.enterpriseId) ?? [], {
          facility: h.facilityName,
          amount: formatYuan(h.subsidyFen),
          expiresAt: timeText(h.expiresAt),
        }),
      ),
    ].filter((n) => n.recipients.length > 0);
    let made = 0;
    for (let i = 0; i < notices.length; i += NOTICES_PER_TRANSACTION) {
      made += await this.uow.run(() => this.notify(...notices.slice(i, i + NOTICES_PER_TRANSACTION)));
    }
    return made;
  }

  private async notify(...notices: Notice[]): Promise<number> {
    const createdAt = clock.iso();
    const mail = this.config.smtpUrl !== null;
    const off = mail ? await this.mailOff(notices) : new Set<string>();
    const rows = notices.flatMap((n) =>
      n.recipients.map((r): Notification & { emailNextAt: string | null } => {
        const rendered = render(n.kind, n.vars(r));
        // an address stored before the plain-address rule, which a mail library would rewrite, gets no mail
        const mailable = mail && n.mail !== false && isMailbox(r.email) && !off.has(`${r.userId}:${n.kind}`);
        // an address its holder has not confirmed is not written to: anyone could have given it
        const emailed = mailable && r.emailVerified;
        const { title } = rendered;
        // a code that will not be mailed is not kept (see MAIL_ONLY_KINDS)
        const body = !emailed && MAIL_ONLY_KINDS.includes(n.kind) ? MAIL_ONLY_SPENT : rendered.body;
        return {
          id: newId(),
          userId: r.userId,
          kind: n.kind,
          dedupeKey: `${n.kind}:${n.key ?? n.entityId}:${r.userId}`,
          title,
          body,
          entityType: n.entityType,
          entityId: n.entityId,
          createdAt,
          readAt: null,
          emailTo: emailed ? r.email : null,
          emailStatus: emailed ? 'pending' : mailable ? 'unverified' : 'none',
          emailAttempts: 0,
          emailError: null,
          emailNextAt: emailed ? new Date().toISOString() : null,
        };
      }),
    );
    await this.notifications.insertNew(rows);
    return rows.length;
  }

  /** Which of these notices' recipients with an address asked for their kind in the app only (never an ALWAYS_MAILED kind). */
  private mailOff(notices: Notice[]): Promise<Set<string>> {
    const optional = notices.filter((n) => !ALWAYS_MAILED.includes(n.kind) && n.mail !== false);
    const userIds = [...new Set(optional.flatMap((n) => n.recipients.filter((r) => r.email).map((r) => r.userId)))];
    if (!userIds.length) return Promise.resolve(new Set());
    return this.notifications.mailOffOf(userIds, [...new Set(optional.map((n) => n.kind))]);
  }
}
