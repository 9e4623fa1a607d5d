import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { AccessTokenClaims } from '../common/auth/jwt.strategy';
import { clock } from '../common/clock';
import { Role } from '../common/context/request-context';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { DomainError } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { authConfig, AuthConfig } from '../config/configuration';
import { OrganizationView } from '../organizations/organization.dto';
import { OrganizationRepository } from '../organizations/organization.repository';
import { OrganizationsService } from '../organizations/organizations.service';
import { ok, Outcome, refused } from '../common/use-case';
import { LoginView, RegisterInput, RegistrationView, UserView } from './auth.dto';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

// One of OWASP's equivalent argon2id settings (7 MiB, 5 passes): as strong as 19 MiB × 2, and a burst of
// logins costs the server far less memory.
const HASH_OPTIONS = { type: argon2.argon2id as 2, raw: false as const, memoryCost: 7_168, timeCost: 5, parallelism: 1 };

export const userView = (u: User): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  ...(u.organizationId ? { organizationId: u.organizationId } : {}),
  ...(u.regionCode ? { regionCode: u.regionCode } : {}),
});

@Injectable()
export class AuthService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly jwt: JwtService,
    private readonly organizations: OrganizationsService,
    private readonly organizationRows: OrganizationRepository,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async login(username: string, password: string): Promise<LoginView> {
    const user = await this.users.byUsername(username);
    // Verify against a dummy hash for unknown users so timing does not reveal which usernames exist.
    const hash = user?.passwordHash ?? (await (this.dummyHash ??= argon2.hash('not-a-password', HASH_OPTIONS)));
    const ok = await argon2.verify(hash, password).catch(() => false);
    if (!user || !ok) throw new DomainError('UNAUTHENTICATED', 'unknown username or wrong password');
    const claims: AccessTokenClaims = {
      sub: user.id,
      username: user.username,
      role: user.role,
      org: user.organizationId,
      region: user.regionCode,
    };
    const accessToken = await this.jwt.signAsync(claims, { algorithm: 'HS256', expiresIn: this.config.jwtTtlSec });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwtTtlSec, user: userView(user) };
  }

  async register(input: RegisterInput): Promise<Outcome<RegistrationView>> {
    const passwordHash = await argon2.hash(input.password, HASH_OPTIONS);
    return this.uow.run(async () => {
      if (await this.users.byUsername(input.username)) return refused('DUPLICATE', `username ${input.username} is taken`);
      if (await this.organizationRows.byCreditCode(input.organization.creditCode)) {
        return refused('DUPLICATE', `an organization with credit code ${input.organization.creditCode} is already registered`);
      }
      const organization = await this.organizations.create(input.role, input.organization);
      const user = await this.createUser({
        username: input.username,
        passwordHash,
        role: input.role,
        organizationId: organization.id,
        regionCode: null,
      });
      return ok({ user: userView(user), organization: OrganizationView.of(organization) });
    });
  }

  /** Bureau and platform accounts come from the seed (or an operator); they have a region, not an organization. */
  async createStaffUser(username: string, password: string, role: Role, regionCode: string | null): Promise<User> {
    const passwordHash = await argon2.hash(password, HASH_OPTIONS);
    return this.uow.run(() => this.createUser({ username, passwordHash, role, organizationId: null, regionCode }));
  }

  private async createUser(fields: Omit<User, 'id' | 'createdAt'>): Promise<User> {
    if (await this.users.byUsername(fields.username)) throw new DomainError('DUPLICATE', `username ${fields.username} is taken`);
    const user: User = { id: newId(), createdAt: clock.iso(), ...fields };
    await this.users.insert(user);
    this.uow.record({
      action: 'user.created',
      entityType: 'user',
      entityId: user.id,
      regionCode: user.regionCode,
      organizationId: user.organizationId,
      summary: { username: user.username, role: user.role },
    });
    return user;
  }
}
