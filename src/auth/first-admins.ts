import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { securityClock } from '../common/clock';
import { catalogued } from '../common/errors/domain-error';
import { sha256 } from '../common/hash';
import { isMailbox } from '../common/http/validators';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { PROVINCE_CODES, regionName } from '../regions/regions.data';
import { AuthService } from './auth.service';
import { Credentials } from './credentials';
import { USERNAME } from './auth.dto';
import { UserRepository } from './user.repository';
import { setupCodeExpiry } from './user.time-rules';

/** A group's first admins: the second is the first's second person. */
export const FIRST_ADMINS_PER_GROUP = 2;

export interface FirstAdmin {
  id: string;
  username: string;
  role: 'platform' | 'bureau';
  regionCode: string | null;
  setupCode: string;
  setupCodeExpiresAt: string;
}

/**
 * Staff accounts only the API can make need an admin of their group, and the second of a group's admins another admin
 * to activate it; with NODE_ENV=production no demo user exists, so a deployment from zero has neither. An operator with
 * the server's configuration (`npm run first-admin`) makes the platform's and each province's first two admins: each
 * sets its own password with the one-time setup code printed once, as an activated account's holder does. A group gets
 * one while fewer than two of its admins count (UserRepository.firstAdminsCounted): those who sign in, and the first
 * admins made here whose setup code is still usable, so that runs before anyone set a password make no third. One whose
 * sign-in was reset does not count: of two platform admins, one whose sign-in the other reset waits for a third to
 * issue its code. Runs for one group take turns on its row (first_admin_group), so that runs at once make no third.
 */
@Injectable()
export class FirstAdmins {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly credentials: Credentials,
  ) {}

  /** `group`: `platform`, or a province's code for its bureau (a city's accounts are its province's to make). */
  async make(username: string, group: string, email: string | null = null): Promise<FirstAdmin> {
    const role = group === 'platform' ? 'platform' : 'bureau';
    const regionCode = role === 'bureau' ? group : null;
    if (regionCode && !PROVINCE_CODES.includes(regionCode)) {
      throw new Error(`the group must be platform or a province (${PROVINCE_CODES.join(', ')}), not ${group}`);
    }
    // held to what POST /api/users holds them to
    if (!USERNAME.test(username)) throw new Error('the username must be 3–64 letters, digits, dots, underscores or hyphens');
    if (email !== null && !isMailbox(email)) throw new Error('the email must be an e-mail address (name@example.cn)');
    const passwordHash = await this.credentials.unusable();
    return this.uow.run(async () => {
      // First, before any read: two runs for one group take turns here, and the second counts the first's admin.
      if (!(await this.users.takeFirstAdminTurn(group))) throw new Error(`no group ${group}: are the migrations run?`);
      if (await this.users.usernameTaken(username)) throw catalogued('DUPLICATE', 'auth.usernameTaken', { username });
      const now = securityClock.iso();
      const admins = await this.users.firstAdminsCounted(role, regionCode, now);
      if (admins >= FIRST_ADMINS_PER_GROUP) {
        const of = regionCode ? `the bureau of ${regionCode} (${regionName(regionCode)})` : 'the platform';
        throw new Error(
          `${of} has ${admins} admins who sign in already or will with the setup code this command printed: they make and activate its accounts (POST /api/users)`,
        );
      }
      const user = await this.auth.createUser({ username, passwordHash, role, organizationId: null, regionCode, admin: true, email });
      const setupCode = randomBytes(15).toString('base64url');
      const setupCodeExpiresAt = setupCodeExpiry(now); // as long as an activator's
      await this.users.issueFirstSetupCode(user.id, sha256(setupCode), setupCodeExpiresAt);
      this.uow.record({
        action: 'user.first_admin_made',
        entityType: 'user',
        entityId: user.id,
        regionCode,
        organizationId: null,
        summary: { username, role, regionCode, adminsBefore: admins, setupCodeExpiresAt },
      });
      return { id: user.id, username, role, regionCode, setupCode, setupCodeExpiresAt };
    });
  }
}
