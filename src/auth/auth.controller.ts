import { Body, Controller, Get, Header, HttpCode, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AllowsMfaEnrolment, Authenticated, ClientInfo, CurrentActor, PersonalAccount, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IgnoresIdempotencyKey } from '../common/idempotency/idempotency.interceptor';
import { unwrap } from '../common/use-case';
import {
  ChangeEmailInput,
  ChangePasswordInput,
  EmailCodeInput,
  EmailCodeView,
  LoginInput,
  LoginView,
  MeView,
  MfaSetupView,
  OtpInput,
  RefreshInput,
  RegisterInput,
  RegistrationView,
  SessionTokens,
  SetupInput,
  UserView,
} from './auth.dto';
import { AuthService, Client } from './auth.service';
import { EmailAddresses } from './email-addresses';
import { MfaService } from './mfa.service';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('auth')
@PersonalAccount()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly emailAddresses: EmailAddresses,
  ) {}

  @Post('login')
  @Explained({
    summary: 'Log in: a short access token and a refresh token of a new session',
    who: 'Anyone with a username and password (and a TOTP `otp` once two-factor is enabled).',
    changes:
      'Opens a session; counts a failure toward the username’s lockout and the address’s limit; every login, failure and lockout is audited, and so is a right password that does not let its user in (the code missing, an account still to activate or set up: auth.login_incomplete). Refused attempts (429) are counted, and audited once a minute per address or username (auth.login_refused, with the count of the minute before); a minute of more than one refusal is reported with its count once it ends, by a sweep (auth.login_refusals_counted), unless the next minute’s first entry counted it already.',
    money: NO_MONEY,
    details: 'The access token lasts at most 15 minutes; refresh it with POST /api/auth/refresh.',
  })
  // Answers holding tokens are never kept by a browser or a proxy, as every signed-in answer (also refresh and register).
  @Header('Cache-Control', 'no-store')
  @Public()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOkResponse({ type: LoginView })
  @Refuses(AuthService.loginRefusals)
  async login(@Body() body: LoginInput, @ClientInfo() client: Client): Promise<LoginView> {
    return unwrap(await this.auth.login(body.username, body.password, body.otp ?? undefined, client));
  }

  @Post('refresh')
  @Explained({
    summary: 'Exchange a refresh token for a new token pair',
    who: 'Anyone holding the session’s current refresh token.',
    changes:
      'Rotates the session’s refresh token; presenting a spent one, however many rotations ago, ends the whole session (OAuth 2.0 Security BCP). A token this service did not issue (a made-up secret for a known session id) is 401 and the session goes on.',
    money: NO_MONEY,
  })
  @ApiBodyExample(RefreshInput, { refreshToken: '<the refreshToken of the last login or refresh>' })
  @Header('Cache-Control', 'no-store')
  @Public()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOkResponse({ type: SessionTokens })
  @Refuses(AuthService.refreshRefusals)
  async refresh(@Body() body: RefreshInput, @ClientInfo() client: Client): Promise<SessionTokens> {
    return unwrap(await this.auth.refresh(body.refreshToken, client));
  }

  @Post('logout')
  @Explained({
    summary: 'End the caller’s session',
    who: 'Any signed-in user (also one still to enrol two-factor).',
    changes: 'Ends the session: its access and refresh tokens are refused from now on, on every node; audited.',
    money: NO_MONEY,
  })
  @Authenticated()
  @AllowsMfaEnrolment()
  @HttpCode(204)
  @ApiNoContentResponse()
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(actor);
  }

  @Post('setup')
  @Explained({
    summary:
      'Set a password with a one-time setup code: an activated bureau account’s first, or any account’s after an admin reset its sign-in',
    who: 'The account’s holder, with the one-time code its activator (or the admin who reset its sign-in) handed over (no session: the account could not log in yet).',
    changes:
      'Stores the holder’s password (≥ 10 characters, 3 of 4 classes, not the username, not a common password) and spends the code; the account logs in from now on. A wrong, spent or expired code counts toward the username’s lockout like a wrong password; audited.',
    money: NO_MONEY,
  })
  @ApiBodyExample(SetupInput, { username: 'ah-reviewer-3', setupCode: 'Qm9vay1wYXNzLTI3', newPassword: 'Jade-Orchid-47-Lotus' })
  @Public()
  @IgnoresIdempotencyKey()
  @HttpCode(204)
  @ApiNoContentResponse()
  @Refuses(AuthService.setupRefusals)
  async setup(@Body() body: SetupInput, @ClientInfo() client: Client): Promise<void> {
    unwrap(await this.auth.setUp(body.username, body.setupCode, body.newPassword, client));
  }

  @Post('password')
  @Explained({
    summary: 'Change the caller’s password',
    who: 'Any signed-in user, giving the current password.',
    changes:
      'Stores the new password hash (≥ 10 characters, 3 of 4 classes, not the username, not a common password), ends the user’s other sessions, and revokes the API keys and ends the webhooks the user made (the old password may be why it is changed: whoever held it may have made them), withdrawing the first approvals still waiting that were given through those keys or in any session but this one (whoever held a stolen session may have given them); audited, and the user is told what ended.',
    money: NO_MONEY,
  })
  @ApiBodyExample(ChangePasswordInput, { currentPassword: 'Old-passw0rd-2025', newPassword: 'Jade-Orchid-47-Lotus' })
  @Authenticated()
  @AllowsMfaEnrolment()
  @IgnoresIdempotencyKey()
  @HttpCode(204)
  @ApiNoContentResponse()
  @Refuses(AuthService.passwordRefusals)
  async password(@CurrentActor() actor: Actor, @Body() body: ChangePasswordInput, @ClientInfo() client: Client): Promise<void> {
    unwrap(await this.auth.changePassword(actor, body.currentPassword, body.newPassword, client));
  }

  @Put('email')
  @Explained({
    summary: 'Set, change or remove the caller’s e-mail address',
    who: 'Any signed-in user, for its own account, giving the current password (a session alone cannot redirect the account’s security mail; an API key never can: 403).',
    changes:
      'A wrong `currentPassword` is 401 and counts toward the username’s lockout, as for a password change. Stores the address unconfirmed and mails it a one-time code (valid 24 hours; at most 5 codes an account in 24 hours, else 429 RATE_LIMITED): until its holder confirms it with POST /api/auth/email/verify it is mailed nothing else (notices say emailStatus unverified). The change is told in the app, and by mail to the old address when that was confirmed. The same address again changes nothing. Audited (user.email_changed).',
    money: NO_MONEY,
  })
  @ApiBodyExample(ChangeEmailInput, { email: 'finance@micronano.example.cn', currentPassword: 'Jade-Orchid-47-Lotus' })
  @Authenticated()
  @ApiOkResponse({ type: UserView })
  @Refuses(AuthService.emailRefusals, EmailAddresses.changeRefusals)
  async changeEmail(@CurrentActor() actor: Actor, @Body() body: ChangeEmailInput, @ClientInfo() client: Client): Promise<UserView> {
    return unwrap(await this.auth.changeEmail(actor, body.currentPassword, body.email, client));
  }

  @Post('email/verify')
  @Explained({
    summary: 'Confirm the caller’s e-mail address with the code mailed to it',
    who: 'Any signed-in user, for its own account.',
    changes:
      'Marks the address confirmed (emailVerified): notices are mailed to it from now on. A wrong, spent or expired code is 400; the fifth within a day voids the code and refuses codes for 15 minutes (429 RATE_LIMITED): ask for a new one. Audited (user.email_verified).',
    money: NO_MONEY,
  })
  @ApiBodyExample(EmailCodeInput, { code: '40718263' })
  @Authenticated()
  @HttpCode(200)
  @ApiOkResponse({ type: UserView })
  @Refuses(EmailAddresses.verifyRefusals)
  async verifyEmail(@CurrentActor() actor: Actor, @Body() body: EmailCodeInput): Promise<UserView> {
    return unwrap(await this.emailAddresses.verify(actor, body.code));
  }

  @Post('email/code')
  @Explained({
    summary: 'Mail a new code to the caller’s unconfirmed e-mail address',
    who: 'Any signed-in user whose address is not confirmed yet (a confirmed one, or none, is 409 INVALID_STATE).',
    changes:
      'Mails a new one-time code (valid 24 hours); the one before it no longer works. At most 5 codes an account in 24 hours (429 RATE_LIMITED with Retry-After), and an address gets at most MAIL_PER_ADDRESS_PER_DAY mails.',
    money: NO_MONEY,
  })
  @Authenticated()
  @HttpCode(200)
  @ApiOkResponse({ type: EmailCodeView })
  @Refuses(EmailAddresses.resendRefusals)
  async emailCode(@CurrentActor() actor: Actor): Promise<EmailCodeView> {
    return unwrap(await this.emailAddresses.resend(actor));
  }

  @Get('me')
  @Explained({
    summary: 'The caller, its role and its organization or region',
    who: 'Any signed-in user (also one still to enrol two-factor).',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @AllowsMfaEnrolment()
  @ApiOkResponse({ type: MeView })
  me(@CurrentActor() actor: Actor): Promise<MeView> {
    return this.auth.me(actor);
  }

  @Post('mfa/setup')
  @Explained({
    summary: 'Start two-factor enrolment: a TOTP secret for an authenticator app',
    who: 'Any signed-in user who has not enabled two-factor yet.',
    changes: 'Stores a new TOTP secret, encrypted at rest (AES-256-GCM); two-factor is not on until POST /api/auth/mfa/enable.',
    money: NO_MONEY,
    details:
      'An Idempotency-Key is ignored: the answer holds the secret, which is never stored to be replayed; a retry makes a new secret.',
  })
  @Authenticated()
  @AllowsMfaEnrolment()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOkResponse({ type: MfaSetupView })
  @Refuses(MfaService.setupRefusals)
  async mfaSetup(@CurrentActor() actor: Actor): Promise<MfaSetupView> {
    return unwrap(await this.mfa.setup(actor));
  }

  @Post('mfa/enable')
  @Explained({
    summary: 'Enable two-factor with a first correct code',
    who: 'A signed-in user who started enrolment.',
    changes:
      'Turns two-factor on: from then on login needs `otp`; the user’s other sessions (begun with the password alone) end, and so do the API keys and webhooks the user made with the password alone (with the first approvals still waiting that were given through those keys or in any session but this one); audited, and the user is told what ended.',
    money: NO_MONEY,
  })
  @Authenticated()
  @AllowsMfaEnrolment()
  @HttpCode(204)
  @ApiNoContentResponse()
  @Refuses(MfaService.enableRefusals)
  async mfaEnable(@CurrentActor() actor: Actor, @Body() body: OtpInput): Promise<void> {
    unwrap(await this.mfa.enable(actor, body.otp));
  }

  @Post('register')
  @Explained({
    summary: 'Register an enterprise or provider and its first user (its admin)',
    who: 'Anyone, without a token; registrations are limited per client address (RATE_LIMITED).',
    changes:
      'Creates the organization and its admin user. An enterprise on its region’s list of qualified enterprises is active at once, otherwise pending_verification; a provider enters public notice (公示) only when a bureau admits it.',
    money: NO_MONEY,
  })
  @ApiBodyExample(RegisterInput, {
    username: 'hefei-micronano',
    password: 'Jade-Orchid-47-Lotus',
    role: 'enterprise',
    organization: { name: '合肥微纳新材料科技有限公司', creditCode: '91340100MA2T8XQ21W', kind: 'tech_sme' },
  })
  @Header('Cache-Control', 'no-store')
  @Public()
  @IgnoresIdempotencyKey()
  @ApiCreatedResponse({ type: RegistrationView })
  @Refuses(AuthService.registerRefusals)
  async register(@Body() body: RegisterInput, @ClientInfo() client: Client): Promise<RegistrationView> {
    return unwrap(await this.auth.register(body, client));
  }
}
