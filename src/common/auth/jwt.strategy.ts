import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { authConfig, AuthConfig } from '../../config/configuration';
import { Actor, Role } from '../context/request-context';

export interface AccessTokenClaims {
  sub: string;
  username: string;
  role: Role;
  org: string | null;
  region: string | null;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, built once: given a string, jsonwebtoken tries (and fails, with a thrown error) to parse it as a
      // PEM public key on every request — 14% of the CPU of a hold in the benchmark. The typings predate KeyObject.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as Buffer,
      algorithms: ['HS256'], // alg=none and any other algorithm are refused
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessTokenClaims): Actor {
    return { userId: claims.sub, username: claims.username, role: claims.role, organizationId: claims.org, regionCode: claims.region };
  }
}
