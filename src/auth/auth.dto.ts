import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmptyObject, IsOptional, IsString, Length, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { OneLine } from '../common/http/text';
import { IsMailbox, IsOmittable } from '../common/http/validators';
import { OrganizationInput, OrganizationView } from '../organizations/organization.dto';
import { REGION_CODES } from '../regions/regions.data';

export const USERNAME = /^[A-Za-z0-9._-]{3,64}$/;

/** Named rules rather than Matches with an English message, so each language's catalogue says what is allowed. */
const IsUsername = () =>
  ValidateBy({
    name: 'isUsername',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && USERNAME.test(value),
      defaultMessage: (a) => `${a?.property} must be 3–64 letters, digits, dots, underscores or hyphens`,
    },
  });
const IsOtp = () =>
  ValidateBy({
    name: 'isOtp',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && /^\d{6}$/.test(value),
      defaultMessage: (a) => `${a?.property} must be 6 digits`,
    },
  });

export class LoginInput {
  // one line: a failed login's audit entry keeps the username as given
  @ApiProperty({ example: 'bureau-ah' }) @IsString() @Length(1, 64) @OneLine() username: string;
  @ApiProperty({ example: 'demo-pass-2026' }) @IsString() @Length(1, 200) password: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '492039',
    description: 'the current two-factor code, for accounts that use two-factor (a login form may send null)',
  })
  @IsOptional()
  @IsOtp()
  otp?: string | null;
}

export class RefreshInput {
  @ApiProperty({ description: 'the refresh token of the last login or refresh; each works once' })
  @IsString()
  @Length(1, 200)
  refreshToken: string;
}

export class ChangePasswordInput {
  @ApiProperty() @IsString() @Length(1, 200) currentPassword: string;
  @ApiProperty({ minLength: 10, description: '≥ 10 characters, 3 of lower, upper, digit, symbol; not the username; not a common password' })
  @IsString()
  @Length(1, 200)
  newPassword: string;
}

export class OtpInput {
  @ApiProperty({ example: '492039' }) @IsOtp() otp: string;
}

export class RegisterInput {
  @ApiProperty({ example: 'hefei-micronano', description: '3–64 characters: letters, digits, . _ -' })
  @IsString()
  @IsUsername()
  username: string;
  @ApiProperty({ minLength: 10, maxLength: 200, description: '≥ 10 characters, 3 of lower, upper, digit, symbol; not the username' })
  @IsString()
  @Length(1, 200)
  password: string;
  @ApiProperty({ enum: ['enterprise', 'provider'] }) @IsIn(['enterprise', 'provider']) role: 'enterprise' | 'provider';
  @ApiProperty({ type: OrganizationInput })
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => OrganizationInput)
  organization: OrganizationInput;
}

export class CreateUserInput {
  @ApiProperty({ example: 'bureau-ah-reviewer' }) @IsString() @IsUsername() username: string;
  @ApiProperty({ minLength: 10, maxLength: 200 }) @IsString() @Length(1, 200) password: string;
  @ApiPropertyOptional({ default: false, description: 'may manage this organization’s or bureau’s users' })
  @IsOmittable()
  @IsBoolean()
  admin?: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'reviewer@kjt.ah.gov.cn' })
  @IsOptional()
  @IsMailbox()
  @Length(3, 200)
  email?: string | null;
  @ApiPropertyOptional({
    example: '340100',
    description:
      'a bureau admin only: the bureau the account serves, its own region (the default) or a city below its province (a province’s admin makes a city bureau’s staff); another region is 403',
  })
  @IsOmittable()
  @IsIn(REGION_CODES)
  regionCode?: string;
}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['enterprise', 'provider', 'bureau', 'platform'] }) role: string;
  @ApiPropertyOptional() organizationId?: string;
  @ApiPropertyOptional() regionCode?: string;
  @ApiProperty({ description: 'manages the users of its organization or bureau' }) admin: boolean;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional({
    description:
      'with an email: whether its holder confirmed it with the code mailed to it (POST /api/auth/email/verify); an unconfirmed address is mailed nothing else',
  })
  emailVerified?: boolean;
  @ApiProperty() mfaEnabled: boolean;
}

export class StaffUserView extends UserView {
  @ApiPropertyOptional({ description: 'set once the user is disabled' }) disabledAt?: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({
    description: 'a bureau or platform account an admin made waits for a second person to activate it; it cannot log in until then',
  })
  awaitsActivation: boolean;
  @ApiPropertyOptional({ description: 'activated, and waiting for its holder to set a password with the setup code' })
  awaitsSetup?: true;
}

export class AwaitingUserView extends StaffUserView {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'the username of the admin who made the account: the activator checks with them before activating; null for one the seed made',
  })
  madeBy: string | null;
  @ApiPropertyOptional({
    description:
      'the username of the admin who reset the account’s sign-in, when that is why it waits: the second person checks with them before issuing a new code',
  })
  signInResetBy?: string;
  @ApiPropertyOptional({
    description: 'activated and waiting for its holder: when the setup code handed over stops working (activate again for a new one)',
  })
  setupCodeExpiresAt?: string;
}

export class StaffUserList {
  @ApiProperty({ type: [StaffUserView] }) items: StaffUserView[];
  @ApiProperty() total: number;
}

export class AwaitingUserList {
  @ApiProperty({ type: [AwaitingUserView] }) items: AwaitingUserView[];
  @ApiProperty() total: number;
}

export class ActivatedUserView extends StaffUserView {
  @ApiProperty({
    description:
      'shown once, to the activator alone: hand it to the account’s holder, who sets a password of their own with POST /api/auth/setup; the password its maker chose no longer logs in',
  })
  setupCode: string;
  @ApiProperty() setupCodeExpiresAt: string;
}

export class SignInResetView extends StaffUserView {
  @ApiPropertyOptional({
    description:
      'shown once, to the resetting admin alone, for a user of an organization reset by its own admin: hand it to the user, who sets a new password with POST /api/auth/setup. Absent for a bureau or platform account, and for an organization’s user a platform admin reset: a second person issues its code (POST /api/users/:id/activate)',
  })
  setupCode?: string;
  @ApiPropertyOptional({ description: 'when the setup code stops working (72 hours); reset again for a new one' })
  setupCodeExpiresAt?: string;
  @ApiProperty({ description: 'the API keys the user made, revoked with the reset (whoever held the account may have made them)' })
  apiKeysRevoked: number;
  @ApiProperty({ description: 'the webhook subscriptions the user or its keys made, ended with the reset' })
  webhooksEnded: number;
}

export class SetupInput {
  @ApiProperty({ example: 'ah-reviewer-3' }) @IsString() @Length(1, 64) @OneLine() username: string;
  @ApiProperty({ description: 'the one-time code the account’s activator handed over' }) @IsString() @Length(1, 64) setupCode: string;
  @ApiProperty({ minLength: 10, description: '≥ 10 characters, 3 of lower, upper, digit, symbol; not the username; not a common password' })
  @IsString()
  @Length(1, 200)
  newPassword: string;
}

export class SessionTokens {
  @ApiProperty({ description: 'a short-lived bearer token naming the session' }) accessToken: string;
  @ApiProperty({ description: 'works once: exchange it at POST /api/auth/refresh for a new pair' }) refreshToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'seconds the access token is valid (at most 900)' }) expiresIn: number;
}

export class LoginView extends SessionTokens {
  @ApiProperty({ type: UserView }) user: UserView;
}

export class MeView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiPropertyOptional({ type: OrganizationView }) organization?: OrganizationView;
}

export class ChangeEmailInput {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'finance@micronano.example.cn',
    description: 'the new address (mailed a code to confirm it), or null for none',
  })
  @ValidateIf((o: { email?: unknown }) => o.email !== null)
  @IsMailbox()
  @Length(3, 200)
  email: string | null;
  @ApiProperty({ description: 'the caller’s password: the address is where the account’s security notices go' })
  @IsString()
  @Length(1, 200)
  currentPassword: string;
}

export class EmailCodeInput {
  @ApiProperty({ example: '40718263', description: 'the 8-digit code mailed to the address' }) @IsString() @Length(1, 32) code: string;
}

export class EmailCodeView {
  @ApiProperty() email: string;
  @ApiProperty({ description: 'the code just mailed works until then (24 hours); the one before it no longer does' }) codeExpiresAt: string;
}

export class MfaSetupView {
  @ApiProperty({ description: 'base32 secret for an authenticator app' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/…' }) otpauthUrl: string;
}

export class RegistrationView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ type: OrganizationView }) organization: OrganizationView;
}
