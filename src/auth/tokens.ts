import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac, randomBytes } from 'node:crypto';
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

/** How many rotations back a presented refresh token is still recognised as this session's own, spent (reuse). */
const REUSE_LOOKBACK = 1_000;

export function parseRefreshToken(token: string): { sessionId: string; secret: string; hash: string } | null {
  const match = /^yrdr_([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { sessionId: match[1], secret: match[2], hash: sha256(match[2]) } : null;
}

/**
 * Refresh tokens name their session and carry a secret; only the current secret's hash is stored. A session's first
 * secret is random, each next one the HMAC of the one before under a key of the service's own, so that a presented
 * secret whose successors lead to the stored hash is one this session issued and spent: reuse (OAuth 2.0 Security BCP),
 * which ends the session. Any other secret is forged by someone who knows no more than the session id (it is in access
 * tokens and audit entries), and must not end the session it names. Hand-written because it is the one construction
 * that tells the two apart without storing every spent hash; it is an HMAC from node:crypto, nothing more.
 */
@Injectable()
export class RefreshTokens {
  private readonly chainKey: Buffer;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.chainKey = createHmac('sha256', config.jwtSecret).update('refresh-token-chain').digest();
  }

  first(sessionId: string) {
    return this.issue(sessionId, randomBytes(32).toString('base64url'));
  }

  next(sessionId: string, secret: string) {
    return this.issue(sessionId, this.successor(secret));
  }

  /** Whether `secret` came before the current secret (`currentHash`) of its session, within REUSE_LOOKBACK rotations. */
  spentBefore(secret: string, currentHash: string): boolean {
    let s = secret;
    for (let i = 0; i < REUSE_LOOKBACK; i++) {
      s = this.successor(s);
      if (sha256(s) === currentHash) return true;
    }
    return false;
  }

  private successor(secret: string): string {
    return createHmac('sha256', this.chainKey).update(secret).digest('base64url');
  }

  private issue(sessionId: string, secret: string) {
    return { token: `${REFRESH_PREFIX}${sessionId}.${secret}`, hash: sha256(secret) };
  }
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
