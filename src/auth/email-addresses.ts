import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { DAY_MS, securityClock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { sha256 } from '../common/hash';
import { zhDateTime } from '../common/i18n/messages';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { Notifier } from '../notifications/notifier';
import { EmailCodeView, UserView } from './auth.dto';
import { userView } from './user.view';
import { ThrottleRepository } from './throttle.repository';
import { admitSliding, afterFailure, LockPolicy, secondsUntil } from './throttle.rules';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

/** How long a code confirming an address works. */
export const EMAIL_CODE_VALID_MS = DAY_MS;
/** Codes one account may have mailed in 24 hours (an address set or changed, a code sent again). */
export const EMAIL_CODES_PER_DAY = 5;
/** Wrong codes: the fifth within a day voids the code in force and refuses the next for 15 minutes. */
export const EMAIL_CODE_FAILURES: LockPolicy = { failures: 5, windowSec: DAY_MS / 1000, lockSec: 15 * 60 };

/** Eight digits: typed from a phone's mail app, and with five guesses a code, never found by trying. */
const newCode = () => String(randomInt(0, 100_000_000)).padStart(8, '0');

/**
 * A user's e-mail address is mailed notices only once its holder confirmed it with the one-time code the service
 * mailed to it (stored as its SHA-256): anyone who registers, and any admin, can give an account any address, and
 * without the confirmation the service would write to whomever they named. A changed address is told to the old one,
 * when that was confirmed: whoever holds a stolen session cannot take the account's mail away unseen.
 */
@Injectable()
export class EmailAddresses {
  static readonly changeRefusals = ['UNAUTHENTICATED', 'RATE_LIMITED'] as const;
  static readonly verifyRefusals = ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'INVALID_STATE', 'RATE_LIMITED'] as const;
  static readonly resendRefusals = ['UNAUTHENTICATED', 'INVALID_STATE', 'RATE_LIMITED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly throttles: ThrottleRepository,
    private readonly notifier: Notifier,
  ) {}

  /**
   * A new code for the user's address, inside the caller's unit of work (the user made or its row locked): stored hashed,
   * the one before it void, and mailed to that address only (never shown in the app). Answers when it expires.
   */
  async issueCode(user: Pick<User, 'id'>, email: string, now: string): Promise<string> {
    const code = newCode();
    const expiresAt = new Date(Date.parse(now) + EMAIL_CODE_VALID_MS).toISOString();
    await this.users.setEmailCode(user.id, sha256(code), expiresAt);
    await this.notifier.toUser(
      user.id,
      'email_code',
      now,
      { code, validUntil: zhDateTime(expiresAt) },
      `${now}:${sha256(code).slice(0, 12)}`,
      email,
    );
    return expiresAt;
  }

  /**
   * Sets, changes or (null) removes the caller's own address. A new address is unverified and mailed a code (counted
   * toward the account's EMAIL_CODES_PER_DAY); the change is told in the app, and by mail to the old address when it was
   * confirmed. The same address again changes nothing.
   */
  change(actor: Actor, email: string | null): Promise<Outcome<UserView>> {
    return this.uow.run(async () => {
      const user = await this.ownLocked(actor);
      if ((user.email ?? null) === email) return ok(userView(user));
      const now = securityClock.iso();
      if (email !== null) {
        const refusal = await this.admitCode(user.id, now);
        if (refusal) return refusal;
      }
      await this.users.setEmail(user.id, email);
      if (email !== null) await this.issueCode(user, email, now);
      this.uow.record({
        action: 'user.email_changed',
        entityType: 'user',
        entityId: user.id,
        regionCode: user.regionCode,
        organizationId: user.organizationId,
        summary: { from: user.email, to: email, fromVerified: user.emailVerifiedAt !== null },
      });
      const none = '（未登记）';
      // to the old address when its holder had confirmed it; else in the app only (the new address is not confirmed)
      await this.notifier.toUser(
        user.id,
        'email_changed',
        now,
        { from: user.email ?? none, to: email ?? none },
        now,
        user.email && user.emailVerifiedAt ? user.email : undefined,
      );
      return ok(userView({ ...user, email, emailVerifiedAt: null }));
    });
  }

  /**
   * Confirms the caller's address with the code mailed to it. A wrong, spent or expired code is counted (the account's
   * throttle row, so every node agrees): the fifth within a day voids the code in force and refuses codes for 15
   * minutes (429), so that no code is found by trying.
   */
  verify(actor: Actor, code: string): Promise<Outcome<UserView>> {
    return this.uow.run(async () => {
      const user = await this.ownLocked(actor);
      if (!user.email) return refusedBy(catalogued('INVALID_STATE', 'auth.noEmail'));
      if (user.emailVerifiedAt) return ok(userView(user));
      const now = securityClock.iso();
      const row = await this.throttles.lockOrCreate(`email-code-failures:${user.id}`, now);
      const lockedFor = secondsUntil(row.lockedUntil, now);
      if (lockedFor > 0) return refusedBy(catalogued('RATE_LIMITED', 'auth.emailCodeLocked', {}, { retryAfterSec: lockedFor }));
      const hash = sha256(code);
      const usable = user.emailCodeHash === hash && !!user.emailCodeExpiresAt && user.emailCodeExpiresAt > now;
      if (!usable || !(await this.users.verifyEmail(user.id, hash, now))) {
        const next = afterFailure(row.recent ? (JSON.parse(row.recent) as string[]) : [], now, EMAIL_CODE_FAILURES);
        await this.throttles.save({ ...row, recent: JSON.stringify(next.recent), lockedUntil: next.lockedUntil, updatedAt: now });
        if (!next.lockedUntil) return refusedBy(catalogued('VALIDATION_FAILED', 'auth.emailCodeWrong', { field: 'code' }));
        await this.users.setEmailCode(user.id, null, null);
        return refusedBy(catalogued('RATE_LIMITED', 'auth.emailCodeLocked', {}, { retryAfterSec: EMAIL_CODE_FAILURES.lockSec }));
      }
      await this.throttles.save({ ...row, recent: null, lockedUntil: null, updatedAt: now });
      this.uow.record({
        action: 'user.email_verified',
        entityType: 'user',
        entityId: user.id,
        regionCode: user.regionCode,
        organizationId: user.organizationId,
        summary: { email: user.email },
      });
      return ok(userView({ ...user, emailVerifiedAt: now }));
    });
  }

  /** Mails a new code to the caller's unconfirmed address (the one before it void), within EMAIL_CODES_PER_DAY. */
  resend(actor: Actor): Promise<Outcome<EmailCodeView>> {
    return this.uow.run(async () => {
      const user = await this.ownLocked(actor);
      if (!user.email) return refusedBy(catalogued('INVALID_STATE', 'auth.noEmail'));
      if (user.emailVerifiedAt) return refusedBy(catalogued('INVALID_STATE', 'auth.emailVerified', { email: user.email }));
      const now = securityClock.iso();
      const refusal = await this.admitCode(user.id, now);
      if (refusal) return refusal;
      return ok({ email: user.email, codeExpiresAt: await this.issueCode(user, user.email, now) });
    });
  }

  /** One more code mailed for the account, or the refusal once it had EMAIL_CODES_PER_DAY in 24 hours (a sliding window). */
  private async admitCode(userId: string, now: string) {
    const row = await this.throttles.lockOrCreate(`email-codes:${userId}`, now);
    const admitted = admitSliding(row.recent ? (JSON.parse(row.recent) as string[]) : [], now, DAY_MS / 1000, EMAIL_CODES_PER_DAY);
    if (admitted.refusedForSec !== undefined) {
      return refusedBy(
        catalogued('RATE_LIMITED', 'auth.emailCodesLimited', { max: EMAIL_CODES_PER_DAY }, { retryAfterSec: admitted.refusedForSec }),
      );
    }
    await this.throttles.save({ ...row, recent: JSON.stringify(admitted.recent), updatedAt: now });
    return null;
  }

  /** The caller's own row, locked; its account gone or disabled meanwhile is 401. */
  private async ownLocked(actor: Actor): Promise<User> {
    const user = await this.users.lock(actor.userId);
    if (!user || user.disabledAt) throw catalogued('UNAUTHENTICATED', 'auth.sessionEnded');
    return user;
  }
}
