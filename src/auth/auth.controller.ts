import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowsMfaEnrolment, Authenticated, ClientInfo, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IgnoresIdempotencyKey } from '../common/idempotency/idempotency.interceptor';
import { unwrap } from '../common/use-case';
import {
  ChangePasswordInput,
  LoginInput,
  LoginView,
  MeView,
  MfaSetupView,
  OtpInput,
  RefreshInput,
  RegisterInput,
  RegistrationView,
  SessionTokens,
} from './auth.dto';
import { AuthService, Client } from './auth.service';
import { MfaService } from './mfa.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
  ) {}

  @Post('login')
  @Public()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: a short access token and a refresh token of a new session' })
  @ApiOkResponse({ type: LoginView })
  @Refuses(AuthService.loginRefusals)
  async login(@Body() body: LoginInput, @ClientInfo() client: Client): Promise<LoginView> {
    return unwrap(await this.auth.login(body.username, body.password, body.otp, client));
  }

  @Post('refresh')
  @Public()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; a refresh token used twice ends its session' })
  @ApiOkResponse({ type: SessionTokens })
  @Refuses(AuthService.refreshRefusals)
  async refresh(@Body() body: RefreshInput, @ClientInfo() client: Client): Promise<SessionTokens> {
    return unwrap(await this.auth.refresh(body.refreshToken, client));
  }

  @Post('logout')
  @Authenticated()
  @AllowsMfaEnrolment()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the caller’s session: its tokens are refused from now on, on every node' })
  @ApiNoContentResponse()
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(actor);
  }

  @Post('password')
  @Authenticated()
  @AllowsMfaEnrolment()
  @IgnoresIdempotencyKey()
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the caller’s password; the user’s other sessions end' })
  @ApiNoContentResponse()
  @Refuses(AuthService.passwordRefusals)
  async password(@CurrentActor() actor: Actor, @Body() body: ChangePasswordInput, @ClientInfo() client: Client): Promise<void> {
    unwrap(await this.auth.changePassword(actor, body.currentPassword, body.newPassword, client));
  }

  @Get('me')
  @Authenticated()
  @AllowsMfaEnrolment()
  @ApiOperation({ summary: 'The caller and its organization' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentActor() actor: Actor): Promise<MeView> {
    return this.auth.me(actor);
  }

  @Post('mfa/setup')
  @Authenticated()
  @AllowsMfaEnrolment()
  @HttpCode(200)
  @ApiOperation({ summary: 'Start two-factor enrolment: a TOTP secret for an authenticator app (enabled by the first code)' })
  @ApiOkResponse({ type: MfaSetupView })
  @Refuses(MfaService.setupRefusals)
  async mfaSetup(@CurrentActor() actor: Actor): Promise<MfaSetupView> {
    return unwrap(await this.mfa.setup(actor));
  }

  @Post('mfa/enable')
  @Authenticated()
  @AllowsMfaEnrolment()
  @HttpCode(204)
  @ApiOperation({ summary: 'Enable two-factor with a first correct code; from then on login needs `otp`' })
  @ApiNoContentResponse()
  @Refuses(MfaService.enableRefusals)
  async mfaEnable(@CurrentActor() actor: Actor, @Body() body: OtpInput): Promise<void> {
    unwrap(await this.mfa.enable(actor, body.otp));
  }

  @Post('register')
  @Public()
  @IgnoresIdempotencyKey()
  @ApiOperation({ summary: 'Register an enterprise or provider and its first user (its admin)' })
  @ApiCreatedResponse({ type: RegistrationView })
  @Refuses(AuthService.registerRefusals)
  async register(@Body() body: RegisterInput, @ClientInfo() client: Client): Promise<RegistrationView> {
    return unwrap(await this.auth.register(body, client));
  }
}
