import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Notification, NotificationRepository } from './notification.repository';

/** The caller's own notifications; anyone else's is 404. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
  ) {}

  list(actor: Actor, unread: boolean, limit: number, offset: number): Promise<{ items: Notification[]; total: number }> {
    return this.notifications.list(actor.userId, unread, limit, offset);
  }

  async markRead(actor: Actor, id: string): Promise<Notification> {
    return this.uow.run(async () => {
      const n = await this.notifications.byId(id);
      if (!n || n.userId !== actor.userId) throw notFound('notification');
      await this.notifications.markRead(id, actor.userId, clock.iso());
      return (await this.notifications.byId(id))!;
    });
  }
}
