import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { NotificationPage, NotificationQuery, NotificationView } from './notifications.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('accounts')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    summary: 'The caller’s notifications, newest first',
    description:
      'Application decided, claim decided, settlement paid, voucher expiring within 30 days, hold expiring within a day, budget below ' +
      '10%. Users with an e-mail address also get them by mail when SMTP_URL is set.',
  })
  @ApiOkResponse({ type: NotificationPage })
  async list(@CurrentActor() actor: Actor, @Query() q: NotificationQuery): Promise<NotificationPage> {
    const page = await this.notifications.list(actor, q.unread ?? false, q.limit, q.offset);
    return { items: page.items.map(NotificationView.of), total: page.total };
  }

  @Post(':id/read')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Mark one of the caller’s notifications read', description: 'Another user’s notification is 404.' })
  @ApiOkResponse({ type: NotificationView })
  async read(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<NotificationView> {
    return NotificationView.of(await this.notifications.markRead(actor, id));
  }
}
