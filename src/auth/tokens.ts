import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash';
import { authConfig, AuthConfig } from '../config/configuration';
import type { User } from './user.entity';

/** What an access token says: its user and the session it belongs to (checked on every request). */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  username: string;
  role: User['role'];
  org: string | null;
  region: string | null;
}

const REFRESH_PREFIX = 'yrdr_';

/** A refresh token names its session and carries a secret; only the secret's hash is stored. */
export const refreshToken = (sessionId: string) => {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${REFRESH_PREFIX}${sessionId}.${secret}`, hash: sha256(secret) };
};

export function parseRefreshToken(token: string): { sessionId: string; hash: string } | null {
  const match = /^yrdr_([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { sessionId: match[1], hash: sha256(match[2]) } : null;
}

/** Short-lived signed access tokens (HS256, ≤ 15 min, always with `exp`). */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  get ttlSec(): number {
    return this.config.jwtTtlSec;
  }

  sign(user: User, sessionId: string): Promise<string> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: sessionId,
      username: user.username,
      role: user.role,
      org: user.organizationId,
      region: user.regionCode,
    };
    return this.jwt.signAsync(claims, { algorithm: 'HS256', expiresIn: this.config.jwtTtlSec });
  }
}
