import { Inject, Injectable } from '@nestjs/common';
import { DAY_MS, securityClock } from '../common/clock';
import { catalogued, DomainError } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { authConfig, AuthConfig } from '../config/configuration';
import { ThrottleRepository } from './throttle.repository';
import { newId } from '../common/ids';
import { Throttle } from './throttle.entity';
import { admitAttempt, afterHit, afterRefusal, parseAttempts, secondsUntil, settleAttempt, windowUse, withoutHit } from './throttle.rules';

/** What the first refused login of a subject's minute writes to the audit log, besides who and from where. */
export interface RefusalAudit {
  /** Whose limit refused it: the client address's, or the username's lock. */
  subject: 'address' | 'username';
  /** When the subject's minute of refusals began. */
  window: string;
  /**
   * The subject's minute of refusals before this one and how many it had (only its first was audited); absent when the
   * sweep has reported that minute already (auth.login_refusals_counted), or it had none.
   */
  previousWindow?: { since: string; refusals: number };
}

/** An admitted attempt, to settle; or the refusal, with what to audit when it is the first of its minute. */
export type Admission =
  { attempt: string; refusal?: never; audit?: never } | { refusal: DomainError; audit: RefusalAudit | null; attempt?: never };

/** A subject's minute of refusals that ended with refusals its first entry could not count, to report on its own. */
export interface EndedRefusals {
  subject: RefusalAudit['subject'];
  /** The username (folded to lower case) or the client address. */
  who: string;
  since: string;
  refusals: number;
  row: Throttle;
}

/** How far apart the nodes' clocks may be, for a minute of refusals to have ended on all of them. */
const CLOCK_MARGIN_MS = 5_000;

const USER_PREFIX = 'login-user:';
const ADDRESS_PREFIX = 'login-ip:';
/**
 * A throttle row's key, cut to its VARCHAR(120) (throttle.entity.ts) in code points, as MariaDB counts it: lower-casing
 * may make one character two (64 İ were 128), and behind a proxy that keeps the client's X-Forwarded-For the address
 * is whatever the client wrote; either was a key too long, a 500 on MariaDB. What is cut is nobody's (usernames are
 * short ASCII, addresses shorter than 111) and shares its count only with keys alike up to the cut.
 */
const throttleKey = (prefix: string, subject: string) => [...`${prefix}${subject}`].slice(0, 120).join('');
const userKey = (username: string) => throttleKey(USER_PREFIX, username.toLowerCase());
const addressKey = (ip: string) => throttleKey(ADDRESS_PREFIX, ip);
const registrationKey = (ip: string) => throttleKey('register-ip:', ip);

/**
 * A username's refusal: locked after its failures, or too many attempts at once. One wording for both, so that no
 * answer of a burst says more than another.
 */
const tooManyLogins = (retryAfterSec: number) =>
  catalogued('LOGIN_LOCKED', 'auth.loginLocked', { minutes: Math.ceil(retryAfterSec / 60) }, { retryAfterSec });

const lockRefusal = (lockedUntil: string | null, now: string): DomainError | null => {
  const lockedFor = secondsUntil(lockedUntil, now);
  return lockedFor > 0 ? tooManyLogins(lockedFor) : null;
};

/**
 * Login-failure handling (GB/T 22239 登录失败处理), counted in the database so every node agrees: a username locks
 * after LOGIN_LOCK_FAILURES failures within LOGIN_LOCK_WINDOW_SEC, for LOGIN_LOCK_SEC, even for the right password; a
 * client address is refused after LOGIN_FAILURES_PER_IP_PER_MIN failures and unanswered attempts a minute; registrations are limited per
 * address and hour.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly throttles: ThrottleRepository,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    sweeps: Sweeps,
  ) {
    sweeps.register('throttle-purge', () =>
      this.uow.run(() => this.throttles.purge(new Date(securityClock.now().getTime() - DAY_MS).toISOString())),
    );
  }

  /**
   * Admits a login attempt (a password, a current password or a setup code to check) before anything is checked, or
   * refuses it: the address used up its minute, the username is locked, or its failures and unanswered attempts reach
   * the limit. Admitted, it counts until settled, so a burst gets no more checks than the lockout allows. Refused, it
   * counts on the row of the subject that refused it (address or username); `audit` is set for the first refusal of
   * the subject's minute only, decided under the row's lock so that nodes agree. Own unit, unless the caller's.
   */
  async admit(username: string, ip: string): Promise<Admission> {
    return (await this.refusedByAddress(ip)) ?? this.admitChecked(username, ip);
  }

  /**
   * The refusal of an address that used up its minute, with its row alone: no row is made for the username it tries,
   * so a limited address cycling through new usernames cannot grow the table. Null when the address may try (read
   * without a lock first: most logins pass here at the cost of one read); admitChecked then decides under the locks.
   */
  private refusedByAddress(ip: string): Promise<Admission | null> {
    return this.uow.run(async () => {
      const now = securityClock.iso();
      const seen = await this.throttles.get(addressKey(ip));
      if (!seen || windowUse(seen, now, 60).hits < this.config.loginFailuresPerIpPerMin) return null;
      const address = await this.throttles.lockOrCreate(addressKey(ip), now);
      const byAddress = windowUse(address, now, 60);
      if (byAddress.hits < this.config.loginFailuresPerIpPerMin) return null;
      const limited = catalogued('RATE_LIMITED', 'auth.addressLoginsLimited', {}, { retryAfterSec: byAddress.resetsInSec });
      return this.refused(address, 'address', limited, now);
    });
  }

  private admitChecked(username: string, ip: string): Promise<Admission> {
    return this.uow.run(async () => {
      const now = securityClock.iso();
      // The username's row before the address's, in every unit, so concurrent attempts queue instead of deadlocking.
      const user = await this.throttles.lockOrCreate(userKey(username), now);
      const address = await this.throttles.lockOrCreate(addressKey(ip), now);
      const byAddress = windowUse(address, now, 60);
      if (byAddress.hits >= this.config.loginFailuresPerIpPerMin) {
        const limited = catalogued('RATE_LIMITED', 'auth.addressLoginsLimited', {}, { retryAfterSec: byAddress.resetsInSec });
        return this.refused(address, 'address', limited, now);
      }
      const locked = lockRefusal(user.lockedUntil, now);
      if (locked) return this.refused(user, 'username', locked, now);
      const attempt = newId();
      const next = admitAttempt(parseAttempts(user.recent), attempt, now, this.config.lock);
      if (next.refusedForSec !== undefined) return this.refused(user, 'username', tooManyLogins(next.refusedForSec), now);
      await this.throttles.save({ ...user, recent: JSON.stringify(next.admitted), updatedAt: now });
      await this.throttles.save({ ...address, ...afterHit(address, now, 60), updatedAt: now });
      return { attempt };
    });
  }

  private async refused(row: Throttle, subject: RefusalAudit['subject'], refusal: DomainError, now: string): Promise<Admission> {
    const counted = afterRefusal(row, now, 60);
    await this.throttles.save({ ...row, ...counted.count, updatedAt: now });
    if (!counted.first) return { refusal, audit: null };
    return {
      refusal,
      audit: { subject, window: counted.count.refusedSince, ...(counted.previous ? { previousWindow: counted.previous } : {}) },
    };
  }

  /**
   * Minutes of refused logins that have ended with more refusals than their first, which alone was audited; the next
   * minute's first entry would count them, but an attack that stops has no next minute.
   */
  async endedRefusalMinutes(limit: number): Promise<EndedRefusals[]> {
    // ended by this node's clock and a margin more, so that a node whose clock is behind has closed the minute too
    const endedBy = new Date(securityClock.now().getTime() - 60_000 - CLOCK_MARGIN_MS).toISOString();
    const rows = await this.uow.run(() => this.throttles.endedRefusalMinutes(endedBy, limit));
    return rows.flatMap((row): EndedRefusals[] => {
      const subject = row.throttleKey.startsWith(USER_PREFIX) ? 'username' : row.throttleKey.startsWith(ADDRESS_PREFIX) ? 'address' : null;
      if (!subject) return [];
      const who = row.throttleKey.slice((subject === 'username' ? USER_PREFIX : ADDRESS_PREFIX).length);
      return [{ subject, who, since: row.refusedSince!, refusals: row.refusals, row }];
    });
  }

  /** Marks an ended minute reported in the caller's unit; false when another node or a newer refusal reported it. */
  refusalsReported(minute: EndedRefusals): Promise<boolean> {
    return this.throttles.refusalsReported(minute.row);
  }

  /**
   * Locks the username's row for the rest of the caller's unit (first, as every unit takes it) and answers the lock it
   * is under, if any: for work that must not be done under a lock, and that settles only once its outcome is known.
   */
  async lockedOut(username: string): Promise<DomainError | null> {
    const now = securityClock.iso();
    return lockRefusal((await this.throttles.lockOrCreate(userKey(username), now)).lockedUntil, now);
  }

  /**
   * Settles an admitted attempt in the caller's unit of work. A failure counts toward the lock (true when it started
   * it); anything else takes the address's hit back from the minute it was counted in (a later minute's hits are
   * others'), and a success forgets the username's failures. A success answers the lock that others' failures started
   * meanwhile, if any, as the refusal it must then give.
   */
  async settle(
    username: string,
    ip: string,
    attempt: string,
    outcome: 'failed' | 'succeeded' | 'neither',
  ): Promise<{ lockedNow: boolean; refusal: DomainError | null }> {
    const now = securityClock.iso();
    const user = await this.throttles.lockOrCreate(userKey(username), now);
    const refusal = outcome === 'succeeded' ? lockRefusal(user.lockedUntil, now) : null;
    const next = settleAttempt(parseAttempts(user.recent), attempt, refusal ? 'neither' : outcome, now, this.config.lock);
    await this.throttles.save({
      ...user,
      recent: JSON.stringify(next.attempts),
      lockedUntil: next.lockedUntil ?? user.lockedUntil,
      updatedAt: now,
    });
    if (outcome !== 'failed') {
      const address = await this.throttles.lockOrCreate(addressKey(ip), now);
      await this.throttles.save({ ...address, ...withoutHit(address, next.admittedAt, now, 60), updatedAt: now });
    }
    return { lockedNow: next.lockedUntil !== null, refusal };
  }

  /** Counts a registration from `ip` in the caller's unit of work; the refusal when the address used up its hour. */
  async registration(ip: string): Promise<DomainError | null> {
    const now = securityClock.iso();
    const row = await this.throttles.lockOrCreate(registrationKey(ip), now);
    const use = windowUse(row, now, 3600);
    if (use.hits >= this.config.registrationsPerIpPerHour) {
      return catalogued('RATE_LIMITED', 'auth.registrationsLimited', {}, { retryAfterSec: use.resetsInSec });
    }
    await this.throttles.save({ ...row, ...afterHit(row, now, 3600), updatedAt: now });
    return null;
  }
}
