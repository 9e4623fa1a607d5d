import { Module } from '@nestjs/common';
import { MfaSecrets } from '../auth/mfa-secrets';
import { NotificationsModule } from '../notifications/notifications.module';
import { DeliveryWorker } from './delivery-worker';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Signed webhooks: subscriptions, fan-out from the outbox, and the delivery worker every node runs. */
@Module({
  imports: [NotificationsModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, DeliveryWorker, MfaSecrets],
})
export class WebhooksModule {}
