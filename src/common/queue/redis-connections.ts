import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers (the outbox relay, health checks, rate limits) must fail fast when Redis is away:
 * the write they serve already sits safely in PostgreSQL.
 */
export function producerRedisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
}

export function createRedis(
  url: string,
  options: RedisOptions,
  onError: (e: Error) => void,
): Redis {
  const redis = new Redis(url, options);
  redis.on('error', onError);
  return redis;
}
