import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { SlaClocksController, SlaPoliciesController } from './sla.controller';
import { SlaClocksRepository } from './sla-clocks.repository';
import { SlaClocksService } from './sla-clocks.service';
import { SlaPoliciesRepository } from './sla-policies.repository';
import { SlaPoliciesService } from './sla-policies.service';
import { SlaProcessor } from './sla.processor';

@Module({
  imports: [AlertsModule],
  controllers: [SlaPoliciesController, SlaClocksController],
  providers: [
    SlaClocksRepository,
    SlaClocksService,
    SlaPoliciesRepository,
    SlaPoliciesService,
    SlaProcessor,
  ],
  exports: [SlaClocksService],
})
export class SlaModule {}
