import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash';
import { clock, securityClock } from '../common/clock';
import type { Page } from '../common/http/paging';
import { Actor, Role } from '../common/context/request-context';
import { assertBureauOf, bureauCovers } from '../common/auth/scope';
import { catalogued, notFound } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { Notifier } from '../notifications/notifier';
import { WebhookRepository } from '../webhooks/webhook.repository';
import { webhookDeleted } from '../webhooks/webhook.rules';
import { ActivatedUserView, AwaitingUserView, CreateUserInput, SignInResetView, StaffUserView } from './auth.dto';
import { assertStrongPassword, AuthService } from './auth.service';
import { userView } from './user.view';
import { Credentials } from './credentials';
import { FirstApprovals, withdrawnTogether } from '../api-keys/first-approvals';
import { MadeByUser, resetApprovalsText } from './made-by-user';
import { SessionRepository } from './session.repository';
import { User } from './user.entity';
import { UserGroup, UserRepository } from './user.repository';
import { setupCodeExpiry } from './user.time-rules';

const staffView = (u: User): StaffUserView => ({
  ...userView(u),
  ...(u.disabledAt ? { disabledAt: u.disabledAt } : {}),
  createdAt: u.createdAt,
  awaitsActivation: !u.activatedAt,
  ...(u.activatedAt && u.setupCodeHash ? { awaitsSetup: true as const } : {}),
});

/** The group an admin manages: its organization's users, its bureau region's, or the platform's. */
function groupOf(actor: Actor): UserGroup {
  if (!actor.admin) throw catalogued('FORBIDDEN', 'users.adminsOnly');
  if (actor.organizationId) return { organizationId: actor.organizationId };
  if (actor.role === 'bureau') return { role: 'bureau', regionCode: actor.regionCode! };
  return { role: 'platform' };
}

/** A bureau's group is its region's staff and, for a province, its cities' bureaus' (it acts on them as on their matters). */
const inGroup = (user: User, group: UserGroup) =>
  'organizationId' in group
    ? user.organizationId === group.organizationId
    : user.role === group.role &&
      (group.role === 'platform' || bureauCovers((group as { regionCode: string }).regionCode, user.regionCode));

/**
 * Bureau staff approve and pay in pairs, and platform admins are the bureaus' second persons: an account of either is
 * made, and its sign-in reset, by one admin and put in its holder's hands by another (activation's setup code), so that
 * no admin alone makes, or takes over, a second pair of eyes.
 */
const needsSecondPerson = (role: Role) => role === 'bureau' || role === 'platform';

/**
 * Whose reset waits for a second person's code: a bureau or platform account's, and an organization's user reset by the
 * platform (its admin alone would hold the code to an enterprise or a lab, and so its bank account and its claims).
 */
const resetNeedsSecondPerson = (actor: Actor, user: User) =>
  needsSecondPerson(user.role) || (actor.role === 'platform' && user.organizationId !== null);

/** Staff accounts: an organization's or bureau's admin lists, creates and disables its users. */
@Injectable()
export class UsersService {
  static readonly createRefusals = ['FORBIDDEN', 'DUPLICATE', 'WEAK_PASSWORD'] as const;
  static readonly disableRefusals = ['FORBIDDEN', 'NOT_FOUND', 'INVALID_STATE'] as const;
  static readonly activateRefusals = ['FORBIDDEN', 'NOT_FOUND', 'INVALID_STATE'] as const;
  static readonly resetRefusals = ['FORBIDDEN', 'NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly credentials: Credentials,
    private readonly auth: AuthService,
    private readonly webhooks: WebhookRepository,
    private readonly notifier: Notifier,
    private readonly madeByUser: MadeByUser,
    private readonly firstApprovals: FirstApprovals,
  ) {}

  async list(actor: Actor, page: { limit: number; offset: number }): Promise<Page<StaffUserView>> {
    const users = await this.users.inGroup(groupOf(actor), page);
    return { items: users.items.map(staffView), total: users.total };
  }

  /**
   * A user with the admin's own role, organization and region; a bureau's admin may name a region it covers instead, so
   * a province's admin makes a city bureau's staff (in Anhui the cities issue) and the city's admin its own thereafter.
   */
  async create(actor: Actor, input: CreateUserInput): Promise<Outcome<StaffUserView>> {
    groupOf(actor);
    if (input.regionCode !== undefined) {
      if (actor.role !== 'bureau') throw catalogued('VALIDATION_FAILED', 'users.regionForBureaus', { field: 'regionCode' });
      assertBureauOf(actor, input.regionCode, 'its staff');
    }
    assertStrongPassword(input.password, input.username);
    const passwordHash = await this.credentials.hash(input.password);
    return this.uow.run(async () => {
      if (await this.users.usernameTaken(input.username))
        return refusedBy(catalogued('DUPLICATE', 'auth.usernameTaken', { username: input.username }));
      const user = await this.auth.createUser({
        username: input.username,
        passwordHash,
        role: actor.role,
        organizationId: actor.organizationId,
        regionCode: input.regionCode ?? actor.regionCode,
        admin: input.admin ?? false,
        email: input.email ?? null,
        createdBy: actor.userId,
        awaitsActivation: needsSecondPerson(actor.role),
      });
      return ok(staffView(user));
    });
  }

  /**
   * The bureau accounts waiting for the caller as their second person (to activate them, or to renew a setup code their
   * holder has not used): a platform admin sees every region's, a bureau admin those of its own region another admin made.
   */
  async awaitingActivation(actor: Actor, page: { limit: number; offset: number }): Promise<Page<AwaitingUserView>> {
    if (!actor.admin || (actor.role !== 'platform' && actor.role !== 'bureau')) throw catalogued('FORBIDDEN', 'users.activators');
    const waiting = await this.users.awaitingSecondPerson({
      regionCode: actor.role === 'bureau' ? actor.regionCode : null,
      notMadeBy: actor.userId,
      ...page,
    });
    const admins = new Map<string, string>();
    for (const id of new Set(waiting.items.flatMap((u) => [u.createdBy, u.signInResetBy]))) {
      if (id) admins.set(id, (await this.users.get(id))?.username ?? id);
    }
    return {
      items: waiting.items.map((u) => ({
        ...staffView(u),
        madeBy: u.createdBy ? admins.get(u.createdBy)! : null,
        ...(u.signInResetBy && u.setupCodeHash ? { signInResetBy: admins.get(u.signInResetBy)! } : {}),
        ...(u.activatedAt && u.setupCodeExpiresAt ? { setupCodeExpiresAt: u.setupCodeExpiresAt } : {}),
      })),
      total: waiting.total,
    };
  }

  /**
   * A second person activates a bureau account an admin made: a platform admin, or another admin of the same bureau,
   * never its maker. Audited.
   */
  activate(actor: Actor, id: string): Promise<Outcome<ActivatedUserView>> {
    if (!actor.admin || (actor.role !== 'platform' && actor.role !== 'bureau')) {
      throw catalogued('FORBIDDEN', 'users.activators');
    }
    return this.uow.run(async () => {
      // The activating admin's row and session too: one reset or disabled meanwhile issues no code.
      const user = await this.lockWithActor(actor, id);
      // Another admin of the bureau, or of the province above it (who made the city's first accounts), never the maker.
      const sameBureau = actor.role === 'bureau' && user?.role === 'bureau' && bureauCovers(actor.regionCode, user.regionCode);
      // An organization's user, once a platform admin reset it: another platform admin issues its code.
      const resetByPlatform =
        actor.role === 'platform' && !!user?.signInResetBy && (await this.users.get(user.signInResetBy))?.role === 'platform';
      if (!user || !(needsSecondPerson(user.role) || resetByPlatform) || (actor.role === 'bureau' && !sameBureau)) throw notFound('user');
      if (user.activatedAt && !user.setupCodeHash)
        return refusedBy(catalogued('INVALID_STATE', 'users.alreadyActive', { activatedAt: user.activatedAt }));
      if (user.disabledAt) return refusedBy(catalogued('INVALID_STATE', 'users.disabled', { disabledAt: user.disabledAt }));
      if (user.createdBy === actor.userId) throw catalogued('FORBIDDEN', 'users.creatorActivates');
      if (user.signInResetBy === actor.userId) throw catalogued('FORBIDDEN', 'users.resetterActivates');
      const now = securityClock.iso();
      const setupCode = randomBytes(15).toString('base64url');
      const setupCodeHash = sha256(setupCode);
      const setupCodeExpiresAt = setupCodeExpiry(now);
      if (!(await this.users.activate(id, actor.userId, now, setupCodeHash, setupCodeExpiresAt))) {
        return refusedBy(catalogued('INVALID_STATE', 'users.activatedMeanwhile'));
      }
      this.uow.record({
        action: user.activatedAt ? 'user.setup_code_renewed' : 'user.activated',
        entityType: 'user',
        entityId: id,
        regionCode: user.regionCode,
        organizationId: user.organizationId,
        summary: { username: user.username, createdBy: user.createdBy, setupCodeExpiresAt },
      });
      return ok({ ...staffView({ ...user, activatedAt: user.activatedAt ?? now, setupCodeHash }), setupCode, setupCodeExpiresAt });
    });
  }

  /**
   * Disabling ends the user's sessions at once, and withdraws their first approvals still waiting for a second; admins do
   * not disable themselves (an organization keeps an admin).
   */
  disable(actor: Actor, id: string): Promise<Outcome<StaffUserView>> {
    const group = groupOf(actor);
    return this.uow.run(async () => {
      if (id === actor.userId) return refusedBy(catalogued('INVALID_STATE', 'users.selfDisable'));
      const user = await this.lockWithActor(actor, id);
      if (!user || !inGroup(user, group)) throw notFound('user');
      const now = securityClock.iso();
      if (!(await this.users.disable(id, now))) {
        return refusedBy(
          user.disabledAt
            ? catalogued('INVALID_STATE', 'users.disabled', { disabledAt: user.disabledAt })
            : catalogued('INVALID_STATE', 'users.disabledMeanwhile'),
        );
      }
      const ended = await this.sessions.revokeAllOf(id, now, 'user_disabled');
      const setupCodesVoided = await this.users.voidCodesIssuedBy(id);
      // Their webhooks, and their keys', stop with them (the keys are refused while they are disabled).
      const webhooksEnded = await this.webhooks.endMadeBy(id, clock.iso());
      // Nor does a first approval of theirs still wait to be completed by one other person alone.
      const withdrawn = await this.firstApprovals.withdraw(user, 'user.disabled');
      this.uow.record({
        action: 'user.disabled',
        entityType: 'user',
        entityId: id,
        regionCode: user.regionCode,
        organizationId: user.organizationId,
        summary: { username: user.username, sessionsEnded: ended, webhooksEnded: webhooksEnded.length, setupCodesVoided, ...withdrawn },
      });
      for (const s of webhooksEnded) this.uow.record(webhookDeleted(s, 'user.disabled'));
      return ok(staffView({ ...user, disabledAt: now }));
    });
  }

  /**
   * Resets a user's sign-in: a forgotten password, a lost phone, or an account someone else used (two-factor enrolled
   * with a stolen password ends the owner's sessions). Two-factor is turned off, the password replaced by one that
   * matches nothing, every session ends with the calendar feeds made before, and the API keys and webhooks the user made
   * end (whoever held the account may have made them), as do their first approvals still waiting for a second; it logs in again once its holder sets a password with a one-time
   * setup code. An organization's admin is handed the code; a bureau or platform account's is issued by a second person
   * (POST /api/users/:id/activate), or one admin could take over a colleague and approve in pairs alone. A platform admin
   * may reset anyone (an enterprise whose only admin is locked out has no one else), and another platform admin issues
   * the code: one alone could take over an enterprise or a lab. The user is told, in the app and by mail.
   */
  async resetSignIn(actor: Actor, id: string): Promise<Outcome<SignInResetView>> {
    const group = groupOf(actor);
    const passwordHash = await this.credentials.unusable(); // before the unit: argon2 takes tens of milliseconds
    return this.uow.run(async () => {
      if (id === actor.userId) return refusedBy(catalogued('INVALID_STATE', 'users.selfReset'));
      const user = await this.lockWithActor(actor, id);
      if (!user || (actor.role !== 'platform' && !inGroup(user, group))) throw notFound('user');
      if (user.disabledAt) return refusedBy(catalogued('INVALID_STATE', 'users.disabled', { disabledAt: user.disabledAt }));
      if (!user.activatedAt) return refusedBy(catalogued('INVALID_STATE', 'users.notActivated'));
      const now = securityClock.iso();
      const secondPerson = resetNeedsSecondPerson(actor, user);
      const setupCode = randomBytes(15).toString('base64url');
      const setupCodeHash = sha256(setupCode);
      // A second person's account gets no usable code here (no expiry): the activation issues the one handed over.
      const setupCodeExpiresAt = secondPerson ? null : setupCodeExpiry(now);
      await this.users.resetSignIn(id, { by: actor.userId, at: now, passwordHash, setupCodeHash, setupCodeExpiresAt });
      const sessionsEnded = await this.sessions.revokeAllOf(id, now, 'sign_in_reset');
      const setupCodesVoided = await this.users.voidCodesIssuedBy(id);
      // Their keys' first approvals go with the keys, then the rest of theirs (keys before records, as approvals lock them).
      const { firstApprovalsWithdrawn, ...made } = await this.madeByUser.end(id, 'user.sign_in_reset');
      const withAccount = await this.firstApprovals.withdraw(user, 'user.sign_in_reset');
      const withdrawn = withdrawnTogether({ firstApprovalsWithdrawn }, withAccount);
      this.uow.record({
        action: 'user.sign_in_reset',
        entityType: 'user',
        entityId: id,
        regionCode: user.regionCode,
        organizationId: user.organizationId,
        summary: {
          username: user.username,
          sessionsEnded,
          ...made,
          ...withdrawn,
          setupCodesVoided,
          twoFactorWasOn: user.mfaEnabledAt !== null,
          secondPerson,
        },
      });
      // A platform admin who reset a lab's or an enterprise's user is named as the platform: its username, told to anyone
      // who registers, would let them lock it out with five wrong passwords whenever they liked.
      await this.notifier.toUser(id, 'sign_in_reset', now, {
        admin: actor.role === 'platform' && user.role !== 'platform' ? '平台管理员' : `管理员 ${actor.username} `,
        setupFrom: secondPerson ? '另一位管理员签发' : '管理员交给您',
        withdrawn: resetApprovalsText({ firstApprovalsWithdrawn }, withAccount),
      });
      const view = {
        ...staffView({ ...user, mfaEnabledAt: null, setupCodeHash, signInResetBy: actor.userId }),
        ...made,
      };
      return ok(setupCodeExpiresAt ? { ...view, setupCode, setupCodeExpiresAt } : view);
    });
  }

  /**
   * The target's row locked with the acting admin's, in one order: of two admins disabling (or resetting) each other at
   * once, the second finds itself disabled, or its sessions ended, and is refused, so a group keeps an admin.
   */
  private async lockWithActor(actor: Actor, id: string): Promise<User | null> {
    const [first, second] = [id, actor.userId].sort();
    const locked = [await this.users.lock(first), await this.users.lock(second)];
    const [user, self] = first === id ? locked : [locked[1], locked[0]];
    if (!self || self.disabledAt || !(await this.sessions.live(actor.sessionId))) throw catalogued('UNAUTHENTICATED', 'auth.sessionEnded');
    return user;
  }
}
