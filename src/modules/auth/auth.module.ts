import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChangeFeedModule } from '../../common/db/change-feed';
import { ApiKey } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { ConsoleSessionsRepository } from './console-sessions.repository';
import { ConsoleSessionsService } from './console-sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), ChangeFeedModule],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyGuard,
    ConsoleSessionsRepository,
    ConsoleSessionsService,
  ],
  exports: [ApiKeysService, ApiKeyGuard, ConsoleSessionsService],
})
export class AuthModule {}
