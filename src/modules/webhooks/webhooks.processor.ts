import { Injectable } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';
import { WebhookDeliveryService } from './webhook-delivery.service';

@Injectable()
@Processor('webhooks')
export class WebhooksProcessor implements QueueProcessor<'webhooks'> {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  process(job: QueueJob<'webhooks'>): Promise<unknown> {
    switch (job.name) {
      case 'deliver-webhooks':
        return this.deliveries.deliverDue(job.data.subscriptionId, 0);
      case 'resume-webhook-deliveries':
        return this.deliveries.resumeOverdue(job.data.overdueSeconds);
    }
  }
}

/** Lifecycle messages drain on their own queue and workers, behind no alert and ahead of none. */
@Injectable()
@Processor('lifecycle-webhooks')
export class LifecycleWebhooksProcessor implements QueueProcessor<'lifecycle-webhooks'> {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  process(job: QueueJob<'lifecycle-webhooks'>): Promise<unknown> {
    return this.deliveries.deliverDue(job.data.subscriptionId, 1);
  }
}
