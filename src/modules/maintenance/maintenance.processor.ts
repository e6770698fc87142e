import { Injectable, Logger } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { IdempotencyRepository } from '../../common/http/idempotency.repository';
import { OutboxService } from '../../common/queue/outbox.service';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';

@Injectable()
@Processor('maintenance')
export class MaintenanceProcessor implements QueueProcessor<'maintenance'> {
  private readonly logger = new Logger('Maintenance');

  constructor(
    private readonly outbox: OutboxService,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  async process(job: QueueJob<'maintenance'>): Promise<unknown> {
    switch (job.name) {
      case 'purge-outbox': {
        const purged = await this.outbox.purgeSent(job.data.retentionHours);
        if (purged > 0) this.logger.log(`Purged ${purged} relayed outbox rows`);
        return { purged };
      }
      case 'purge-idempotency-keys':
        return { purged: await this.idempotency.purgeOlderThan(job.data.retentionHours) };
    }
  }
}
