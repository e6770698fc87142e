import { Injectable } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';
import { EventBatchesService } from './event-batches.service';
import { ShipmentEventsService } from './shipment-events.service';

@Injectable()
@Processor('shipment-events')
export class ShipmentEventsProcessor implements QueueProcessor<'shipment-events'> {
  constructor(
    private readonly batches: EventBatchesService,
    private readonly events: ShipmentEventsService,
  ) {}

  process(job: QueueJob<'shipment-events'>): Promise<unknown> {
    switch (job.name) {
      case 'apply-event-batch':
        return this.batches.applyPart(job.data.batchId, job.data.part);
      case 'resume-event-batches':
        return this.batches.resumeStalled(job.data.olderThanSeconds);
      case 'backfill-sla-clocks':
        return this.events.backfillClocks();
    }
  }
}
