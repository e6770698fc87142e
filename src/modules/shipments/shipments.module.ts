import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
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
  imports: [CarriersModule, SlaModule, AlertsModule],
  controllers: [ShipmentsController, EventBatchesController],
  providers: [
    ShipmentsRepository,
    ShipmentsService,
    ShipmentEventsService,
    EventBatchesRepository,
    EventBatchesService,
    ShipmentEventsProcessor,
  ],
})
export class ShipmentsModule {}
