import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { SessionRepository } from '../../auth/session.repository';
import type { AccessTokenClaims } from '../../auth/tokens';
import { authConfig, AuthConfig } from '../../config/configuration';
import { securityClock } from '../clock';
import { Actor } from '../context/request-context';

/**
 * Verifies an access token (HS256, with `exp` and a session id) and then its session, in one indexed lookup: a
 * session ended by logout, password change or reuse detection, or a disabled user, is refused at once on every node.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(authConfig.KEY) config: AuthConfig,
    private readonly sessions: SessionRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, built once: given a string, jsonwebtoken tries (and fails, with a thrown error) to parse it as a
      // PEM public key on every request — 14% of the CPU of a hold in the benchmark. The typings predate KeyObject.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as Buffer,
      algorithms: ['HS256'], // alg=none and any other algorithm are refused
      ignoreExpiration: false,
    });
  }

  async validate(claims: AccessTokenClaims & { exp?: number }): Promise<Actor | false> {
    // jsonwebtoken accepts a token without exp: such a token would never expire, so it is refused here.
    if (typeof claims.exp !== 'number' || typeof claims.sid !== 'string') return false;
    const s = await this.sessions.state(claims.sid);
    if (!s || s.userId !== claims.sub || s.revokedAt || s.disabledAt || s.expiresAt <= securityClock.iso()) return false;
    return {
      userId: s.userId,
      username: s.username,
      role: s.role,
      organizationId: s.organizationId,
      regionCode: s.regionCode,
      sessionId: claims.sid,
      admin: s.admin,
      mfaEnabled: s.mfaEnabledAt !== null,
    };
  }
}
