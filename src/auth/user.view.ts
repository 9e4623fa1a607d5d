import { UserView } from './auth.dto';
import { User } from './user.entity';

/** A user as answered: its address with whether its holder confirmed it. */
export const userView = (
  u: Pick<User, 'id' | 'username' | 'role' | 'organizationId' | 'regionCode' | 'admin' | 'email' | 'emailVerifiedAt' | 'mfaEnabledAt'>,
): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  ...(u.organizationId ? { organizationId: u.organizationId } : {}),
  ...(u.regionCode ? { regionCode: u.regionCode } : {}),
  admin: u.admin,
  ...(u.email ? { email: u.email, emailVerified: u.emailVerifiedAt !== null } : {}),
  mfaEnabled: u.mfaEnabledAt !== null,
});
