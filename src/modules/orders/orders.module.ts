import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../../common/events/domain-events';
import { RequestsModule } from '../requests/requests.module';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

@Module({
  imports: [DomainEventsModule, RequestsModule],
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService],
  exports: [OrdersService],
})
export class OrdersModule {}
