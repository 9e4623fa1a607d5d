import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { unwrap } from '../common/use-case';
import { LoginInput, LoginView, RegisterInput, RegistrationView } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: LoginView })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: unknown username or wrong password' })
  login(@Body() body: LoginInput): Promise<LoginView> {
    return this.auth.login(body.username, body.password);
  }

  @Post('register')
  @Public()
  @ApiCreatedResponse({ type: RegistrationView })
  @ApiConflictResponse({ description: 'DUPLICATE: username or credit code already registered' })
  async register(@Body() body: RegisterInput): Promise<RegistrationView> {
    return unwrap(await this.auth.register(body));
  }
}
