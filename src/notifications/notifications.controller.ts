import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, PersonalAccount } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { MailPreferencesInput, MailPreferencesView, NotificationPage, NotificationQuery, NotificationView } from './notifications.dto';
import { NotificationsService } from './notifications.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('accounts')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Explained({
    summary: 'The caller’s notifications, newest first',
    who: 'Any signed-in user, for itself.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Application decided, claim decided, settlement paid, voucher expiring within 30 days (once half its validity has passed), hold expiring within a day, budget below 10%. Users with an e-mail address also get them by mail when SMTP_URL is set.',
  })
  @Authenticated()
  @ApiOkResponse({ type: NotificationPage })
  async list(@CurrentActor() actor: Actor, @Query() q: NotificationQuery): Promise<NotificationPage> {
    const page = await this.notifications.list(actor, q.unread ?? false, q.limit, q.offset);
    return { items: page.items.map(NotificationView.of), total: page.total };
  }

  @Get('preferences')
  @Explained({
    summary: 'The kinds of notification the caller is told in the app only',
    who: 'Any signed-in person, for itself; an API key, which has no mailbox, is 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @PersonalAccount()
  @ApiOkResponse({ type: MailPreferencesView })
  preferences(@CurrentActor() actor: Actor): Promise<MailPreferencesView> {
    return this.notifications.preferences(actor);
  }

  @Put('preferences')
  @Explained({
    summary: 'Choose the kinds of notification told in the app only, not by mail',
    who: 'Any signed-in person, for itself; an API key is 403.',
    changes:
      'Replaces the caller’s list; notices made from then on of those kinds are not mailed (emailStatus none) but still listed in the app. Audited (user.notification_preferences_set).',
    money: NO_MONEY,
    details:
      'The security notices (two-factor enabled, password changed, sign-in reset, an API key or webhook made), a changed bank account and the measures taken against the organization (a voucher revoked, a suspension, a sanction) are always mailed: naming one is 400.',
  })
  @Authenticated()
  @PersonalAccount()
  @ApiOkResponse({ type: MailPreferencesView })
  setPreferences(@CurrentActor() actor: Actor, @Body() body: MailPreferencesInput): Promise<MailPreferencesView> {
    return this.notifications.setPreferences(actor, body.mailOff);
  }

  @Post(':id/read')
  @Explained({
    summary: 'Mark one of the caller’s notifications read',
    who: 'The notification’s user; another user’s notification is 404.',
    changes: 'Marks it read.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: NotificationView })
  async read(@CurrentActor() actor: Actor, @Param('id', new IdPipe('notification')) id: string): Promise<NotificationView> {
    return NotificationView.of(await this.notifications.markRead(actor, id));
  }
}
