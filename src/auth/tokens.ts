import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** A refresh token as presented: its session, the rotation it was issued at (none in a token of the version before), its secret. */
export interface PresentedRefreshToken {
  sessionId: string;
  generation: number | null;
  secret: string;
  hash: string;
}

export function parseRefreshToken(token: string): PresentedRefreshToken | null {
  const match = /^yrdr_([0-9a-f-]{36})\.(?:(\d{1,9})\.)?([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  return { sessionId: match[1], generation: match[2] === undefined ? null : Number(match[2]), secret: match[3], hash: sha256(match[3]) };
}

/**
 * Refresh tokens name their session and the rotation they were issued at, and carry a secret; only the current
 * secret's hash is stored. The secret of rotation n is the HMAC of the session id and n under a key of the service's
 * own, so a presented token is known at once, without the database, to be one this service issued or a forgery: one it
 * issued that is not the current one is spent, and presenting it is reuse (OAuth 2.0 Security BCP), which ends the
 * session however many rotations ago it was spent; a forgery by someone who knows no more than the session id (it is in
 * access tokens and audit entries) is refused and must not end the session it names. The key derives from JWT_SECRET,
 * which can sign any session's access tokens already. Hand-written: it is one HMAC from node:crypto.
 */
@Injectable()
export class RefreshTokens {
  private readonly key: Buffer;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.key = createHmac('sha256', config.jwtSecret).update('refresh-tokens').digest();
  }

  /** The token of a session's rotation `generation` (0 at login). */
  issue(sessionId: string, generation: number) {
    const secret = this.secretOf(sessionId, generation);
    return { token: `${REFRESH_PREFIX}${sessionId}.${generation}.${secret}`, hash: sha256(secret), generation };
  }

  /** Whether this service issued the token (at some rotation of its session); a token of the version before cannot say. */
  issued(t: PresentedRefreshToken): boolean {
    if (t.generation === null) return false;
    const expected = Buffer.from(this.secretOf(t.sessionId, t.generation));
    const given = Buffer.from(t.secret);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private secretOf(sessionId: string, generation: number): string {
    return createHmac('sha256', this.key).update(`${sessionId}.${generation}`).digest('base64url');
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

  /**
   * Whether `token` is one this service signed and that has not expired: the signature and `exp` only, no session
   * read. Enough to let a caller's body be read up to the bulk limit (body-parser.ts); the guard checks the session.
   */
  verifies(token: string): boolean {
    try {
      const claims = this.jwt.verify<{ exp?: unknown }>(token, { algorithms: ['HS256'] });
      return typeof claims.exp === 'number';
    } catch {
      return false;
    }
  }
}
