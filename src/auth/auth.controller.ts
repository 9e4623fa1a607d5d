import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
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
  @Refuses(['UNAUTHENTICATED'])
  login(@Body() body: LoginInput): Promise<LoginView> {
    return this.auth.login(body.username, body.password);
  }

  @Post('register')
  @Public()
  @ApiCreatedResponse({ type: RegistrationView })
  @Refuses(['DUPLICATE'])
  async register(@Body() body: RegisterInput): Promise<RegistrationView> {
    return unwrap(await this.auth.register(body));
  }
}
