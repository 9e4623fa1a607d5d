import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, raw, Sql, sql } from '../common/persistence/sql';
import { Organization, OrganizationStatus, OrganizationType, QualifiedEnterprise } from './organization.entity';
import { sanctionedSql } from '../oversight/sanction.time-rules';
import { admittedRecently, inPublicNotice, organizationActive } from './organization.time-rules';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { bankAccountKey } from './profile.rules';
import { reserveCounter } from '../common/persistence/serial-counter';

/** What an admin may change of its organization, as stored. */
export type ProfileChanges = Partial<
  Pick<
    Organization,
    | 'contactPerson'
    | 'contactPhone'
    | 'contactEmail'
    | 'address'
    | 'bankName'
    | 'bankAccount'
    | 'controllerCreditCode'
    | 'relatedCreditCodes'
  >
>;

/**
 * Credit codes one statement binds: a qualified list has up to 100,000, and SQLite refuses more than 32,766 bound
 * values in a statement ("too many SQL variables"), MariaDB more than 65,535.
 */
const CODES_PER_STATEMENT = 1000;
/** Rows of the qualified list one INSERT writes: five values each. */
const QUALIFIED_ROWS_PER_INSERT = 500;

/** `list` in slices of `size`. */
const chunks = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

const PROFILE_COLUMNS: Record<keyof ProfileChanges, string> = {
  contactPerson: 'contact_person',
  contactPhone: 'contact_phone',
  contactEmail: 'contact_email',
  address: 'address',
  bankName: 'bank_name',
  bankAccount: 'bank_account',
  controllerCreditCode: 'controller_credit_code',
  relatedCreditCodes: 'related_credit_codes',
};

/**
 * Whether organization `alias` has no change of bank account waiting for its bureau: a payee with one is held (left
 * out of a batch, held back at payment) until the bureau decides; neither the account it says is closed nor the one it
 * asked for, unverified, is paid meanwhile.
 */
export const noBankChangePendingSql = (alias: string): Sql => sql`${raw(alias)}.pending_bank_account_key IS NULL`;

/** No change of bank account waiting: the pending columns cleared, in an UPDATE's SET. */
const NO_PENDING_SQL = sql`pending_bank_name = NULL, pending_bank_account = NULL, pending_bank_account_key = NULL,
    pending_bank_requested_at = NULL, pending_bank_requested_by = NULL`;

@Injectable()
export class OrganizationRepository {
  constructor(private readonly db: Database) {}

  insert(org: Organization): Promise<void> {
    return this.db.insert(Organization, [org]);
  }

  async get(id: string): Promise<Organization | undefined> {
    return (await this.db.select(Organization, 'o', sql`WHERE o.id = ${id}`))[0];
  }

  lock(id: string): Promise<Organization | null> {
    return this.db.lock(Organization, { id });
  }

  /**
   * Locks, in id order, the enterprise and every enterprise of its groups: the group its credit code heads and the
   * group of the controller it declares (as the annual grants count them, grantSubjects), so that two companies under
   * one controller queue rather than deadlock. The members are found by a plain read, then locked by primary key: a
   * locking read of the OR itself (an index merge on MariaDB) takes rows index by index, credit codes before
   * controllers, and two sisters each holding their own row waited for the other's. Locked, a row's codes are settled:
   * the members are those the locked rows name. Should the enterprise's declared controller have changed in between,
   * its row names the groups to lock again.
   */
  async lockGroupOf(enterprise: Pick<Organization, 'id' | 'creditCode' | 'controllerCreditCode'>): Promise<Organization[]> {
    for (let declared = enterprise; ;) {
      const codes = [declared.creditCode, ...(declared.controllerCreditCode ? [declared.controllerCreditCode] : [])];
      const found = await this.db.rows<{ id: string }>(
        sql`SELECT o.id FROM organization o WHERE o.type = 'enterprise'
            AND (o.id = ${enterprise.id} OR o.credit_code IN (${join(codes)}) OR o.controller_credit_code IN (${join(codes)}))`,
      );
      if (found.length === 0) return [];
      const rows = await this.db.select(
        Organization,
        'o',
        sql`WHERE o.id IN (${join(found.map((r) => r.id))}) ORDER BY o.id${this.db.forUpdate}`,
      );
      const own = rows.find((o) => o.id === enterprise.id);
      if (!own || (own.creditCode === declared.creditCode && own.controllerCreditCode === declared.controllerCreditCode)) {
        const named = (code: string | null) => code !== null && codes.includes(code);
        return rows.filter(
          (o) => o.type === 'enterprise' && (o.id === enterprise.id || named(o.creditCode) || named(o.controllerCreditCode)),
        );
      }
      declared = own;
    }
  }

  /**
   * The two parties of an order read under shared locks, the enterprise's row before the provider's: a suspension or a
   * sanction in flight (each takes the rows it affects exclusively, lockBoundBy) is waited for and then read as committed,
   * and none starts until the order's unit ends. Enterprise rows before provider rows is the order every unit takes them
   * in: a booking's group of enterprises, then the lab; a sanction's enterprises, then its providers.
   */
  async shareParties(enterpriseId: string, providerId: string): Promise<void> {
    await this.share(enterpriseId);
    await this.share(providerId);
  }

  /**
   * One organization read under a shared lock (undefined for none): a suspension or a sanction in flight that binds it
   * (lockBoundBy) is waited for, and none commits until the caller's unit ends. For a unit that reads one party and the
   * sanction list and commits on them: an application, a claim's submission or approval.
   */
  async share(id: string): Promise<Organization | undefined> {
    return (await this.db.select(Organization, 'o', sql`WHERE o.id = ${id}${this.db.forShare}`))[0];
  }

  /**
   * Locks the organizations a sanction against `creditCode` binds: the one registered under it and those that declare it
   * their actual controller (sanctionedSql). Enterprises first, then the rest (providers), each in id order, as orders
   * take them (shareParties): a hold or booking in flight finishes first, or waits and then reads the sanction. Found by
   * a plain read, then locked by primary key (see lockGroupOf: a locking read of the OR takes rows index by index).
   */
  async lockBoundBy(creditCode: string): Promise<void> {
    const found = await this.db.rows<{ id: string; type: string }>(
      sql`SELECT o.id, o.type FROM organization o WHERE o.credit_code = ${creditCode} OR o.controller_credit_code = ${creditCode}`,
    );
    const enterprises = found.filter((o) => o.type === 'enterprise').map((o) => o.id);
    const others = found.filter((o) => o.type !== 'enterprise').map((o) => o.id);
    for (const ids of [enterprises, others]) {
      if (ids.length > 0)
        await this.db.rows(sql`SELECT o.id FROM organization o WHERE o.id IN (${join(ids)}) ORDER BY o.id${this.db.forUpdate}`);
    }
  }

  async byCreditCode(creditCode: string): Promise<Organization | undefined> {
    return (await this.db.select(Organization, 'o', sql`WHERE o.credit_code = ${creditCode}`))[0];
  }

  /** Names by id, for lists that show who is who. */
  async names(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.rows<{ id: string; name: string }>(
      sql`SELECT o.id, o.name FROM organization o WHERE o.id IN (${join([...new Set(ids)])})`,
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** A page of organizations; a status as of `now`, as they are shown: a provider whose notice has ended is active. */
  async list(
    scope: ListScope,
    q: { type?: OrganizationType; status?: string; bankAccountChange?: 'pending'; limit: number; offset: number },
    now: string,
  ): Promise<Page<Organization>> {
    const status =
      q.status === 'active'
        ? sql` AND ${organizationActive.sql('o', now)}`
        : q.status === 'public_notice'
          ? sql` AND ${inPublicNotice.sql('o', now)}`
          : q.status
            ? sql` AND o.status = ${q.status}`
            : empty;
    const pending = q.bankAccountChange === 'pending' ? sql` AND NOT ${noBankChangePendingSql('o')}` : empty;
    const where = sql`WHERE 1 = 1${q.type ? sql` AND o.type = ${q.type}` : empty}${status}${pending}${scopeCondition(scope, {
      region: 'o.region_code',
      orgs: ['o.id'],
    })}`;
    return this.db.page(Organization, 'o', where, sql`o.created_at, o.id`, q);
  }

  /** Moves the organization from `from` to the changes' status; false when its status moved first. */
  async transition(
    id: string,
    from: OrganizationStatus,
    changes: Pick<Organization, 'status' | 'noticeEndsAt' | 'statusReason' | 'updatedAt'>,
  ): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET status = ${changes.status}, notice_ends_at = ${changes.noticeEndsAt}, status_reason = ${changes.statusReason},
          updated_at = ${changes.updatedAt} WHERE id = ${id} AND status = ${from}`,
    );
    return changed === 1;
  }

  /** An enterprise's verification: the status it moves to from `from`, and the qualification it was verified on. */
  async decideVerification(
    id: string,
    from: OrganizationStatus,
    d: Pick<Organization, 'status' | 'statusReason' | 'certificateNo' | 'verifiedAt' | 'verifiedBy' | 'updatedAt'>,
  ): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET status = ${d.status}, status_reason = ${d.statusReason}, certificate_no = ${d.certificateNo},
          verified_at = ${d.verifiedAt}, verified_by = ${d.verifiedBy}, updated_at = ${d.updatedAt} WHERE id = ${id} AND status = ${from}`,
    );
    return changed === 1;
  }

  /** A verified enterprise's certificate number, corrected; false when it is no longer active. */
  async correctCertificate(id: string, certificateNo: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET certificate_no = ${certificateNo} WHERE id = ${id} AND type = 'enterprise' AND status = 'active'`,
    );
    return changed === 1;
  }

  /**
   * Writes the profile fields given (the caller has the row locked); `updated_at` stays the last change of status. A
   * changed account writes its key too. 'accountInUse' when another organization has the account
   * on file: the unique key on bank_account_key decides, also between two organizations putting one account on file at
   * once, and only the failed statement is undone (the caller throws, undoing the rest).
   */
  async updateProfile(id: string, changes: ProfileChanges, now: string): Promise<'updated' | 'accountInUse'> {
    const sets = Object.entries(changes).map(([field, value]) => {
      const stored = field === 'relatedCreditCodes' ? JSON.stringify(value) : value;
      return sql`${raw(PROFILE_COLUMNS[field as keyof ProfileChanges])} = ${stored}`;
    });
    if (changes.bankAccount !== undefined)
      sets.push(sql`bank_account_key = ${changes.bankAccount ? bankAccountKey(changes.bankAccount) : null}`);
    // A first filing is filed from now on (a later one is a change); clearing the account withdraws a change waiting too.
    if (changes.bankAccount) sets.push(sql`bank_account_filed_at = ${now}`);
    // An account cleared was on file all the same (one written before filing was recorded has no instant yet).
    if (changes.bankAccount === null) sets.push(sql`bank_account_filed_at = COALESCE(bank_account_filed_at, ${now})`, NO_PENDING_SQL);
    try {
      await this.db.execute(sql`UPDATE organization SET ${join([...sets, sql`profile_updated_at = ${now}`], ', ')} WHERE id = ${id}`);
    } catch (e) {
      if (isUniqueViolation(e)) return 'accountInUse';
      throw e;
    }
    return 'updated';
  }

  /**
   * Serializes every write of an account key (a first filing, a change asked for) on one counter row, taken by an upsert
   * until the unit ends: the two unique keys (on file, pending) each hold within their column, and this is what keeps
   * an account out of both columns of two organizations filing it at once. Account changes are rare; one row suffices.
   */
  async lockAccountKeys(): Promise<void> {
    await reserveCounter(this.db, 'BANKACCT', 0, 1);
  }

  /** Whether an organization other than `id` has the account on file or waiting for its bureau (lockAccountKeys held). */
  async accountTaken(id: string, account: string): Promise<boolean> {
    const key = bankAccountKey(account);
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT o.id FROM organization o WHERE (o.bank_account_key = ${key} OR o.pending_bank_account_key = ${key}) AND o.id <> ${id}`,
    );
    return rows.length > 0;
  }

  /**
   * Stores a change of account to wait for the bureau; 'pending' when one waits already (the guard), 'accountInUse'
   * when the pending key is another's (the unique key decides).
   */
  async requestBankChange(
    id: string,
    to: { bankName: string; bankAccount: string },
    requestedBy: string,
    now: string,
  ): Promise<'requested' | 'pending' | 'accountInUse'> {
    try {
      const changed = await this.db.execute(
        sql`UPDATE organization SET pending_bank_name = ${to.bankName}, pending_bank_account = ${to.bankAccount},
            pending_bank_account_key = ${bankAccountKey(to.bankAccount)}, pending_bank_requested_at = ${now},
            pending_bank_requested_by = ${requestedBy}, profile_updated_at = ${now}
            WHERE id = ${id} AND pending_bank_account_key IS NULL`,
      );
      return changed === 1 ? 'requested' : 'pending';
    } catch (e) {
      if (isUniqueViolation(e)) return 'accountInUse';
      throw e;
    }
  }

  /**
   * The pending change keyed `key` put on file, in one guarded statement (the bank columns are assigned before the
   * pending ones are cleared: MariaDB assigns left to right); 'gone' when it was decided or replaced meanwhile.
   */
  async confirmBankChange(id: string, key: string, now: string): Promise<'confirmed' | 'gone' | 'accountInUse'> {
    try {
      const changed = await this.db.execute(
        sql`UPDATE organization SET bank_name = pending_bank_name, bank_account = pending_bank_account,
            bank_account_key = pending_bank_account_key, bank_account_filed_at = ${now}, profile_updated_at = ${now}, ${NO_PENDING_SQL}
            WHERE id = ${id} AND pending_bank_account_key = ${key}`,
      );
      return changed === 1 ? 'confirmed' : 'gone';
    } catch (e) {
      if (isUniqueViolation(e)) return 'accountInUse';
      throw e;
    }
  }

  /** The pending change keyed `key` dropped; false when it was decided meanwhile. */
  async rejectBankChange(id: string, key: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET ${NO_PENDING_SQL}
          WHERE id = ${id} AND pending_bank_account_key = ${key}`,
    );
    return changed === 1;
  }

  // ---- A province's qualified list. ----

  /** The list's row of a credit code; `lock`: shared-locked, waiting for an import writing it to end, and as committed then. */
  async qualified(creditCode: string, { lock = false } = {}): Promise<QualifiedEnterprise | undefined> {
    const locked = lock ? this.db.forShare : empty;
    return (await this.db.select(QualifiedEnterprise, 'q', sql`WHERE q.credit_code = ${creditCode}${locked}`))[0];
  }

  /**
   * Adds or updates rows of the list (a row is never removed by a later import); returns how many were new or changed.
   * A code given twice keeps its last row, as rows written one by one would. Read and written a slice at a time: a
   * province's list of 100,000 rows is 100 reads and the changed rows' inserts, not two statements a row.
   */
  async upsertQualified(rows: QualifiedEnterprise[]): Promise<number> {
    const latest = [...new Map(rows.map((r) => [r.creditCode, r])).values()];
    const stored = new Map<string, QualifiedEnterprise>();
    const codes = latest.map((r) => r.creditCode);
    for (const slice of chunks(codes, CODES_PER_STATEMENT)) {
      const found = await this.db.select(QualifiedEnterprise, 'q', sql`WHERE q.credit_code IN (${join(slice)})`);
      for (const q of found) stored.set(q.creditCode, q);
    }
    const changed = latest.filter((r) => {
      const existing = stored.get(r.creditCode);
      return existing?.certificateNo !== r.certificateNo || existing.regionCode !== r.regionCode;
    });
    for (const batch of chunks(changed, QUALIFIED_ROWS_PER_INSERT)) {
      const values = join(batch.map((r) => sql`(${r.creditCode}, ${r.regionCode}, ${r.certificateNo}, ${r.importedAt}, ${r.importedBy})`));
      await this.db.execute(
        this.db.dialect === 'sqlite'
          ? sql`INSERT INTO qualified_enterprise (credit_code, region_code, certificate_no, imported_at, imported_by) VALUES ${values}
                ON CONFLICT (credit_code) DO UPDATE SET region_code = excluded.region_code, certificate_no = excluded.certificate_no,
                imported_at = excluded.imported_at, imported_by = excluded.imported_by`
          : sql`INSERT INTO qualified_enterprise (credit_code, region_code, certificate_no, imported_at, imported_by) VALUES ${values}
                ON DUPLICATE KEY UPDATE region_code = VALUES(region_code), certificate_no = VALUES(certificate_no),
                imported_at = VALUES(imported_at), imported_by = VALUES(imported_by)`,
      );
    }
    return changed.length;
  }

  /**
   * Registered enterprises still waiting for verification whose credit codes the list now names (the caller has written
   * their rows of the list). The codes not registered as of a plain read are read again with a lock, which waits for a
   * registration under way to end and then finds it: that registration may have read the list before this import wrote it.
   * Only those are locked, so an import of a province's list does not hold up the enterprises on it already registered.
   */
  async pendingAmong(creditCodes: string[]): Promise<Organization[]> {
    const pending: Organization[] = [];
    for (const codes of chunks(creditCodes, CODES_PER_STATEMENT)) {
      const registered = await this.db.select(Organization, 'o', sql`WHERE o.credit_code IN (${join(codes)})`);
      const seen = new Set(registered.map((o) => o.creditCode));
      const unseen = codes.filter((c) => !seen.has(c));
      const registering =
        unseen.length === 0
          ? []
          : await this.db.select(Organization, 'o', sql`WHERE o.credit_code IN (${join(unseen)})${this.db.forShare}`);
      pending.push(...[...registered, ...registering].filter((o) => o.status === 'pending_verification'));
    }
    return pending;
  }

  /** Providers whose public notice ended by `now`. */
  noticesEnded(now: string): Promise<Organization[]> {
    return this.db.select(Organization, 'o', sql`WHERE o.status = 'public_notice' AND o.notice_ends_at <= ${now}`);
  }

  /** public_notice → active for one provider whose notice ended; false when another node did it first. */
  async activateNoticeEnded(id: string, now: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE organization SET status = 'active', updated_at = ${now} WHERE id = ${id} AND status = 'public_notice' AND notice_ends_at <= ${now}`,
    );
    return changed === 1;
  }

  /** One page of the providers in public notice at `now`, the nearest end first, and how many are. */
  providersInNotice(now: string, page: { limit: number; offset: number }): Promise<Page<Organization>> {
    return this.db.page(
      Organization,
      'o',
      sql`WHERE o.type = 'provider' AND ${inPublicNotice.sql('o', now)}`,
      sql`o.notice_ends_at, o.name, o.id`,
      page,
    );
  }

  /**
   * Providers admitted within the last RECENT_ADMISSION_DAYS before `now`, active now and under no sanction in force on
   * `today` (the page advertises them as open for business), the latest first.
   */
  providersAdmittedRecently(now: string, today: string, limit: number): Promise<Page<Organization>> {
    return this.db.page(
      Organization,
      'o',
      sql`WHERE o.type = 'provider' AND ${admittedRecently.sql('o', now)} AND NOT ${sanctionedSql('o', today)}`,
      sql`COALESCE(o.notice_ends_at, o.updated_at) DESC, o.name, o.id`,
      { limit, offset: 0 },
    );
  }
}
