import { Inject, Injectable } from '@nestjs/common';
import { securityClock } from '../common/clock';
import { Actor, AuditDraft } from '../common/context/request-context';
import { catalogued, DomainError } from '../common/errors/domain-error';
import { sha256 } from '../common/hash';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { authConfig, AuthConfig } from '../config/configuration';
import { registrationRegionOf } from '../organizations/credit-code';
import { OrganizationView } from '../organizations/organization.dto';
import { PROVINCE_CODES, provinceOfRegion } from '../regions/regions.data';
import { Notifier } from '../notifications/notifier';
import { OrganizationRepository } from '../organizations/organization.repository';
import { OrganizationsService } from '../organizations/organizations.service';
import { LoginView, RegisterInput, RegistrationView, SessionTokens, UserView } from './auth.dto';
import { Credentials } from './credentials';
import { EmailAddresses } from './email-addresses';
import { Admission, LoginThrottle } from './login-throttle';
import { MadeByUser } from './made-by-user';
import { MfaSecrets } from './mfa-secrets';
import { MIN_PASSWORD_LENGTH, passwordProblem } from './password.rules';
import { Session } from './session.entity';
import { SessionRepository } from './session.repository';
import { AccessTokens, parseRefreshToken, RefreshTokens } from './tokens';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { setupCodeUsable } from './user.time-rules';
import { userView } from './user.view';

/** Where a request comes from, for throttling and the audit log. */
export interface Client {
  ip: string;
  userAgent: string | null;
}

/** Ended minutes of refused logins reported per sweep: a flood from many addresses is reported over several sweeps. */
const REFUSAL_MINUTES_PER_SWEEP = 200;

const plusSec = (iso: string, sec: number) => new Date(Date.parse(iso) + sec * 1000).toISOString();

/** A password the rule refuses: 400 WEAK_PASSWORD naming why. */
export function assertStrongPassword(password: string, username: string, field = 'password'): void {
  const problem = passwordProblem(password, username);
  if (problem) throw catalogued('WEAK_PASSWORD', `passwords.${problem}`, { field, min: MIN_PASSWORD_LENGTH });
}

/**
 * Identification and authentication (GB/T 22239 level 3): login with lockout and two-factor, sessions in the database
 * that can be ended (short access tokens naming their session, rotating refresh tokens with reuse detection),
 * password change, registration. Every login, failure, lockout and logout is an audit entry; refused attempts are
 * counted, and audited once a minute per address or username (see admit).
 */
@Injectable()
export class AuthService {
  static readonly loginRefusals = ['UNAUTHENTICATED', 'FORBIDDEN', 'MFA_REQUIRED', 'MFA_INVALID', 'LOGIN_LOCKED', 'RATE_LIMITED'] as const;
  static readonly refreshRefusals = ['UNAUTHENTICATED'] as const;
  static readonly passwordRefusals = ['UNAUTHENTICATED', 'WEAK_PASSWORD', 'LOGIN_LOCKED', 'RATE_LIMITED'] as const;
  static readonly emailRefusals = ['UNAUTHENTICATED', 'LOGIN_LOCKED', 'RATE_LIMITED'] as const;
  static readonly setupRefusals = ['UNAUTHENTICATED', 'WEAK_PASSWORD', 'LOGIN_LOCKED', 'RATE_LIMITED'] as const;
  static readonly registerRefusals = ['DUPLICATE', 'WEAK_PASSWORD', 'RATE_LIMITED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly credentials: Credentials,
    private readonly throttle: LoginThrottle,
    private readonly mfa: MfaSecrets,
    private readonly tokens: AccessTokens,
    private readonly refreshTokens: RefreshTokens,
    private readonly organizations: OrganizationsService,
    private readonly organizationRows: OrganizationRepository,
    private readonly notifier: Notifier,
    private readonly madeByUser: MadeByUser,
    private readonly emailAddresses: EmailAddresses,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    sweeps: Sweeps,
  ) {
    sweeps.register('login-refusals-reported', () => this.reportRefusalMinutes());
  }

  /**
   * The attempt is admitted first (see LoginThrottle.admit), then the password is checked outside any transaction
   * (argon2 takes tens of milliseconds); the outcome — a failure counted, a lock, or a new session — is then written in
   * one unit of work with its audit entry.
   */
  async login(username: string, password: string, otp: string | undefined, client: Client): Promise<Outcome<LoginView>> {
    const admitted = await this.admit(username, client);
    if (admitted.refusal) return refusedBy(admitted.refusal);
    return this.settledOnError(username, client, admitted.attempt, () =>
      this.attemptLogin(username, password, otp, client, admitted.attempt),
    );
  }

  private async attemptLogin(
    username: string,
    password: string,
    otp: string | undefined,
    client: Client,
    attempt: string,
  ): Promise<Outcome<LoginView>> {
    const user = await this.users.byUsername(username);
    const passwordOk = await this.credentials.verify(user?.passwordHash, password);
    if (!user || !passwordOk || user.disabledAt) {
      // said as a wrong password, not as the code's "sign in first"
      return this.failLogin(username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongCredentials'), user);
    }
    // Said only to whoever knows the password; not a failure toward the lockout.
    if (!user.activatedAt) return this.settleNeither(username, client, attempt, catalogued('FORBIDDEN', 'accountAwaitsActivation'), user);
    // The password its maker chose opens nothing: the holder sets one with the activator's setup code.
    if (user.setupCodeHash) return this.settleNeither(username, client, attempt, catalogued('FORBIDDEN', 'accountAwaitsSetup'), user);
    if (user.mfaEnabledAt) {
      if (!otp) {
        return this.settleNeither(username, client, attempt, catalogued('MFA_REQUIRED', 'auth.mfaRequired'), user);
      }
      const step = this.mfa.verify(this.mfa.decrypt(user.mfaSecret!), otp);
      if (step === null) return this.failLogin(username, client, attempt, catalogued('MFA_INVALID', 'auth.mfaInvalid'), user);
      // A code is accepted once: a replay (or a code older than the last one used) counts as a failure.
      const fresh = await this.uow.run(() => this.users.useMfaStep(user.id, step));
      if (!fresh) return this.failLogin(username, client, attempt, catalogued('MFA_INVALID', 'mfa.codeUsed'), user);
    }
    return this.uow.run(async () => {
      // The user as it stands, locked: a password change, two-factor enabled or a disabling that committed while the
      // password was hashed ended the sessions there were, and this one must not begin after them as if nothing changed.
      const current = (await this.users.lock(user.id))!;
      if (current.disabledAt || current.passwordHash !== user.passwordHash) {
        return this.failLogin(username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongCredentials'), user);
      }
      if (current.mfaEnabledAt && !user.mfaEnabledAt) {
        return this.settleNeither(username, client, attempt, catalogued('MFA_REQUIRED', 'auth.mfaRequired'), user);
      }
      const { refusal } = await this.throttle.settle(username, client.ip, attempt, 'succeeded');
      if (refusal) return refusedBy(refusal);
      const view = await this.openSession(user, client);
      this.record(user, 'auth.login', { username, clientIp: client.ip, userAgent: client.userAgent, outcome: 'succeeded' });
      return ok(view);
    });
  }

  /** A new access token and a new refresh token for the session; a refresh token used twice ends the whole session. */
  async refresh(token: string, client: Client): Promise<Outcome<SessionTokens>> {
    const parsed = parseRefreshToken(token);
    if (!parsed) return refusedBy(catalogued('UNAUTHENTICATED', 'auth.refreshInvalid'));
    // A token this service did not issue is refused before the database is asked: a forgery, by someone who knows the
    // session's id and nothing more, must neither end that session nor hold its row.
    const issued = this.refreshTokens.issued(parsed);
    if (!issued && parsed.generation !== null) return refusedBy(catalogued('UNAUTHENTICATED', 'auth.refreshForged'));
    return this.uow.run(async () => {
      const session = await this.sessions.lock(parsed.sessionId);
      if (!session || session.revokedAt) return refusedBy(catalogued('UNAUTHENTICATED', 'auth.sessionEnded'));
      const now = securityClock.iso();
      const user = (await this.users.get(session.userId))!;
      if (session.refreshHash !== parsed.hash) {
        // One of a token of the version before (a random secret) tells nothing: it may be spent or made up.
        if (!issued) return refusedBy(catalogued('UNAUTHENTICATED', 'auth.refreshForged'));
        // Reuse of a spent refresh token (OAuth 2.0 Security BCP): someone else may hold it, so the session ends.
        await this.sessions.revoke(session.id, now, 'refresh_reuse');
        this.record(user, 'auth.session_ended', { sessionId: session.id, reason: 'refresh_reuse', clientIp: client.ip });
        return refusedBy(catalogued('UNAUTHENTICATED', 'auth.refreshReused'));
      }
      const idleEnd = plusSec(session.refreshedAt, this.config.sessionIdleSec);
      if (now >= session.expiresAt || now >= idleEnd || user.disabledAt) {
        const reason = user.disabledAt ? 'user_disabled' : now >= session.expiresAt ? 'expired' : 'idle';
        await this.sessions.revoke(session.id, now, reason);
        this.record(user, 'auth.session_ended', { sessionId: session.id, reason, clientIp: client.ip });
        return refusedBy(catalogued('UNAUTHENTICATED', 'auth.sessionEnded'));
      }
      const next = this.refreshTokens.issue(session.id, (parsed.generation ?? 0) + 1);
      if (!(await this.sessions.rotate(session.id, parsed.hash, next.hash, now)))
        return refusedBy(catalogued('UNAUTHENTICATED', 'auth.sessionEnded'));
      return ok({ ...(await this.access(user, session.id)), refreshToken: next.token });
    });
  }

  /** Ends the caller's session: its tokens are refused from now on, on every node. */
  logout(actor: Actor): Promise<void> {
    return this.uow.run(async () => {
      if (await this.sessions.revoke(actor.sessionId, securityClock.iso(), 'logout')) {
        this.uow.record(audit(actor, 'auth.logout', { sessionId: actor.sessionId }));
      }
    });
  }

  /**
   * A new password (checked by the rule), after the current one; every other session of the user ends, and the API
   * keys and webhooks the user made (MadeByUser): the old password may be why it is changed.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, client: Client): Promise<Outcome<void>> {
    assertStrongPassword(newPassword, actor.username, 'newPassword');
    return this.withCurrentPassword(
      actor,
      currentPassword,
      client,
      () => this.credentials.hash(newPassword),
      (user, passwordHash) => this.changedPassword(actor, user, passwordHash),
    );
  }

  /**
   * Sets, changes or removes the caller's e-mail address (EmailAddresses.change) once the current password is given:
   * the address is where the account's security notices go, and a stolen access token alone must not redirect them.
   */
  changeEmail(actor: Actor, currentPassword: string, email: string | null, client: Client): Promise<Outcome<UserView>> {
    return this.withCurrentPassword(
      actor,
      currentPassword,
      client,
      async () => undefined,
      () => this.emailAddresses.change(actor, email),
    );
  }

  /**
   * Work that needs the caller's current password (a step-up beyond the session): admitted and counted toward the
   * username's lockout as a login is, the password checked and `prepare` run outside any transaction (argon2), then
   * `work` in the unit that settles the attempt.
   */
  private async withCurrentPassword<P, T>(
    actor: Actor,
    currentPassword: string,
    client: Client,
    prepare: () => Promise<P>,
    work: (user: User, prepared: P) => Promise<Outcome<T>>,
  ): Promise<Outcome<T>> {
    const user = (await this.users.get(actor.userId))!;
    const admitted = await this.admit(user.username, client);
    if (admitted.refusal) return refusedBy(admitted.refusal);
    const { attempt } = admitted;
    return this.settledOnError(user.username, client, attempt, async () => {
      if (!(await this.credentials.verify(user.passwordHash, currentPassword))) {
        return this.failLogin(user.username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongCurrentPassword'), user);
      }
      const prepared = await prepare();
      return this.uow.run(async () => {
        // The current password was checked against this hash before the unit began: of two changes at once, the one
        // that comes second finds another hash and is refused, rather than both told "changed" and the first lost.
        if ((await this.users.lock(user.id))?.passwordHash !== user.passwordHash) {
          return this.failLogin(user.username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongCurrentPassword'), user);
        }
        const { refusal } = await this.throttle.settle(user.username, client.ip, attempt, 'succeeded');
        if (refusal) return refusedBy(refusal);
        return work(user, prepared);
      });
    });
  }

  /** Inside withCurrentPassword's unit, the user's row locked. */
  private async changedPassword(actor: Actor, user: User, passwordHash: string): Promise<Outcome<void>> {
    const now = securityClock.iso();
    await this.users.setPassword(user.id, passwordHash, now);
    const ended = await this.sessions.revokeAllOf(user.id, now, 'password_changed', actor.sessionId);
    // Their keys' first approvals go with the keys, then those given in any session but this one: whoever held a
    // stolen session may have given them; only this one proved the password.
    const { ended: made, madeEnded } = await this.madeByUser.endOutside(user, actor.sessionId, 'auth.password_changed');
    this.uow.record(audit(actor, 'auth.password_changed', { otherSessionsEnded: ended, ...made }));
    await this.notifier.toUser(user.id, 'password_changed', now, { madeEnded });
    return ok(undefined);
  }

  /**
   * The holder of an activated bureau account sets its first password of their own with the one-time setup code the
   * activator handed them. A wrong or spent code counts toward the username's lockout like a wrong password, and so
   * does a right one that was used (or expired) while the new password was being hashed.
   */
  async setUp(username: string, setupCode: string, newPassword: string, client: Client): Promise<Outcome<void>> {
    assertStrongPassword(newPassword, username, 'newPassword');
    const admitted = await this.admit(username, client);
    if (admitted.refusal) return refusedBy(admitted.refusal);
    const { attempt } = admitted;
    return this.settledOnError(username, client, attempt, async () => {
      const user = await this.users.byUsername(username);
      if (!user || !setupCodeUsable.holds(user, securityClock.iso()) || sha256(setupCode) !== user.setupCodeHash) {
        return this.failLogin(username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongSetupCode'), user);
      }
      const passwordHash = await this.credentials.hash(newPassword);
      return this.completedSetup(user, passwordHash, client, attempt);
    });
  }

  /** Settled only once the setup is done or found spent: a success forgets the username's failures. */
  private completedSetup(user: User, passwordHash: string, client: Client, attempt: string): Promise<Outcome<void>> {
    const { username } = user;
    return this.uow.run(async () => {
      // The username's row is held from here, so no lock can start between this check and the settlement below.
      const locked = await this.throttle.lockedOut(username);
      if (locked) return this.settleNeither(username, client, attempt, locked, user);
      if (!(await this.users.completeSetup(user.id, user.setupCodeHash!, passwordHash, securityClock.iso()))) {
        return this.failLogin(username, client, attempt, catalogued('UNAUTHENTICATED', 'wrongSetupCode'), user);
      }
      await this.throttle.settle(username, client.ip, attempt, 'succeeded');
      this.record(user, 'auth.setup_completed', { username, clientIp: client.ip, userAgent: client.userAgent });
      // Whoever used the code set the password: an owner who did not is told (the code passed through an admin's hands).
      await this.notifier.toUser(user.id, 'password_changed', securityClock.iso());
      return ok(undefined);
    });
  }

  async me(actor: Actor): Promise<{ user: UserView; organization?: OrganizationView }> {
    const user = (await this.users.get(actor.userId))!;
    const organization = user.organizationId ? await this.organizations.load(user.organizationId) : undefined;
    return { user: userView(user), ...(organization ? { organization: OrganizationView.of(organization) } : {}) };
  }

  /** An enterprise or provider and its first user, who becomes its admin; limited per client address. */
  async register(input: RegisterInput, client: Client): Promise<Outcome<RegistrationView>> {
    const province = provinceOfRegion(registrationRegionOf(input.organization.creditCode));
    if (!PROVINCE_CODES.includes(province)) {
      throw catalogued('VALIDATION_FAILED', 'auth.outsideRegion', { province });
    }
    assertStrongPassword(input.password, input.username);
    const passwordHash = await this.credentials.hash(input.password);
    return this.uow.run(async () => {
      const limited = await this.throttle.registration(client.ip);
      if (limited) return refusedBy(limited);
      if (await this.users.usernameTaken(input.username))
        return refusedBy(catalogued('DUPLICATE', 'auth.usernameTaken', { username: input.username }));
      if (await this.organizationRows.byCreditCode(input.organization.creditCode)) {
        return refusedBy(catalogued('DUPLICATE', 'auth.creditCodeRegistered', { creditCode: input.organization.creditCode }));
      }
      const organization = await this.organizations.create(input.role, input.organization);
      const user = await this.createUser({
        username: input.username,
        passwordHash,
        role: input.role,
        organizationId: organization.id,
        regionCode: null,
        admin: true,
      });
      return ok({ user: userView(user), organization: OrganizationView.of(organization) });
    });
  }

  /** A user inside the caller's unit of work (registration, staff administration, the seed). */
  async createUser(
    fields: Pick<User, 'username' | 'passwordHash' | 'role' | 'organizationId' | 'regionCode' | 'admin'> & {
      email?: string | null;
      /** The admin making it, and whether it waits for a second person's activation. */
      createdBy?: string;
      awaitsActivation?: boolean;
    },
  ): Promise<User> {
    if (await this.users.usernameTaken(fields.username)) throw catalogued('DUPLICATE', 'auth.usernameTaken', { username: fields.username });
    const { awaitsActivation, createdBy, ...given } = fields;
    const createdAt = securityClock.iso();
    const user: User = {
      id: newId(),
      createdAt,
      email: null,
      emailVerifiedAt: null,
      emailCodeHash: null,
      emailCodeExpiresAt: null,
      disabledAt: null,
      mfaSecret: null,
      mfaEnabledAt: null,
      mfaLastStep: null,
      passwordChangedAt: null,
      createdBy: createdBy ?? null,
      activatedAt: awaitsActivation ? null : createdAt,
      setupCodeHash: null,
      setupCodeExpiresAt: null,
      signInResetBy: null,
      setupCodeIssuedBy: null,
      ...given,
    };
    await this.users.insert(user);
    this.uow.record({
      action: 'user.created',
      entityType: 'user',
      entityId: user.id,
      regionCode: user.regionCode,
      organizationId: user.organizationId,
      summary: { username: user.username, role: user.role, admin: user.admin, ...(awaitsActivation ? { awaitsActivation } : {}) },
    });
    // an address given with the account is mailed nothing else until its holder confirms it with this code
    if (user.email) await this.emailAddresses.issueCode(user, user.email, createdAt);
    return user;
  }

  private async openSession(user: User, client: Client): Promise<LoginView> {
    const now = securityClock.iso();
    const session: Session = {
      id: newId(),
      userId: user.id,
      refreshHash: '',
      createdAt: now,
      refreshedAt: now,
      expiresAt: plusSec(now, this.config.sessionMaxSec),
      revokedAt: null,
      revokedReason: null,
      clientIp: client.ip.slice(0, 64),
      userAgent: client.userAgent,
    };
    const refresh = this.refreshTokens.issue(session.id, 0);
    await this.sessions.insert({ ...session, refreshHash: refresh.hash });
    return { ...(await this.access(user, session.id)), refreshToken: refresh.token, user: userView(user) };
  }

  private async access(user: User, sessionId: string) {
    return { accessToken: await this.tokens.sign(user, sessionId), tokenType: 'Bearer' as const, expiresIn: this.tokens.ttlSec };
  }

  /** Counts a failed login (and audits it, and the lockout it may start) in a unit of work that commits with the refusal. */
  private failLogin(
    username: string,
    client: Client,
    attempt: string,
    error: DomainError,
    user: User | null | undefined,
  ): Promise<Outcome<never>> {
    return this.uow.run(async () => {
      const { lockedNow } = await this.throttle.settle(username, client.ip, attempt, 'failed');
      this.record(user ?? null, 'auth.login_failed', { username, clientIp: client.ip, userAgent: client.userAgent, reason: error.code });
      if (lockedNow) this.record(user ?? null, 'auth.locked', { username, clientIp: client.ip, lockSec: this.config.lock.lockSec });
      return refusedBy(error);
    });
  }

  /**
   * Runs an admitted attempt; one that ends in an error (a two-factor secret encrypted under another key, a database
   * lost) is settled as neither, rather than holding its place until it frees and locking out the right password.
   */
  private async settledOnError<T>(username: string, client: Client, attempt: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      await this.uow.run(() => this.throttle.settle(username, client.ip, attempt, 'neither')).catch(() => undefined);
      throw e;
    }
  }

  /** An attempt that was neither a success nor a failure (two-factor asked for, the account waiting): it only leaves. */
  /**
   * The right password that does not let its user in (the code missing, an account still to activate or set up):
   * neither toward the lockout nor the limit, but audited, so that a stolen password confirmed this way is seen.
   */
  private settleNeither(username: string, client: Client, attempt: string, error: DomainError, user: User): Promise<Outcome<never>> {
    return this.uow.run(async () => {
      await this.throttle.settle(username, client.ip, attempt, 'neither');
      this.record(user, 'auth.login_incomplete', { username, clientIp: client.ip, userAgent: client.userAgent, reason: error.code });
      return refusedBy(error);
    });
  }

  /**
   * Reports the minutes of refused logins that ended with refusals no entry counted (see admit): one entry each, with
   * the count, in the unit that marks it reported, so that of several nodes one reports it. Returns how many.
   */
  async reportRefusalMinutes(): Promise<number> {
    let reported = 0;
    for (const minute of await this.throttle.endedRefusalMinutes(REFUSAL_MINUTES_PER_SWEEP)) {
      await this.uow.run(async () => {
        if (!(await this.throttle.refusalsReported(minute))) return;
        // the row's key holds the username folded to lower case; byUsername finds it whatever its case
        const user = minute.subject === 'username' ? await this.users.byUsername(minute.who) : undefined;
        this.record(user ?? null, 'auth.login_refusals_counted', {
          subject: minute.subject,
          ...(minute.subject === 'username' ? { username: minute.who } : { clientIp: minute.who }),
          window: minute.since,
          refusals: minute.refusals,
        });
        reported++;
      });
    }
    return reported;
  }

  /**
   * Admits an attempt or refuses it (see LoginThrottle.admit). A refusal is audited in the same unit as its count, and
   * only when it is the first of its address's or username's minute: a flood of refused attempts costs the audit chain
   * an entry a minute, with the count of the minute before, not an entry each.
   */
  private admit(username: string, client: Client): Promise<Admission> {
    return this.uow.run(async () => {
      const admitted = await this.throttle.admit(username, client.ip);
      if (admitted.audit) {
        const user = await this.users.byUsername(username);
        this.record(user ?? null, 'auth.login_refused', {
          username,
          clientIp: client.ip,
          reason: admitted.refusal.code,
          ...admitted.audit,
        });
      }
      return admitted;
    });
  }

  private record(user: User | null, action: string, summary: Record<string, unknown>): void {
    this.uow.record({
      action,
      entityType: 'user',
      entityId: user?.id ?? '-',
      regionCode: user?.regionCode ?? null,
      organizationId: user?.organizationId ?? null,
      summary,
    });
  }
}

const audit = (actor: Actor, action: string, summary: Record<string, unknown>): AuditDraft => ({
  action,
  entityType: 'user',
  entityId: actor.userId,
  regionCode: actor.regionCode,
  organizationId: actor.organizationId,
  summary,
});
