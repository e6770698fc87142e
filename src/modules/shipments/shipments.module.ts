import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../../common/events/domain-events';
import { CarriersModule } from '../carriers/carriers.module';
import { SlaModule } from '../sla/sla.module';
import { EventBatchesController } from './event-batches.controller';
import { EventBatchesRepository } from './event-batches.repository';
import { EventBatchesService } from './event-batches.service';
import { ShipmentEventsProcessor } from './shipment-events.processor';
import { ShipmentEventsService } from './shipment-events.service';
import { ShipmentsController } from './shipments.controller';
import { ShipmentsRepository } from './shipments.repository';
import { ShipmentsService } from './shipments.service';

@Module({
  imports: [DomainEventsModule, CarriersModule, SlaModule],
  controllers: [ShipmentsController, EventBatchesController],
  providers: [
    ShipmentsRepository,
    ShipmentsService,
    ShipmentEventsService,
    EventBatchesRepository,
    EventBatchesService,
    ShipmentEventsProcessor,
  ],
  exports: [ShipmentsService, ShipmentEventsService],
})
export class ShipmentsModule {}
