import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../../common/events/domain-events';
import { FulfilmentRepository } from './fulfilment.repository';
import { FulfilmentService } from './fulfilment.service';

/** Follows shipments' and requests' changes; nothing calls it directly. */
@Module({
  imports: [DomainEventsModule],
  providers: [FulfilmentRepository, FulfilmentService],
})
export class FulfilmentModule {}
