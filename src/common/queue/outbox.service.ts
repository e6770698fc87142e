import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertValidJobId, JOB_QUEUE, type JobItem } from './jobs';
import { OutboxRepository } from './outbox.repository';

export interface EnqueueOptions {
  /** A deterministic BullMQ job id (`sla-breach-<clockId>`); defaults to `outbox-<row id>`. */
  jobId?: string;
  /**
   * Run no earlier than this real instant (a delayed job). An instant of the injected Clock,
   * which may run scaled, is converted first: `Date.now() + clock.msUntil(instant)`.
   */
  runAt?: Date;
}

/**
 * The only way to add a job: the job is written to the outbox inside the caller's transaction,
 * so it exists exactly when the change that caused it was committed. The relay moves it to
 * BullMQ, whether Redis is up now or returns later.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly outbox: OutboxRepository) {}

  async enqueue(
    manager: EntityManager,
    item: JobItem,
    options: EnqueueOptions = {},
  ): Promise<void> {
    await this.enqueueMany(manager, [{ item, ...options }]);
  }

  /** Rows committed and not yet relayed: how many, and the oldest's age. */
  backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    return this.outbox.backlog();
  }

  /** Deletes rows relayed longer ago than this; returns how many. */
  purgeSent(olderThanHours: number): Promise<number> {
    return this.outbox.purgeSent(olderThanHours);
  }

  async enqueueMany(
    manager: EntityManager,
    jobs: ({ item: JobItem } & EnqueueOptions)[],
  ): Promise<void> {
    await this.outbox.insert(
      manager,
      jobs.map(({ item, jobId, runAt }) => ({
        queue: JOB_QUEUE[item.name],
        item,
        jobId: jobId === undefined ? undefined : assertValidJobId(jobId),
        runAt,
      })),
    );
  }
}
