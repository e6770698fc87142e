import { Injectable, Logger, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Env } from '../../config/env';
import type { Principal } from '../../modules/auth/principal';
import { QueueRegistry } from '../queue/queue-registry.service';

/**
 * Counts in Redis, so the limit holds across API processes. If Redis is unreachable the
 * request is let through (and logged): refusing every call during a Redis outage would turn a
 * queue problem into a full API outage, while PostgreSQL still takes the writes.
 */
export class FailOpenStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private warnedAt = 0;
  private readonly inner: ThrottlerStorage;

  constructor(redis: Redis) {
    this.inner = new ThrottlerStorageRedisService(redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        this.logger.warn(`Rate limit not enforced, Redis unreachable: ${(error as Error).message}`);
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}

/** Limits per API key (per address for requests without a valid key). */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return principal ? `key-${principal.keyId}` : `ip-${String(req.ip)}`;
  }
}

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      // The producers' fail-fast connection, which the queue module closes at shutdown.
      inject: [Env, QueueRegistry],
      useFactory: (env: Env, queues: QueueRegistry) => {
        return {
          throttlers: [{ name: 'default', ttl: 60_000, limit: env.RATE_LIMIT_PER_MINUTE }],
          storage: new FailOpenStorage(queues.connection),
          // One budget per key across all routes, namespaced like the queues.
          generateKey: (_context, tracker, name) =>
            `${env.QUEUE_PREFIX}:throttle:${name}:${tracker}`,
          errorMessage: 'Rate limit reached: retry after the number of seconds in Retry-After.',
        };
      },
    }),
  ],
})
export class RateLimitModule {}
