import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { AuthModule } from '../auth/auth.module';
import { CarriersModule } from '../carriers/carriers.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OrdersModule } from '../orders/orders.module';
import { ReportsModule } from '../reports/reports.module';
import { RequestsModule } from '../requests/requests.module';
import { ShipmentsModule } from '../shipments/shipments.module';
import { SlaModule } from '../sla/sla.module';
import { ConsoleBoardController } from './console-board.controller';
import { ConsoleNotificationsController } from './console-notifications.controller';
import { ConsoleReportsController } from './console-reports.controller';
import { ConsoleRequestsController } from './console-requests.controller';
import { ConsoleSessionController } from './console-session.controller';
import { ConsoleShipmentsController } from './console-shipments.controller';
import { ConsoleView } from './console-view';

/** The console: Lifeline for people, at /console, over the same services and guard as the API. */
@Module({
  imports: [
    AuthModule,
    AlertsModule,
    CarriersModule,
    NotificationsModule,
    OrdersModule,
    ReportsModule,
    RequestsModule,
    ShipmentsModule,
    SlaModule,
  ],
  controllers: [
    ConsoleSessionController,
    ConsoleBoardController,
    ConsoleRequestsController,
    ConsoleShipmentsController,
    ConsoleReportsController,
    ConsoleNotificationsController,
  ],
  providers: [ConsoleView],
})
export class ConsoleModule {}
