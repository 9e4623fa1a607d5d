import { Module } from '@nestjs/common';
import { MailWorker } from './mail-worker';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';
import { Notifier } from './notifier';

/** People's notifications: in the app, and by mail through SMTP. */
@Module({
  controllers: [NotificationsController],
  providers: [Notifier, NotificationsService, MailWorker],
  exports: [Notifier],
})
export class NotificationsModule {}
