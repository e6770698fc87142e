import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../../common/http/idempotency.module';
import { MaintenanceProcessor } from './maintenance.processor';

@Module({ imports: [IdempotencyModule], providers: [MaintenanceProcessor] })
export class MaintenanceModule {}
