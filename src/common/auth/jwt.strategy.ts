import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Inject } from '@nestjs/common';
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
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'], // alg=none and any other algorithm are refused
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessTokenClaims): Actor {
    return { userId: claims.sub, username: claims.username, role: claims.role, organizationId: claims.org, regionCode: claims.region };
  }
}
