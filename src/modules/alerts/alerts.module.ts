import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../../common/events/domain-events';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AlertStream } from './alert-stream.service';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

@Module({
  imports: [DomainEventsModule, WebhooksModule],
  controllers: [AlertsController],
  providers: [AlertsRepository, AlertsService, AlertStream],
  exports: [AlertsService, AlertStream],
})
export class AlertsModule {}
