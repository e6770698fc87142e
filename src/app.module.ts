import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { prepareStatements } from './common/db/prepared-statements';
import { LoggerModule } from 'nestjs-pino';
import { Clock, SystemClock } from './common/clock';
import { dataSourceOptions } from './config/data-source';
import { Env } from './config/env';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { ApiKeyThrottlerGuard, RateLimitModule } from './common/http/rate-limit';
import { IdempotencyModule } from './common/http/idempotency.module';
import { QueueModule } from './common/queue/queue.module';
import { WorkerRuntime } from './common/queue/worker-supervisor.service';
import { ApiKeyGuard } from './modules/auth/api-key.guard';
import { AuthModule } from './modules/auth/auth.module';
import { HealthModule } from './modules/health/health.module';
import { MaintenanceModule } from './modules/maintenance/maintenance.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { CarriersModule } from './modules/carriers/carriers.module';
import { FulfilmentModule } from './modules/fulfilment/fulfilment.module';
import { ItemsModule } from './modules/items/items.module';
import { OrdersModule } from './modules/orders/orders.module';
import { RequestsModule } from './modules/requests/requests.module';
import { ShipmentsModule } from './modules/shipments/shipments.module';
import { AlertsModule } from './modules/alerts/alerts.module';
import { SlaModule } from './modules/sla/sla.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { LifecycleWebhooksModule } from './modules/lifecycle-webhooks/lifecycle-webhooks.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { ImportsModule } from './modules/imports/imports.module';
import { DocumentsModule } from './modules/documents/documents.module';
import { ReportsModule } from './modules/reports/reports.module';
import { ConsoleModule } from './modules/console/console.module';

@Module({})
class ConfigModule {
  static register(env: Env, workers: boolean, clock: Clock): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [
        { provide: Env, useValue: env },
        { provide: WorkerRuntime, useValue: new WorkerRuntime(workers) },
        { provide: Clock, useValue: clock },
      ],
      exports: [Env, WorkerRuntime, Clock],
    };
  }
}

export interface AppOptions {
  env: Env;
  /** Run the BullMQ workers in this process. */
  workers: boolean;
  /** The time SLA decisions use; tests may set it. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static register({ env, workers, clock }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(env, workers, clock ?? new SystemClock()),
        LoggerModule.forRoot({
          pinoHttp: {
            level: env.LOG_LEVEL,
            // Fastify assigns the id (from X-Request-Id or a new UUID); logs reuse it.
            genReqId: (req) => (req as { id?: string }).id ?? '',
            customProps: () => ({ service: 'lifeline' }),
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            autoLogging: {
              ignore: (req) => {
                const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
                return url.startsWith('/health') || url.startsWith('/metrics');
              },
            },
          },
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        }),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(env.DATABASE_URL, env.DB_POOL_SIZE, {
            connectionTimeoutMillis: env.DB_ACQUIRE_TIMEOUT_MS,
            statement_timeout: env.DB_STATEMENT_TIMEOUT_MS,
            idle_in_transaction_session_timeout: env.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
          }),
          migrations: [],
          autoLoadEntities: true,
          // Start-up already checked the server; don't spend 30 s retrying if it vanished since.
          retryAttempts: 2,
          retryDelay: 1_000,
        }),
        QueueModule,
        RateLimitModule,
        IdempotencyModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        MaintenanceModule,
        FulfilmentModule,
        ItemsModule,
        CarriersModule,
        RequestsModule,
        OrdersModule,
        ShipmentsModule,
        SlaModule,
        AlertsModule,
        WebhooksModule,
        LifecycleWebhooksModule,
        NotificationsModule,
        ImportsModule,
        DocumentsModule,
        ReportsModule,
        ConsoleModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Every parameterised statement is parsed and planned once per connection.
        { provide: prepareStatements, inject: [DataSource], useFactory: prepareStatements },
        // Order matters: authenticate first, then rate-limit by the key it found.
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ApiKeyThrottlerGuard },
      ],
    };
  }
}
