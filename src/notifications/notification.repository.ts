import { Injectable } from '@nestjs/common';
import { Database, Row } from '../common/persistence/database';
import { empty, join, sql } from '../common/persistence/sql';
import { MAIL_ONLY_KINDS, MAIL_ONLY_SPENT } from './notification-templates';

/** `unverified`: the user's address was not confirmed yet, so the notice was told in the app only. */
export type EmailStatus = 'none' | 'pending' | 'sent' | 'failed' | 'unverified';

export interface Notification {
  id: string;
  userId: string;
  kind: string;
  /** One notification per kind, record and user: sweeps and a renumbered event never notify twice. */
  dedupeKey: string;
  title: string;
  body: string;
  entityType: string;
  entityId: string;
  createdAt: string;
  readAt: string | null;
  emailTo: string | null;
  emailStatus: EmailStatus;
  emailAttempts: number;
  emailError: string | null;
}

/** A mail claimed for an attempt, and whether its user may still receive it. */
export type MailToSend = Notification & { recipientActive: boolean };

export interface Recipient {
  userId: string;
  email: string | null;
  /** Whether its holder confirmed the address (only a confirmed one is mailed). */
  emailVerified: boolean;
  organizationName: string | null;
}

const toNotification = (r: Row): Notification => ({
  id: r.id as string,
  userId: r.user_id as string,
  kind: r.kind as string,
  dedupeKey: r.dedupe_key as string,
  title: r.title as string,
  body: r.body as string,
  entityType: r.entity_type as string,
  entityId: r.entity_id as string,
  createdAt: r.created_at as string,
  readAt: (r.read_at as string | null) ?? null,
  emailTo: (r.email_to as string | null) ?? null,
  emailStatus: r.email_status as EmailStatus,
  emailAttempts: Number(r.email_attempts),
  emailError: (r.email_error as string | null) ?? null,
});

const toRecipient = (r: Row): Recipient => ({
  userId: r.id as string,
  email: (r.email as string | null) || null,
  emailVerified: !!r.email_verified_at,
  organizationName: (r.org_name as string | null) ?? null,
});

/** People's notifications, the mail outbox in the same rows, and the reads that find whom to notify. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the notifications not made before (by dedupe key); the others are left as they are. */
  async insertNew(all: (Notification & { emailNextAt: string | null })[]): Promise<void> {
    // 500 rows a statement: within both databases' limits on bound parameters
    for (let i = 0; i < all.length; i += 500) {
      const values = join(
        all.slice(i, i + 500).map(
          (n) =>
            sql`(${n.id}, ${n.userId}, ${n.kind}, ${n.dedupeKey}, ${n.title}, ${n.body}, ${n.entityType}, ${n.entityId}, ${n.createdAt}, NULL,
                 ${n.emailTo}, ${n.emailStatus}, 0, ${n.emailNextAt}, NULL, NULL, NULL)`,
        ),
      );
      const head = sql`INSERT INTO notification (id, user_id, kind, dedupe_key, title, body, entity_type, entity_id, created_at, read_at,
        email_to, email_status, email_attempts, email_next_at, email_lease_owner, email_lease_until, email_error) VALUES ${values}`;
      // No INSERT IGNORE on MariaDB: it would take shared locks (STACK.md); a no-op update of the duplicate does not.
      await this.db.execute(
        this.db.dialect === 'sqlite'
          ? sql`${head} ON CONFLICT (dedupe_key) DO NOTHING`
          : sql`${head} ON DUPLICATE KEY UPDATE dedupe_key = dedupe_key`,
      );
    }
  }

  /** One user as a recipient, with its organization's name and its username, whatever the account's state. */
  async recipient(userId: string): Promise<(Recipient & { username: string }) | undefined> {
    const row = await this.db.row(
      sql`SELECT u.id, u.email, u.email_verified_at, u.username, o.name AS org_name FROM app_user u LEFT JOIN organization o ON o.id = u.organization_id
          WHERE u.id = ${userId}`,
    );
    return row && { ...toRecipient(row), username: row.username as string };
  }

  /** The active users of an organization, with its name (an account still awaiting its second person's activation is none). */
  async usersOfOrganization(organizationId: string): Promise<Recipient[]> {
    return (await this.usersOfOrganizations([organizationId])).get(organizationId) ?? [];
  }

  /** The active users of each organization, with its name (an organization without any is absent). */
  async usersOfOrganizations(organizationIds: string[]): Promise<Map<string, Recipient[]>> {
    const users = new Map<string, Recipient[]>();
    // 500 ids a statement: within both databases' limits on bound parameters
    for (let i = 0; i < organizationIds.length; i += 500) {
      const rows = await this.db.rows(
        sql`SELECT u.id, u.email, u.email_verified_at, u.organization_id, o.name AS org_name FROM app_user u JOIN organization o ON o.id = u.organization_id
            WHERE u.organization_id IN (${join(organizationIds.slice(i, i + 500))}) AND u.disabled_at IS NULL
              AND u.activated_at IS NOT NULL`,
      );
      for (const r of rows) {
        const organizationId = r.organization_id as string;
        if (!users.has(organizationId)) users.set(organizationId, []);
        users.get(organizationId)!.push(toRecipient(r));
      }
    }
    return users;
  }

  /** The active bureau users who act on a region: its own bureau's and its province's. */
  async bureauUsersOf(regionCode: string): Promise<Recipient[]> {
    const province = `${regionCode.slice(0, 2)}0000`;
    const rows = await this.db.rows(
      sql`SELECT u.id, u.email, u.email_verified_at, NULL AS org_name FROM app_user u
          WHERE u.role = 'bureau' AND u.disabled_at IS NULL AND u.activated_at IS NOT NULL
            AND u.region_code IN (${join([...new Set([regionCode, province])])})`,
    );
    return rows.map(toRecipient);
  }

  /**
   * Whether the provider was active before its event numbered `seq`: an active provider leaves that state only by a
   * suspension, recorded from `active` (a notice ended unswept counts as active when suspended), so one admitted from a
   * suspension was active before if any earlier suspension was from active. Its suspensions are few: parsed here.
   */
  async providerWasActive(providerId: string, seq: number): Promise<boolean> {
    const rows = await this.db.rows(
      sql`SELECT data FROM domain_event WHERE organization_id = ${providerId} AND type = 'provider.suspended' AND seq < ${seq}`,
    );
    return rows.some((r) => {
      try {
        return (JSON.parse(r.data as string) as { from?: unknown }).from === 'active';
      } catch {
        return false;
      }
    });
  }

  /** The payees of a settlement batch and what each was paid. */
  async settlementPayees(settlementId: string): Promise<{ payeeId: string; amountFen: number }[]> {
    const rows = await this.db.rows(
      sql`SELECT payee_id, SUM(amount_fen) AS amount FROM settlement_line WHERE settlement_id = ${settlementId} AND paid_at IS NOT NULL
          GROUP BY payee_id`,
    );
    return rows.map((r) => ({ payeeId: r.payee_id as string, amountFen: Number(r.amount) }));
  }

  /** What a decided application's notice tells beyond its event: when it was submitted, for how much, the voucher issued. */
  async decidedApplication(id: string): Promise<{ submittedAt: string; amountFen: number; serial: string | null } | null> {
    const row = await this.db.row(
      sql`SELECT a.created_at, a.amount_fen, v.serial FROM voucher_application a LEFT JOIN voucher v ON v.id = a.voucher_id WHERE a.id = ${id}`,
    );
    return row
      ? { submittedAt: row.created_at as string, amountFen: Number(row.amount_fen), serial: (row.serial as string | null) ?? null }
      : null;
  }

  /** When a claim was submitted, for its decision's notice. */
  async claimSubmittedAt(id: string): Promise<string | null> {
    const row = await this.db.row(sql`SELECT created_at FROM claim WHERE id = ${id}`);
    return row ? (row.created_at as string) : null;
  }

  async budget(regionCode: string, year: number): Promise<{ totalFen: number; availableFen: number } | null> {
    const row = await this.db.row(sql`SELECT total_fen, available_fen FROM budget WHERE region_code = ${regionCode} AND year = ${year}`);
    return row ? { totalFen: Number(row.total_fen), availableFen: Number(row.available_fen) } : null;
  }

  /** Active vouchers whose last valid day is within [from, to], not yet announced (so a sweep on a quiet day writes nothing). */
  async vouchersExpiring(
    from: string,
    to: string,
  ): Promise<{ id: string; serial: string; enterpriseId: string; validFrom: string; validUntil: string; availableFen: number }[]> {
    const rows = await this.db.rows(
      sql`SELECT v.id, v.serial, v.enterprise_id, v.valid_from, v.valid_until, v.available_fen FROM voucher v
          WHERE v.status = 'active' AND v.valid_until >= ${from} AND v.valid_until <= ${to}
            AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.entity_id = v.id AND n.kind = 'voucher_expiring')`,
    );
    return rows.map((r) => ({
      id: r.id as string,
      serial: r.serial as string,
      enterpriseId: r.enterprise_id as string,
      validFrom: r.valid_from as string,
      validUntil: r.valid_until as string,
      availableFen: Number(r.available_fen),
    }));
  }

  /** Holds still held whose expiry falls within (from, to], not yet announced. */
  async holdsExpiring(
    from: string,
    to: string,
  ): Promise<{ id: string; enterpriseId: string; facilityName: string; subsidyFen: number; expiresAt: string }[]> {
    const rows = await this.db.rows(
      sql`SELECT r.id, r.enterprise_id, r.subsidy_fen, r.expires_at, f.name AS facility_name FROM redemption r
          JOIN facility f ON f.id = r.facility_id
          WHERE r.status = 'held' AND r.expires_at > ${from} AND r.expires_at <= ${to}
            AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.entity_id = r.id AND n.kind = 'hold_expiring')`,
    );
    return rows.map((r) => ({
      id: r.id as string,
      enterpriseId: r.enterprise_id as string,
      facilityName: r.facility_name as string,
      subsidyFen: Number(r.subsidy_fen),
      expiresAt: r.expires_at as string,
    }));
  }

  async list(userId: string, unreadOnly: boolean, limit: number, offset: number): Promise<{ items: Notification[]; total: number }> {
    const shown = sql`${inAppOf(userId)}${unreadOnly ? sql` AND read_at IS NULL` : empty}`;
    const rows = await this.db.rows(
      sql`SELECT * FROM notification WHERE ${shown} ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`,
    );
    return { items: rows.map(toNotification), total: await this.db.count(sql`notification WHERE ${shown}`) };
  }

  /** One of the user's notices as the app shows it (never a mail-only one). */
  async inApp(userId: string, id: string): Promise<Notification | null> {
    const row = await this.db.row(sql`SELECT * FROM notification WHERE id = ${id} AND ${inAppOf(userId)}`);
    return row ? toNotification(row) : null;
  }

  /** Marks one of the user's notifications read (the first time only). */
  async markRead(id: string, userId: string, at: string): Promise<void> {
    await this.db.execute(sql`UPDATE notification SET read_at = ${at} WHERE id = ${id} AND user_id = ${userId} AND read_at IS NULL`);
  }

  /** The kinds the user has asked to be told in the app only. */
  async mailOff(userId: string): Promise<string[]> {
    const rows = await this.db.rows(sql`SELECT kind FROM notification_mail_off WHERE user_id = ${userId} ORDER BY kind`);
    return rows.map((r) => r.kind as string);
  }

  /** Of these users and kinds, the pairs told in the app only, as `userId:kind`. */
  async mailOffOf(userIds: string[], kinds: string[]): Promise<Set<string>> {
    const off = new Set<string>();
    if (!kinds.length) return off;
    // 500 ids a statement: within both databases' limits on bound parameters
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = await this.db.rows(
        sql`SELECT user_id, kind FROM notification_mail_off WHERE user_id IN (${join(userIds.slice(i, i + 500))})
              AND kind IN (${join(kinds)})`,
      );
      for (const r of rows) off.add(`${r.user_id as string}:${r.kind as string}`);
    }
    return off;
  }

  /** Replaces the user's kinds told in the app only, its account row locked first so that two changes apply one after the other. */
  async setMailOff(userId: string, kinds: string[]): Promise<void> {
    await this.db.row(sql`SELECT id FROM app_user WHERE id = ${userId}${this.db.forUpdate}`);
    await this.db.execute(sql`DELETE FROM notification_mail_off WHERE user_id = ${userId}`);
    if (kinds.length)
      await this.db.execute(
        sql`INSERT INTO notification_mail_off (user_id, kind) VALUES ${join(kinds.map((k) => sql`(${userId}, ${k})`))}`,
      );
  }

  /** A claimed mail to send, and whether its user may still receive it (not disabled since the notice). */
  async mailToSend(id: string): Promise<MailToSend | null> {
    const row = await this.db.row(
      sql`SELECT n.*, CASE WHEN u.id IS NOT NULL AND u.disabled_at IS NULL THEN 1 ELSE 0 END AS recipient_active
          FROM notification n LEFT JOIN app_user u ON u.id = n.user_id WHERE n.id = ${id}`,
    );
    return row ? { ...toNotification(row), recipientActive: Number(row.recipient_active) === 1 } : null;
  }

  /** Mails due now and not leased by a live node. */
  async dueMails(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows(
      sql`SELECT id FROM notification WHERE email_status = 'pending' AND email_next_at <= ${now}
          AND (email_lease_until IS NULL OR email_lease_until <= ${now}) ORDER BY email_next_at LIMIT ${limit}`,
    );
    return rows.map((r) => r.id as string);
  }

  /** Claims a due mail for one attempt (guarded: one node wins), counting it. */
  async claimMail(id: string, owner: string, now: string, until: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE notification SET email_lease_owner = ${owner}, email_lease_until = ${until}, email_attempts = email_attempts + 1
            WHERE id = ${id} AND email_status = 'pending' AND email_next_at <= ${now}
              AND (email_lease_until IS NULL OR email_lease_until <= ${now})`,
      )) === 1
    );
  }

  /** Extends the caller's lease on a mail it is sending; false when the lease is no longer its own. */
  async renewMailLease(id: string, owner: string, until: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE notification SET email_lease_until = ${until} WHERE id = ${id} AND email_lease_owner = ${owner}`,
      )) === 1
    );
  }

  /** Records a mail attempt's outcome while the lease is still the caller's. */
  async finishMail(id: string, owner: string, status: EmailStatus, nextAt: string | null, error: string | null): Promise<boolean> {
    // a code's mail sent or given up keeps no code in the outbox
    const spent =
      status === 'pending' ? empty : sql`, body = CASE WHEN kind IN (${join([...MAIL_ONLY_KINDS])}) THEN ${MAIL_ONLY_SPENT} ELSE body END`;
    return (
      (await this.db.execute(
        sql`UPDATE notification SET email_status = ${status}, email_next_at = ${nextAt}, email_error = ${error}, email_lease_owner = NULL,
              email_lease_until = NULL${spent}
            WHERE id = ${id} AND email_lease_owner = ${owner}`,
      )) === 1
    );
  }
}

/** A user's notices the app shows: a code confirming an address is the mail's alone (whoever holds the session would confirm any address with it). */
const inAppOf = (userId: string) => sql`user_id = ${userId} AND kind NOT IN (${join([...MAIL_ONLY_KINDS])})`;
