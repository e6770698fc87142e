import { Injectable } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';
import { MailService } from './mail.service';
import { NotificationsService } from './notifications.service';

@Injectable()
@Processor('notifications')
export class NotificationsProcessor implements QueueProcessor<'notifications'> {
  constructor(
    private readonly mail: MailService,
    private readonly notifications: NotificationsService,
  ) {}

  process(job: QueueJob<'notifications'>): Promise<unknown> {
    switch (job.name) {
      case 'send-notifications':
        return this.mail.sendDue();
      case 'queue-digests':
        return this.notifications.queueDueDigests();
    }
  }
}
