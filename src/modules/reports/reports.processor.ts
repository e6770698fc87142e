import { Injectable } from '@nestjs/common';
import type { QueueJob } from '../../common/queue/jobs';
import { Processor, type QueueProcessor } from '../../common/queue/processor.decorator';
import { ReportRollupsService } from './report-rollups.service';

@Injectable()
@Processor('reports')
export class ReportsProcessor implements QueueProcessor<'reports'> {
  constructor(private readonly rollups: ReportRollupsService) {}

  process(job: QueueJob<'reports'>): Promise<unknown> {
    switch (job.name) {
      case 'refresh-report-rollups':
        return this.rollups.refresh();
    }
  }
}
