import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../../common/events/domain-events';
import { ItemsModule } from '../items/items.module';
import { SlaModule } from '../sla/sla.module';
import { RequestsController } from './requests.controller';
import { RequestsRepository } from './requests.repository';
import { RequestsService } from './requests.service';

@Module({
  imports: [DomainEventsModule, ItemsModule, SlaModule],
  controllers: [RequestsController],
  providers: [RequestsRepository, RequestsService],
  exports: [RequestsRepository, RequestsService],
})
export class RequestsModule {}
