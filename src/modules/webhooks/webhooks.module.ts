import { Module } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhooksController } from './webhooks.controller';
import { LifecycleWebhooksProcessor, WebhooksProcessor } from './webhooks.processor';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [
    WebhooksRepository,
    WebhooksService,
    WebhookDeliveryService,
    WebhooksProcessor,
    LifecycleWebhooksProcessor,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
