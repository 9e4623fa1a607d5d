import { Global, Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { FirstApprovals } from './first-approvals';

/**
 * API keys for machine clients; global because the auth guard authenticates them. FirstApprovals is here because a
 * revoked key withdraws the first approvals given through it; accounts use it too.
 */
@Global()
@Module({
  imports: [NotificationsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, FirstApprovals],
  exports: [ApiKeysService, FirstApprovals],
})
export class ApiKeysModule {}
