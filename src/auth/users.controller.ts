import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, PersonalAccount } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { IgnoresIdempotencyKey } from '../common/idempotency/idempotency.interceptor';
import { unwrap } from '../common/use-case';
import { ActivatedUserView, AwaitingUserList, CreateUserInput, SignInResetView, StaffUserList, StaffUserView } from './auth.dto';
import { UsersService } from './users.service';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('auth')
@PersonalAccount()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Explained({
    summary: 'The users of the caller’s organization, of its bureau region (a province’s with its cities’ bureaus), or the platform’s',
    who: 'An admin of an organization, a bureau or the platform; a user who is not an admin is 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: StaffUserList })
  async list(@CurrentActor() actor: Actor, @Query() q: PageQuery): Promise<StaffUserList> {
    return this.users.list(actor, q);
  }

  @Post()
  @Explained({
    summary: 'Create a user with the admin’s own role, organization and region (a bureau’s admin may name a city below its province)',
    who: 'An admin (of an organization, a bureau or the platform); a user who is not an admin is 403.',
    changes:
      'Creates the user; audited. A bureau or platform user waits (awaitsActivation) until a second person activates it with POST /api/users/:id/activate, so that one admin cannot be both persons of maker-checker (nor make a platform colleague to be the second person); until then its login is 403.',
    money: NO_MONEY,
  })
  @ApiBodyExample(CreateUserInput, {
    username: 'bureau-ah-reviewer',
    password: 'Jade-Orchid-47-Lotus',
    admin: false,
    email: 'reviewer@kjt.ah.gov.cn',
  })
  @Authenticated()
  @ApiCreatedResponse({ type: StaffUserView })
  @Refuses(UsersService.createRefusals)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateUserInput): Promise<StaffUserView> {
    return unwrap(await this.users.create(actor, body));
  }

  @Get('awaiting-activation')
  @Explained({
    summary: 'Bureau and platform accounts waiting for the caller as their second person',
    who: 'A platform admin (every region’s bureau accounts, the platform’s, and organizations’ users another platform admin reset) or a bureau admin (its own region’s, and a province’s its cities’), other than those it made or reset; anyone else is 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'The accounts an admin made that wait to be activated, or, activated, for their holder to set a password with the setup code (activate again for a new code), and those whose sign-in an admin reset, waiting for their new code; oldest first, with the maker’s username (null for a seeded account) and the resetting admin’s (signInResetBy).',
  })
  @Authenticated('platform', 'bureau')
  @ApiOkResponse({ type: AwaitingUserList })
  async awaitingActivation(@CurrentActor() actor: Actor, @Query() q: PageQuery): Promise<AwaitingUserList> {
    return this.users.awaitingActivation(actor, q);
  }

  @Post(':id/activate')
  @Explained({
    summary:
      'Activate a bureau or platform account another admin made, or issue the new code of one whose sign-in another admin reset (the second person)',
    who: 'A platform admin, or another admin of the same bureau or of the province above it (for a bureau account); the admin who made it or reset its sign-in is 403; a user outside the caller’s reach is 404.',
    changes:
      'Activates the user and answers a one-time setupCode (valid 72 hours) for the activator to hand its holder, who sets a password of their own with POST /api/auth/setup; the password its maker chose never logs in. Called again before the holder did, it issues a new code (the old one stops working). Audited (user.activated, user.setup_code_renewed).',
    money: NO_MONEY,
  })
  @Authenticated('platform', 'bureau')
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOkResponse({ type: ActivatedUserView })
  @Refuses(UsersService.activateRefusals)
  async activate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string): Promise<ActivatedUserView> {
    return unwrap(await this.users.activate(actor, id));
  }

  @Post(':id/reset-sign-in')
  @Explained({
    summary: 'Reset a user’s sign-in: a forgotten password, a lost authenticator, or an account someone else used',
    who: 'An admin of the same organization or bureau, or a platform admin (for anyone: an enterprise whose only admin is locked out has no one else; another platform admin then issues the code); not the admin itself (it changes its own password); a user outside the admin’s reach is 404.',
    changes:
      'Turns two-factor off, replaces the password with one that matches nothing, ends every session of the user and the calendar feeds it made, and revokes the API keys and ends the webhooks it made (apiKeysRevoked, webhooksEnded): whoever held the account may have made them. The user logs in again once its holder sets a new password with a one-time setupCode (valid 72 hours, POST /api/auth/setup). The code is answered to the resetting admin, once, for a user of an organization reset by its own admin; for a bureau or platform account a second person (a platform admin, or another admin of the bureau; not the one who reset it, nor its maker) issues it with POST /api/users/:id/activate, so that no admin can take over a colleague and approve in pairs alone, and for an organization’s user a platform admin reset, another platform admin does, so that no platform admin alone takes over an enterprise or a lab. Called again, a new code replaces the last. The user is told in the app, and by mail when it has an address. Audited (user.sign_in_reset, api_key.revoked, webhook.deleted).',
    money: NO_MONEY,
  })
  @Authenticated()
  @IgnoresIdempotencyKey()
  @HttpCode(200)
  @ApiOkResponse({ type: SignInResetView })
  @Refuses(UsersService.resetRefusals)
  async resetSignIn(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string): Promise<SignInResetView> {
    return unwrap(await this.users.resetSignIn(actor, id));
  }

  @Post(':id/disable')
  @Explained({
    summary: 'Disable a user of the admin’s organization or bureau',
    who: 'An admin of the same organization or bureau, or of the province above a city’s bureau; a user outside the admin’s group is 404.',
    changes:
      'Disables the user: its sessions and tokens, and the API keys it made, are refused at once on every node; the webhooks it or its keys made end; audited. Of two admins disabling each other at once, the second is refused (401): a group keeps an admin.',
    money: NO_MONEY,
  })
  @Authenticated()
  @HttpCode(200)
  @ApiOkResponse({ type: StaffUserView })
  @Refuses(UsersService.disableRefusals)
  async disable(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string): Promise<StaffUserView> {
    return unwrap(await this.users.disable(actor, id));
  }
}
