import { Module } from '@nestjs/common';
import { ChangeFeedModule } from '../../common/db/change-feed';
import { AlertsModule } from '../alerts/alerts.module';
import { ActivePolicyCache } from './active-policy-cache';
import { SlaClocksController, SlaPoliciesController } from './sla.controller';
import { SlaClocksRepository } from './sla-clocks.repository';
import { SlaClocksService } from './sla-clocks.service';
import { SlaPoliciesRepository } from './sla-policies.repository';
import { SlaPoliciesService } from './sla-policies.service';
import { SlaProcessor } from './sla.processor';

@Module({
  imports: [AlertsModule, ChangeFeedModule],
  controllers: [SlaPoliciesController, SlaClocksController],
  providers: [
    ActivePolicyCache,
    SlaClocksRepository,
    SlaClocksService,
    SlaPoliciesRepository,
    SlaPoliciesService,
    SlaProcessor,
  ],
  exports: [SlaClocksService],
})
export class SlaModule {}
