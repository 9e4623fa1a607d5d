import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { JwtStrategy } from '../common/auth/jwt.strategy';
import { authConfig, AuthConfig } from '../config/configuration';
import { NotificationsModule } from '../notifications/notifications.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { Credentials } from './credentials';
import { EmailAddresses } from './email-addresses';
import { FirstAdmins } from './first-admins';
import { LoginThrottle } from './login-throttle';
import { MfaSecrets } from './mfa-secrets';
import { MadeByUser } from './made-by-user';
import { MfaService } from './mfa.service';
import { AccessTokens, RefreshTokens } from './tokens';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** Accounts and sessions: login with lockout and two-factor, refresh, logout, passwords, staff users. */
@Module({
  imports: [
    PassportModule,
    OrganizationsModule,
    NotificationsModule,
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (c: AuthConfig) => ({ secret: c.jwtSecret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [AuthController, UsersController],
  providers: [
    AuthService,
    UsersService,
    MfaService,
    MadeByUser,
    EmailAddresses,
    FirstAdmins,
    Credentials,
    LoginThrottle,
    MfaSecrets,
    AccessTokens,
    RefreshTokens,
    JwtStrategy,
  ],
  exports: [AuthService, Credentials, FirstAdmins],
})
export class AuthModule {}
