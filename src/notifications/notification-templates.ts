import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/paths';

export const NOTIFICATION_KINDS = [
  'application_decided',
  'claim_decided',
  'settlement_paid',
  'settlement_account_missing',
  'settlement_account_held',
  'settlement_voided',
  'clearing_proposal_decided',
  'voucher_expiring',
  'hold_expiring',
  'budget_low',
  'voucher_revoked',
  'provider_suspended',
  'provider_reinstated',
  'provider_admitted',
  'enterprise_verified',
  'enterprise_declined',
  'certificate_corrected',
  'sanction_recorded',
  'bank_account_changed',
  'bank_account_change_requested',
  'bank_account_change_confirmed',
  'bank_account_change_rejected',
  'bank_account_change_waiting',
  'mfa_enabled',
  'password_changed',
  'sign_in_reset',
  'api_key_created',
  'webhook_subscribed',
  'webhook_secret_rotated',
  'email_changed',
  'email_code',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
/** What is told to a person about their own account, and what it made that acts without them. */
const ACCOUNT_NOTICE_KINDS = [
  'mfa_enabled',
  'password_changed',
  'sign_in_reset',
  'api_key_created',
  'webhook_subscribed',
  'webhook_secret_rotated',
  'email_changed',
  'email_code',
] as const satisfies readonly NotificationKind[];
export type AccountNoticeKind = (typeof ACCOUNT_NOTICE_KINDS)[number];

/**
 * Mailed to everyone with an address whatever they chose: what was done to their account or made with it, a changed
 * account to pay the organization into (their only warning of a stolen password or key), and the measures taken against
 * the organization (a voucher revoked, a suspension, a sanction), which it must hear of.
 */
export const ALWAYS_MAILED: readonly NotificationKind[] = [
  ...ACCOUNT_NOTICE_KINDS,
  'bank_account_changed',
  'bank_account_change_requested',
  'bank_account_change_confirmed',
  'bank_account_change_rejected',
  'voucher_revoked',
  'provider_suspended',
  'sanction_recorded',
];
/**
 * The code that confirms an address: mailed to that address only, never shown in the app (whoever holds the session
 * would confirm any address with it).
 */
export const MAIL_ONLY_KINDS: readonly NotificationKind[] = ['email_code'];
/** What a mail-only row keeps once its mail went or will never go: the code is kept hashed on the account alone. */
export const MAIL_ONLY_SPENT = '（验证码仅随邮件发出，不在此保存。）';
/** The kinds a user may have told in the app only (PUT /api/notifications/preferences). */
export const MAIL_OPTIONAL_KINDS = NOTIFICATION_KINDS.filter((k) => !ALWAYS_MAILED.includes(k));

interface Template {
  subject: string;
  text: string;
}

const cache = new Map<NotificationKind, Template>();

/** `templates/notifications/<kind>.json`: a Chinese subject and text with `{{name}}` placeholders, read once. */
function template(kind: NotificationKind): Template {
  let t = cache.get(kind);
  if (!t) {
    t = JSON.parse(readFileSync(join(projectRoot, 'templates', 'notifications', `${kind}.json`), 'utf8')) as Template;
    cache.set(kind, t);
  }
  return t;
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');

/** The title and body of a notification (also the mail's subject and, with MAIL_FOOTER, its text). */
export function render(kind: NotificationKind, vars: Record<string, string>): { title: string; body: string } {
  const t = template(kind);
  return { title: fill(t.subject, vars), body: fill(t.text, vars) };
}

/** Closes a mail, and only a mail: a notice read in the app was not e-mailed. */
export const MAIL_FOOTER = '\n\n（本邮件由系统自动发送，请勿直接回复。）';
