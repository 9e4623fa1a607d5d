import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { unwrap } from '../common/use-case';
import { CreateUserInput, StaffUserView } from './auth.dto';
import { UsersService } from './users.service';

@ApiTags('auth')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The users of the admin’s organization, or of its bureau region, or the platform’s' })
  @ApiOkResponse({ type: [StaffUserView] })
  async list(@CurrentActor() actor: Actor) {
    const items = await this.users.list(actor);
    return { items, total: items.length };
  }

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Create a user with the admin’s own role, organization and region' })
  @ApiCreatedResponse({ type: StaffUserView })
  @Refuses(UsersService.createRefusals)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateUserInput): Promise<StaffUserView> {
    return unwrap(await this.users.create(actor, body));
  }

  @Post(':id/disable')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user of the admin’s group: its sessions end at once' })
  @ApiOkResponse({ type: StaffUserView })
  @Refuses(UsersService.disableRefusals)
  async disable(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<StaffUserView> {
    return unwrap(await this.users.disable(actor, id));
  }
}
