import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../../common/http/idempotency.module';
import { ItemsModule } from '../items/items.module';
import { RequestsModule } from '../requests/requests.module';
import { ImportsController } from './imports.controller';
import { ImportsService } from './imports.service';

@Module({
  imports: [IdempotencyModule, ItemsModule, RequestsModule],
  controllers: [ImportsController],
  providers: [ImportsService],
})
export class ImportsModule {}
