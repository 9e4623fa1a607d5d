import { Injectable } from '@nestjs/common';
import { assertBureauOf, bureauCovers, canRead, listScope } from '../common/auth/scope';
import { isOneLine } from '../common/http/text';
import { Language, translate } from '../common/i18n/messages';
import { clock } from '../common/clock';
import { Actor, personOf } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { regionOfRegistration } from '../regions/regions.data';
import { creditCodeProblem, registrationRegionOf } from './credit-code';
import { MAX_QUALIFIED_ROWS, OrganizationInput, UpdateProfileInput } from './organization.dto';
import { Organization, OrganizationStatus, OrganizationType } from './organization.entity';
import { OrganizationRepository, ProfileChanges } from './organization.repository';
import {
  bankAccountKey,
  bankChangeNeedsBureau,
  mayDecideBankChange,
  relationsForBureau,
  maskBankAccount,
  normalizeBankAccount,
  RELATION_FIELDS,
} from './profile.rules';
import { organizationTransition } from './organization.states';
import { admittedAt, noticeEndsAtFor, noticeStartedAt, withNoticeEnded } from './organization.time-rules';

const DEFAULT_NOTICE_DAYS = 7;

/** Not (yet) vetted by the bureau: an enterprise not verified, a lab not admitted. */
const UNVETTED: readonly OrganizationStatus[] = ['pending_verification', 'declined', 'applied'];

/** No change of bank account waiting. */
const NO_PENDING = {
  pendingBankName: null,
  pendingBankAccount: null,
  pendingBankAccountKey: null,
  pendingBankRequestedAt: null,
  pendingBankRequestedBy: null,
};

/** 409: the account is on file (or waiting) for another organization, which is not named. */
const accountInUse = () => catalogued('BANK_ACCOUNT_IN_USE', 'organizations.bankAccountInUse', { field: 'bankAccount' });

/** 409: no change of bank account waits (none asked for, or decided or withdrawn meanwhile). */
const noneWaiting = (name: string) => catalogued('INVALID_STATE', 'organizations.noBankChangePending', { name });

/** A new organization's profile: its admin fills it in (PATCH /api/organizations/:id). */
const EMPTY_PROFILE = {
  contactPerson: null,
  contactPhone: null,
  contactEmail: null,
  address: null,
  bankName: null,
  bankAccount: null,
  bankAccountKey: null,
  profileUpdatedAt: null,
  bankAccountFiledAt: null,
  ...NO_PENDING,
};

/** The changes but the bank and account, which wait for the bureau. */
const withoutBank = (changes: ProfileChanges): ProfileChanges => {
  const { bankName: _bankName, bankAccount: _bankAccount, ...rest } = changes;
  return rest;
};

/** A bank as audited and told: its name and the account masked. */
const bankShown = (b: { bankName: string | null; bankAccount: string | null }) => ({
  bankName: b.bankName ?? null,
  bankAccount: maskBankAccount(b.bankAccount),
});

/** Each changed field from → to, a bank account masked: the audit entry of a profile change. */
const profileChangeSummary = (org: Organization, changes: ProfileChanges) => {
  const shown = (field: string, value: unknown) => (field === 'bankAccount' ? maskBankAccount(value as string | null) : (value ?? null));
  return Object.fromEntries(
    Object.entries(changes).map(([field, to]) => [field, { from: shown(field, org[field as keyof Organization]), to: shown(field, to) }]),
  );
};

/** What the public notices page may show of a provider: its name, its region and the date that matters. */
export interface PublicProvider {
  name: string;
  regionCode: string;
  /** The end of its notice (in notice), or when it was admitted (admitted). */
  at: string;
}

/** A provider in public notice: `at` ends the notice, `from` began it. */
export interface ProviderInNotice extends PublicProvider {
  from: string;
}

/** The public notices page's two lists: a page of those in notice, the latest admitted; each with its whole count. */
export interface PublicNotices {
  inNotice: Page<ProviderInNotice>;
  admitted: Page<PublicProvider>;
}

/** Organizations: registration, providers' admission and suspension, and reading them within scope. */
@Injectable()
export class OrganizationsService {
  static readonly admitRefusals = ['INVALID_STATE'] as const;
  static readonly suspendRefusals = ['INVALID_STATE'] as const;
  static readonly verifyRefusals = ['INVALID_STATE'] as const;
  /** A bureau or platform caller, or a user who is not an admin: 403; another organization: 404; a bad field: 400. */
  static readonly profileRefusals = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'INVALID_STATE', 'BANK_ACCOUNT_IN_USE'] as const;
  /** Another province's bureau: 403; none waiting or decided meanwhile: 409; the person who asked: 403. */
  static readonly bankChangeRefusals = [
    'VALIDATION_FAILED',
    'FORBIDDEN',
    'NOT_FOUND',
    'INVALID_STATE',
    'DUAL_CONTROL_REQUIRED',
    'BANK_ACCOUNT_IN_USE',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly organizations: OrganizationRepository,
    sweeps: Sweeps,
  ) {
    sweeps.register('provider-notices', () => this.activateNoticesEnded());
  }

  /**
   * Creates an organization inside the caller's unit of work (registration creates its user alongside). An enterprise
   * waits for its home bureau's verification, unless its province's qualified list names it.
   */
  async create(type: OrganizationType, input: OrganizationInput): Promise<Organization> {
    if (input.controllerCreditCode === input.creditCode)
      throw catalogued('VALIDATION_FAILED', 'organizations.controllerOwn', { field: 'organization.controllerCreditCode' });
    if (input.relatedCreditCodes?.includes(input.creditCode))
      throw catalogued('VALIDATION_FAILED', 'organizations.relatedOwn', { field: 'organization.relatedCreditCodes' });
    if (await this.organizations.byCreditCode(input.creditCode)) {
      throw catalogued('DUPLICATE', 'auth.creditCodeRegistered', { creditCode: input.creditCode });
    }
    const now = clock.iso();
    const stated =
      type === 'enterprise'
        ? { controllerCreditCode: input.controllerCreditCode ?? null, certificateNo: input.certificateNo?.trim() ?? null }
        : null;
    const org: Organization = {
      id: newId(),
      name: input.name.trim(),
      creditCode: input.creditCode,
      type,
      kind: type === 'enterprise' ? (input.kind ?? 'tech_sme') : null,
      ...regionOfRegistration(registrationRegionOf(input.creditCode)),
      status: type === 'provider' ? 'applied' : 'pending_verification',
      controllerCreditCode: input.controllerCreditCode ?? null,
      relatedCreditCodes: [...new Set(input.relatedCreditCodes ?? [])],
      noticeEndsAt: null,
      statusReason: null,
      createdAt: now,
      updatedAt: now,
      certificateNo: stated?.certificateNo ?? null,
      verifiedAt: null,
      verifiedBy: null,
      ...EMPTY_PROFILE,
    };
    await this.organizations.insert(org);
    // The list is read after the row is in, locked: an import writing this code's row is waited for and seen; one that
    // writes it after this read finds the row, waiting for this unit (pendingAmong), and verifies it. Read first, both
    // could miss the other and the enterprise wait for the next load of the list.
    const listed = stated ? await this.organizations.qualified(input.creditCode, { lock: true }) : undefined;
    const active = listed !== undefined && stated !== null && activeOnList(listed, stated);
    if (active) {
      const verified = { status: 'active' as const, certificateNo: listed.certificateNo, verifiedAt: now, updatedAt: now };
      await this.organizations.decideVerification(org.id, 'pending_verification', { ...verified, statusReason: null, verifiedBy: null });
      Object.assign(org, verified);
    }
    this.uow.record({
      action: 'organization.registered',
      entityType: 'organization',
      entityId: org.id,
      regionCode: org.regionCode,
      organizationId: org.id,
      summary: { name: org.name, creditCode: org.creditCode, type, status: org.status },
    });
    // Verified by its province's list, as an import verifies one already waiting: the same entry and event either way.
    if (active) this.uow.record(verificationEntry(org, 'enterprise.verified', { certificateNo: org.certificateNo, by: 'qualified_list' }));
    return org;
  }

  async get(actor: Actor, id: string): Promise<Organization> {
    const org = await this.load(id);
    if (!canRead(actor, { organizationIds: [org.id], regionCodes: [org.regionCode] })) throw notFound('organization');
    return org;
  }

  async list(
    actor: Actor,
    filter: { type?: OrganizationType; status?: string; bankAccountChange?: 'pending'; limit: number; offset: number },
  ): Promise<Page<Organization>> {
    const now = clock.iso();
    const page = await this.organizations.list(listScope(actor), filter, now);
    return { items: page.items.map((o) => withNoticeEnded(o, now)), total: page.total };
  }

  /** Admission: into public notice (or straight to active with noticeDays 0), by the bureau of the provider's province. */
  admit(actor: Actor, id: string, noticeDays = DEFAULT_NOTICE_DAYS): Promise<Outcome<Organization>> {
    return this.uow.run(async () => {
      const stored = await this.lockProvider(actor, id);
      const org = withNoticeEnded(stored, clock.iso());
      const to = organizationTransition(org.status, noticeDays === 0 ? 'admit_at_once' : 'admit');
      if (!to) return refusedBy(catalogued('INVALID_STATE', 'providers.notAdmissible', { status: org.status }));
      const now = clock.iso();
      const changes = {
        status: to,
        noticeEndsAt: noticeDays === 0 ? null : noticeEndsAtFor(now, noticeDays),
        statusReason: null,
        updatedAt: now,
      };
      if (!(await this.organizations.transition(id, stored.status, changes)))
        return refusedBy(catalogued('INVALID_STATE', 'providers.changedMeanwhile'));
      this.uow.record({
        action: 'provider.admitted',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: { from: org.status, to, noticeDays, noticeEndsAt: changes.noticeEndsAt },
      });
      return ok({ ...org, ...changes });
    });
  }

  suspend(actor: Actor, id: string, reason: string): Promise<Outcome<Organization>> {
    return this.uow.run(async () => {
      const stored = await this.lockProvider(actor, id);
      const org = withNoticeEnded(stored, clock.iso());
      const to = organizationTransition(org.status, 'suspend');
      if (!to) return refusedBy(catalogued('INVALID_STATE', 'providers.notSuspendable', { status: org.status }));
      const changes = { status: to, statusReason: reason, noticeEndsAt: null, updatedAt: clock.iso() };
      if (!(await this.organizations.transition(id, stored.status, changes)))
        return refusedBy(catalogued('INVALID_STATE', 'providers.changedMeanwhile'));
      // A notice that ended before the sweep came: its activation is recorded first, as the sweep would have, which now
      // finds the row suspended and never will.
      if (stored.status !== org.status) this.uow.record(noticeEndedEntry(stored));
      this.uow.record({
        action: 'provider.suspended',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: { from: org.status, reason },
      });
      return ok({ ...org, ...changes });
    });
  }

  /**
   * Providers whose public notice has ended become active (a scheduled sweep; reads apply it lazily too). Each row is
   * flipped by its own guarded update and audited only when this call changed it, so sweeps racing on several nodes
   * activate and audit every provider once.
   */
  async activateNoticesEnded(): Promise<number> {
    return this.uow.run(async () => {
      const now = clock.iso();
      let activated = 0;
      for (const o of await this.organizations.noticesEnded(now)) {
        if (!(await this.organizations.activateNoticeEnded(o.id, now))) continue;
        activated++;
        this.uow.record(noticeEndedEntry(o));
      }
      return activated;
    });
  }

  /**
   * The bureau of the enterprise's region (or province) verifies it on the certificate of its qualification. Of an
   * enterprise already verified, with a reason, it corrects the number (a typo, a certificate renewed): the status and
   * who verified it when stay, and the audit keeps the number it was and why it changed.
   */
  verify(actor: Actor, id: string, certificateNo: string, reason?: string): Promise<Outcome<Organization>> {
    return this.decideVerification(actor, id, 'verify', { certificateNo, statusReason: null }, reason);
  }

  /** The number the enterprise stated stays on its row: a later verification compares with it, and the bureau sees it. */
  decline(actor: Actor, id: string, reason: string): Promise<Outcome<Organization>> {
    return this.decideVerification(actor, id, 'decline', { statusReason: reason });
  }

  /**
   * A bureau loads its province's (or city's) qualified list: rows are added or updated, never removed, so loading
   * the same list again changes nothing. A row is refused, with its line, when its credit code is invalid, was
   * registered outside the bureau's region, or lacks a certificate. Enterprises already waiting for verification
   * whose codes the list names become active. `lines`: each row's line (a CSV file's), by default its place from 1.
   */
  importQualified(
    actor: Actor,
    regionCode: string,
    rows: QualifiedRow[],
    lines = rows.map((_, i) => i + 1),
    lng: Language = 'en',
  ): Promise<QualifiedImport> {
    assertBureauOf(actor, regionCode, `the qualified list of ${regionCode}`);
    // JSON bodies are held to it by their DTO; a CSV file is held to it here
    if (rows.length > MAX_QUALIFIED_ROWS)
      throw catalogued('VALIDATION_FAILED', 'imports.tooManyRows', { max: MAX_QUALIFIED_ROWS, rows: rows.length });
    const now = clock.iso();
    const { accepted, rejected } = checkQualifiedRows(rows, regionCode, lines, lng);
    return this.uow.run(async () => {
      const changed = await this.organizations.upsertQualified(
        accepted.map((r) => ({
          ...r,
          regionCode: regionOfRegistration(registrationRegionOf(r.creditCode)).regionCode,
          importedAt: now,
          importedBy: actor.userId,
        })),
      );
      const certificates = new Map(accepted.map((r) => [r.creditCode, r.certificateNo]));
      const waiting = (await this.organizations.pendingAmong([...certificates.keys()])).filter((o) =>
        activeOnList({ certificateNo: certificates.get(o.creditCode)! }, o),
      );
      for (const org of waiting) {
        const changes = {
          status: 'active' as const,
          statusReason: null,
          certificateNo: certificates.get(org.creditCode)!,
          verifiedAt: now,
          verifiedBy: null,
          updatedAt: now,
        };
        if (await this.organizations.decideVerification(org.id, 'pending_verification', changes)) {
          this.uow.record(verificationEntry(org, 'enterprise.verified', { certificateNo: changes.certificateNo, by: 'qualified_list' }));
        }
      }
      this.uow.record({
        action: 'qualified_list.imported',
        entityType: 'qualified_list',
        entityId: regionCode,
        regionCode,
        summary: { rows: rows.length, imported: accepted.length, changed, rejected: rejected.length, verified: waiting.length },
      });
      return { imported: accepted.length, rejected };
    });
  }

  /**
   * Its admin changes the organization's profile: contact, address, the bank a payee is paid into, its controller and
   * related parties (declaring more; loosening a declared relation takes the bureau of its region, which changes
   * nothing else). Each change is audited with what it was and what it became (a bank account masked), so the
   * bureau sees who changed what; settlement batches already prepared keep the account they were prepared with.
   */
  updateProfile(actor: Actor, id: string, input: UpdateProfileInput): Promise<Organization> {
    const bureau = actor.role === 'bureau';
    if (!bureau && actor.organizationId !== id) throw notFound('organization');
    if (!bureau && !actor.admin) throw catalogued('FORBIDDEN', 'organizations.adminsOnly');
    // Only the fields the body names: a DTO instance holds the others as undefined (class fields), never a change.
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as {
      [F in keyof UpdateProfileInput]-?: UpdateProfileInput[F] | null;
    };
    const wanted = {
      ...given,
      ...(given.bankAccount ? { bankAccount: normalizeBankAccount(given.bankAccount) } : {}),
      ...('relatedCreditCodes' in given ? { relatedCreditCodes: [...new Set(given.relatedCreditCodes ?? [])] } : {}), // null clears
    } as ProfileChanges;
    if (Object.keys(wanted).length === 0) throw catalogued('VALIDATION_FAILED', 'organizations.nothingToChange');
    if (bureau && Object.keys(wanted).some((f) => !(RELATION_FIELDS as readonly string[]).includes(f))) {
      throw catalogued('FORBIDDEN', 'profile.bureauRelationsOnly');
    }
    return this.uow.run(async () => {
      const org = await this.organizations.lock(id);
      if (!org || (bureau && !bureauCovers(actor.regionCode, org.regionCode))) throw notFound('organization');
      const after = { ...org, ...wanted };
      if (after.bankAccount && !after.bankName) throw catalogued('VALIDATION_FAILED', 'organizations.bankNameRequired');
      if (wanted.controllerCreditCode === org.creditCode)
        throw catalogued('VALIDATION_FAILED', 'organizations.controllerOwn', { field: 'controllerCreditCode' });
      if (wanted.relatedCreditCodes?.includes(org.creditCode))
        throw catalogued('VALIDATION_FAILED', 'organizations.relatedOwn', { field: 'relatedCreditCodes' });
      const changes = Object.fromEntries(
        Object.entries(wanted).filter(
          ([field, value]) => JSON.stringify(value) !== JSON.stringify(org[field as keyof Organization] ?? null),
        ),
      ) as ProfileChanges;
      if (Object.keys(changes).length === 0) return org;
      const forBureau = bureau ? [] : relationsForBureau(org, changes);
      if (forBureau.length > 0)
        throw catalogued('FORBIDDEN', 'profile.relationsByBureau', { fields: forBureau.join(', '), region: org.regionCode });
      // An account goes on file once the bureau vetted the organization: else anyone registering could hold (squat) a
      // payee's account, which it then could not put on file, and try which accounts are on file (409), unvetted.
      if (changes.bankAccount && UNVETTED.includes(org.status))
        throw catalogued('INVALID_STATE', 'organizations.bankAccountUnvetted', { field: 'bankAccount', status: org.status });
      const now = clock.iso();
      // A change of an account on file waits for the bureau: a stolen session or an insider must not redirect the next
      // payment. The other fields given take effect; the bank and account wait, and settlement holds the payee meanwhile.
      const pending = bankChangeNeedsBureau(org, after) && ('bankAccount' in changes || 'bankName' in changes);
      const immediate = pending ? withoutBank(changes) : changes;
      if (changes.bankAccount || pending) {
        // Every organization's account counts, an enterprise's too: enterprises are payees of 通用 vouchers, and a lab
        // naming its client enterprise's account is the collusion this stops; an account waiting for a bureau counts too.
        // Which organization has it is not said.
        await this.organizations.lockAccountKeys();
        if (await this.organizations.accountTaken(id, after.bankAccount!)) throw accountInUse();
      }
      if (Object.keys(immediate).length > 0) {
        if ((await this.organizations.updateProfile(id, immediate, now)) === 'accountInUse') throw accountInUse();
        this.uow.record({
          action: 'organization.profile_updated',
          entityType: 'organization',
          entityId: id,
          regionCode: org.regionCode,
          organizationId: id,
          summary: { name: org.name, changes: profileChangeSummary(org, immediate) },
        });
      }
      if (!pending) return { ...org, ...changes, profileUpdatedAt: now, ...(changes.bankAccount === null ? NO_PENDING : {}) };
      const to = { bankName: after.bankName!, bankAccount: after.bankAccount! };
      const requested = await this.organizations.requestBankChange(id, to, personOf(actor), now);
      if (requested === 'accountInUse') throw accountInUse();
      if (requested === 'pending')
        throw catalogued('INVALID_STATE', 'organizations.bankChangePending', {
          field: 'bankAccount',
          account: maskBankAccount(org.pendingBankAccount) ?? '',
          at: org.pendingBankRequestedAt ?? '',
        });
      this.uow.record({
        action: 'organization.bank_account_change_requested',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: { name: org.name, from: bankShown(org), to: bankShown(to) },
      });
      return {
        ...org,
        ...immediate,
        profileUpdatedAt: now,
        pendingBankName: to.bankName,
        pendingBankAccount: to.bankAccount,
        pendingBankAccountKey: bankAccountKey(to.bankAccount),
        pendingBankRequestedAt: now,
        pendingBankRequestedBy: personOf(actor),
      };
    });
  }

  /**
   * The bureau of the organization's region (or its province) puts a pending change of bank account on file, or
   * rejects it with a reason; not the person who asked for it. Guarded on the pending account's key: a change decided
   * or withdrawn meanwhile is 409, as is none waiting. Audited; the organization's users are told (always mailed).
   */
  decideBankChange(actor: Actor, id: string, decision: { confirm: true } | { confirm: false; reason: string }): Promise<Organization> {
    return this.uow.run(async () => {
      const org = await this.organizations.lock(id);
      if (!org) throw notFound('organization');
      assertBureauOf(actor, org.regionCode, `organizations of ${org.regionCode}`);
      if (!org.pendingBankAccountKey) throw noneWaiting(org.name);
      if (!mayDecideBankChange(org.pendingBankRequestedBy, personOf(actor)))
        throw catalogued('DUAL_CONTROL_REQUIRED', 'organizations.bankChangeOwnRequest');
      const now = clock.iso();
      const key = org.pendingBankAccountKey;
      const to = { bankName: org.pendingBankName, bankAccount: org.pendingBankAccount };
      const base = {
        name: org.name,
        from: bankShown(org),
        to: bankShown(to),
        requestedAt: org.pendingBankRequestedAt,
        bureauRegionCode: actor.regionCode,
      };
      if (decision.confirm) {
        const done = await this.organizations.confirmBankChange(id, key, now);
        if (done === 'accountInUse') throw accountInUse();
        if (done === 'gone') throw noneWaiting(org.name);
      } else if (!(await this.organizations.rejectBankChange(id, key))) {
        throw noneWaiting(org.name);
      }
      this.uow.record({
        action: decision.confirm ? 'organization.bank_account_change_confirmed' : 'organization.bank_account_change_rejected',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: decision.confirm ? base : { ...base, reason: decision.reason },
      });
      const confirmed = decision.confirm ? { ...to, bankAccountKey: key, bankAccountFiledAt: now, profileUpdatedAt: now } : {};
      return { ...org, ...confirmed, ...NO_PENDING };
    });
  }

  /**
   * Public: one page of the providers in public notice, every one of them reachable (a notice the public cannot read is none),
   * and the latest `page.limit` admitted recently, with how many there are of each.
   */
  async publicNotices(page: { limit: number; offset: number }): Promise<PublicNotices> {
    const now = clock.iso();
    const [inNotice, admitted] = await Promise.all([
      this.organizations.providersInNotice(now, page),
      this.organizations.providersAdmittedRecently(now, clock.today(), page.limit),
    ]);
    return {
      inNotice: {
        items: inNotice.items.map((o) => ({ name: o.name, regionCode: o.regionCode, from: noticeStartedAt(o), at: o.noticeEndsAt! })),
        total: inNotice.total,
      },
      admitted: {
        items: admitted.items.map((o) => ({ name: o.name, regionCode: o.regionCode, at: admittedAt(o) })),
        total: admitted.total,
      },
    };
  }

  /** As load, under a shared lock (ApplicationChecks.check says why), its notice read at the unit's `now`. */
  async loadShared(id: string, now: string): Promise<Organization> {
    const org = await this.organizations.share(id);
    if (!org) throw notFound('organization');
    return withNoticeEnded(org, now);
  }

  /** An organization as of now, or 404. */
  async load(id: string): Promise<Organization> {
    const org = await this.organizations.get(id);
    if (!org) throw notFound('organization');
    return withNoticeEnded(org, clock.iso());
  }

  private decideVerification(
    actor: Actor,
    id: string,
    event: 'verify' | 'decline',
    fields: { certificateNo?: string; statusReason: string | null },
    correction?: string,
  ): Promise<Outcome<Organization>> {
    return this.uow.run(async () => {
      const org = await this.organizations.lock(id);
      if (!org || org.type !== 'enterprise') throw notFound('enterprise');
      assertBureauOf(actor, org.regionCode, `enterprises of ${org.regionCode}`);
      const to = organizationTransition(org.status, event);
      if (!to) {
        if (org.status === 'active' && event === 'verify' && correction !== undefined)
          return this.correctCertificate(org, fields.certificateNo!, correction);
        if (org.status === 'active' && event === 'verify') return refusedBy(catalogued('INVALID_STATE', 'enterprises.alreadyVerified'));
        const refusal =
          event === 'verify'
            ? catalogued('INVALID_STATE', 'enterprises.verifyNotPending', { status: org.status })
            : catalogued('INVALID_STATE', 'enterprises.declineNotPending', { status: org.status });
        return refusedBy(refusal);
      }
      const now = clock.iso();
      const changes = {
        status: to,
        statusReason: fields.statusReason,
        certificateNo: fields.certificateNo ?? org.certificateNo,
        verifiedAt: event === 'verify' ? now : null,
        verifiedBy: event === 'verify' ? actor.userId : null,
        updatedAt: now,
      };
      if (!(await this.organizations.decideVerification(id, org.status, changes)))
        return refusedBy(catalogued('INVALID_STATE', 'enterprises.changedMeanwhile'));
      this.uow.record(
        verificationEntry(
          org,
          event === 'verify' ? 'enterprise.verified' : 'enterprise.declined',
          event === 'verify' ? { certificateNo: fields.certificateNo } : { reason: fields.statusReason },
        ),
      );
      return ok({ ...org, ...changes });
    });
  }

  /** A verified enterprise's certificate number corrected by its bureau (the row locked); the same number changes nothing. */
  private async correctCertificate(org: Organization, certificateNo: string, reason: string): Promise<Outcome<Organization>> {
    if (org.certificateNo !== null && sameCertificate(org.certificateNo, certificateNo)) return ok(org);
    if (!(await this.organizations.correctCertificate(org.id, certificateNo)))
      return refusedBy(catalogued('INVALID_STATE', 'enterprises.changedMeanwhile'));
    this.uow.record(verificationEntry(org, 'enterprise.certificate_corrected', { from: org.certificateNo, to: certificateNo, reason }));
    return ok({ ...org, certificateNo });
  }

  /** The provider's row as stored, locked; the caller's bureau must cover its province. */
  private async lockProvider(actor: Actor, id: string): Promise<Organization> {
    const org = await this.organizations.lock(id);
    if (!org || org.type !== 'provider') throw notFound('provider');
    assertBureauOf(actor, org.provinceCode, `providers of province ${org.provinceCode}`);
    return org;
  }
}

export interface QualifiedRow {
  creditCode: string;
  certificateNo: string;
}

export interface QualifiedImport {
  imported: number;
  rejected: { line: number; reason: string }[];
}

/**
 * Whether the qualified list's row makes an enterprise active without its bureau: only when the enterprise named the
 * listed certificate number (a credit code is public; anyone could register a listed one with a name of their own)
 * and declared no controller (a controller's group shares its annual cap, which its bureau checks before it counts).
 */
export const activeOnList = (
  listed: { certificateNo: string },
  stated: { controllerCreditCode: string | null; certificateNo: string | null },
): boolean =>
  stated.controllerCreditCode === null && stated.certificateNo !== null && sameCertificate(stated.certificateNo, listed.certificateNo);

/** Certificate numbers compared as a person reads them: spaces around and letter case aside. */
const sameCertificate = (a: string, b: string) => a.trim().toUpperCase() === b.trim().toUpperCase();

/** The rows a bureau of `regionCode` may load, and the others with why (in `lng`), named by `lines` (by default from 1). */
export function checkQualifiedRows(
  rows: QualifiedRow[],
  regionCode: string,
  lines = rows.map((_, i) => i + 1),
  lng: Language = 'en',
): { accepted: QualifiedRow[]; rejected: QualifiedImport['rejected'] } {
  const accepted: QualifiedRow[] = [];
  const rejected: QualifiedImport['rejected'] = [];
  // A code listed twice with two numbers: the second would silently replace the first, which the enterprise may have named.
  const listed = new Map<string, { line: number; certificateNo: string }>();
  rows.forEach((row, i) => {
    const line = lines[i];
    const creditCode = String(row.creditCode ?? '').trim();
    const certificateNo = String(row.certificateNo ?? '').trim();
    const problem = creditCodeProblem(creditCode);
    if (problem) rejected.push({ line, reason: translate(lng, 'imports.creditCode', { problem }) });
    else if (!bureauCovers(regionCode, regionOfRegistration(registrationRegionOf(creditCode)).regionCode)) {
      rejected.push({ line, reason: translate(lng, 'imports.outsideRegion', { code: creditCode, region: regionCode }) });
    } else if (!certificateNo || certificateNo.length > 64) {
      rejected.push({ line, reason: translate(lng, 'imports.certificateNo') });
    } else if (!isOneLine(certificateNo)) {
      // a CSV cell reaches no request pipe: held here to what VerifyEnterpriseInput holds a certificate number to
      rejected.push({ line, reason: translate(lng, 'validation.oneLine', { field: 'certificateNo' }) });
    } else if (listed.has(creditCode) && !sameCertificate(listed.get(creditCode)!.certificateNo, certificateNo)) {
      const first = listed.get(creditCode)!;
      rejected.push({ line, reason: translate(lng, 'imports.duplicateCreditCode', { code: creditCode, ...first }) });
    } else {
      if (!listed.has(creditCode)) listed.set(creditCode, { line, certificateNo });
      accepted.push({ creditCode, certificateNo });
    }
  });
  return { accepted, rejected };
}

/** A provider active since its public notice ended. */
const noticeEndedEntry = (o: Organization) => ({
  action: 'provider.activated',
  entityType: 'organization',
  entityId: o.id,
  regionCode: o.regionCode,
  organizationId: o.id,
  summary: { noticeEndedAt: o.noticeEndsAt },
});

const verificationEntry = (org: Organization, action: string, summary: Record<string, unknown>) => ({
  action,
  entityType: 'organization',
  entityId: org.id,
  regionCode: org.regionCode,
  organizationId: org.id,
  summary: { name: org.name, creditCode: org.creditCode, ...summary },
});
