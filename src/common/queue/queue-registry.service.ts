import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { Env } from '../../config/env';
import { QUEUE_NAMES, type QueueName } from './jobs';
import { createRedis, producerRedisOptions } from './redis-connections';

/** Default options for every job: retried with backoff, kept a while for inspection. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** One producer Queue per queue name, on one fail-fast connection. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('Queues');
  readonly connection: Redis;
  private readonly queues: Map<QueueName, Queue>;

  constructor(readonly env: Env) {
    this.connection = createRedis(env.REDIS_URL, producerRedisOptions(), (e) =>
      this.logger.debug(`Redis (producer): ${e.message}`),
    );
    this.queues = new Map(
      QUEUE_NAMES.map((name) => [
        name,
        new Queue(name, {
          connection: this.connection,
          prefix: env.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
      ]),
    );
    for (const queue of this.queues.values()) queue.on('error', () => undefined);
  }

  get(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`Unknown queue ${name}`);
    return queue;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.all().map((q) => q.close()));
    this.connection.disconnect();
  }
}
