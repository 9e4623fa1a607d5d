import { Inject, Injectable } from '@nestjs/common';
import { DAY_MS, securityClock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { authConfig, AuthConfig } from '../config/configuration';
import { ThrottleRepository } from './throttle.repository';
import { afterFailure, afterHit, secondsUntil, windowUse } from './throttle.rules';

const userKey = (username: string) => `login-user:${username.toLowerCase()}`;
const addressKey = (ip: string) => `login-ip:${ip}`;
const registrationKey = (ip: string) => `register-ip:${ip}`;

/**
 * Login-failure handling (GB/T 22239 登录失败处理), counted in the database so every node agrees: a username locks
 * after LOGIN_LOCK_FAILURES failures within LOGIN_LOCK_WINDOW_SEC, for LOGIN_LOCK_SEC, even for the right password; a
 * client address is refused after LOGIN_FAILURES_PER_IP_PER_MIN failures a minute; registrations are limited per
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

  /** The refusal a login from `ip` for `username` gets before its password is even checked, if any. */
  async refusal(username: string, ip: string): Promise<DomainError | null> {
    const now = securityClock.iso();
    const address = await this.throttles.get(addressKey(ip));
    const byAddress = address ? windowUse(address, now, 60) : { hits: 0, resetsInSec: 0 };
    if (byAddress.hits >= this.config.loginFailuresPerIpPerMin) {
      return new DomainError('RATE_LIMITED', 'too many failed logins from this address; wait a minute', {
        retryAfterSec: byAddress.resetsInSec,
      });
    }
    const lockedFor = secondsUntil((await this.throttles.get(userKey(username)))?.lockedUntil ?? null, now);
    if (lockedFor > 0) {
      return new DomainError(
        'LOGIN_LOCKED',
        `too many failed logins: this account is locked for ${Math.ceil(lockedFor / 60)} more minutes`,
        {
          retryAfterSec: lockedFor,
        },
      );
    }
    return null;
  }

  /** Counts a failed login in the caller's unit of work; true when it locked the username. */
  async failed(username: string, ip: string): Promise<boolean> {
    const now = securityClock.iso();
    // The username's row before the address's, in every unit, so concurrent failures queue instead of deadlocking.
    const user = await this.throttles.lockOrCreate(userKey(username), now);
    const next = afterFailure(JSON.parse(user.recent ?? '[]') as string[], now, this.config.lock);
    await this.throttles.save({
      ...user,
      recent: JSON.stringify(next.recent),
      lockedUntil: next.lockedUntil ?? user.lockedUntil,
      updatedAt: now,
    });
    const address = await this.throttles.lockOrCreate(addressKey(ip), now);
    await this.throttles.save({ ...address, ...afterHit(address, now, 60), updatedAt: now });
    return next.lockedUntil !== null;
  }

  /** A successful login forgets the username's earlier failures. */
  async succeeded(username: string): Promise<void> {
    const now = securityClock.iso();
    const user = await this.throttles.lockOrCreate(userKey(username), now);
    if (user.recent !== null) await this.throttles.save({ ...user, recent: null, updatedAt: now });
  }

  /** Counts a registration from `ip` in the caller's unit of work; the refusal when the address used up its hour. */
  async registration(ip: string): Promise<DomainError | null> {
    const now = securityClock.iso();
    const row = await this.throttles.lockOrCreate(registrationKey(ip), now);
    const use = windowUse(row, now, 3600);
    if (use.hits >= this.config.registrationsPerIpPerHour) {
      return new DomainError('RATE_LIMITED', 'too many registrations from this address; try again later', {
        retryAfterSec: use.resetsInSec,
      });
    }
    await this.throttles.save({ ...row, ...afterHit(row, now, 3600), updatedAt: now });
    return null;
  }
}
