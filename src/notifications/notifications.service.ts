import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ALWAYS_MAILED } from './notification-templates';
import { Notification, NotificationRepository } from './notification.repository';

/** A user's mail preferences: the kinds it is told in the app only, and those mailed whatever it chooses. */
export interface MailPreferences {
  mailOff: string[];
  alwaysMailed: string[];
}

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

  async preferences(actor: Actor): Promise<MailPreferences> {
    return { mailOff: await this.notifications.mailOff(actor.userId), alwaysMailed: [...ALWAYS_MAILED] };
  }

  /** Replaces the kinds the caller is told in the app only (the DTO admits no ALWAYS_MAILED kind); from its next notice on. */
  async setPreferences(actor: Actor, mailOff: string[]): Promise<MailPreferences> {
    await this.uow.run(async () => {
      await this.notifications.setMailOff(actor.userId, [...new Set(mailOff)].sort());
      this.uow.record({
        action: 'user.notification_preferences_set',
        entityType: 'user',
        entityId: actor.userId,
        regionCode: actor.regionCode,
        organizationId: actor.organizationId,
        summary: { mailOff },
      });
    });
    return this.preferences(actor);
  }

  async markRead(actor: Actor, id: string): Promise<Notification> {
    return this.uow.run(async () => {
      if (!(await this.notifications.inApp(actor.userId, id))) throw notFound('notification');
      await this.notifications.markRead(id, actor.userId, clock.iso());
      return (await this.notifications.inApp(actor.userId, id))!;
    });
  }
}
