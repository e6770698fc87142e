import { Injectable } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';
import { AlertsService } from '../alerts/alerts.service';
import { SlaClocksService } from './sla-clocks.service';

@Injectable()
@Processor('sla')
export class SlaProcessor implements QueueProcessor<'sla'> {
  constructor(
    private readonly clocks: SlaClocksService,
    private readonly alerts: AlertsService,
  ) {}

  process(job: QueueJob<'sla'>): Promise<unknown> {
    switch (job.name) {
      case 'fire-sla-alerts':
      case 'sweep-sla-alerts':
        return this.clocks.fireDue();
      case 'sweep-shipment-alerts':
        return this.alerts.sweepShipments();
    }
  }
}
