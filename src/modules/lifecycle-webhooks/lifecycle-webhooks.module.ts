import { Module } from '@nestjs/common';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { LifecycleWebhooksRepository } from './lifecycle-webhooks.repository';
import { LifecycleWebhooksService } from './lifecycle-webhooks.service';

/** Follows shipments' and requests' changes for webhook subscribers; nothing calls it directly. */
@Module({
  imports: [WebhooksModule],
  providers: [LifecycleWebhooksRepository, LifecycleWebhooksService],
})
export class LifecycleWebhooksModule {}
