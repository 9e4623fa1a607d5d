import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { NotificationPage, NotificationQuery, NotificationView } from './notifications.dto';
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
