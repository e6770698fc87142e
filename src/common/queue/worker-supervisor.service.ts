import { isDependencyUnavailable } from '../errors/problem-details.filter';
import { OutageLog } from '../outage-log';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Worker, type Job } from 'bullmq';
import { Env } from '../../config/env';
import { JOB_QUEUE, JOB_SCHEDULES, QUEUE_CONCURRENCY, type QueueName } from './jobs';
import { Processor, type QueueProcessor } from './processor.decorator';
import { QueueRegistry } from './queue-registry.service';
import { needsQueueProbe, stallReason } from './worker-health';

/** Whether this process consumes jobs: `node dist/worker.js`, or the API unless WORKERS=off. */
export class WorkerRuntime {
  constructor(readonly enabled: boolean) {}
}

interface Supervised {
  queue: QueueName;
  processor: QueueProcessor<QueueName>;
  worker: Worker;
  /** Jobs this worker is running now. */
  active: number;
  /** When the worker last started, finished or was created. */
  lastProgressAt: number;
  restarts: number;
}

const TICK_MS = 2_000;

/**
 * Runs one BullMQ worker per queue and keeps it alive. BullMQ workers have stopped silently
 * after a Redis restart before (a blocking client stuck reconnecting, isRunning() still true),
 * so the supervisor does not trust them: a worker that is not running, or that idles while its
 * queue holds jobs older than WORKER_STALL_SECONDS, is closed and replaced. It also re-upserts
 * the job schedulers each minute, and at once when a marker key it leaves in Redis is gone: a
 * Redis that lost its data gets its schedulers (the SLA and batch sweeps) back within a tick.
 */
@Injectable()
export class WorkerSupervisor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Workers');
  private readonly outage = new OutageLog(
    'A dependency of the jobs (PostgreSQL or Redis)',
    this.logger,
  );
  private readonly workers = new Map<QueueName, Supervised>();
  private timer?: NodeJS.Timeout;
  private lastSchedulesAt = 0;
  private stopping = false;
  private ticking = false;

  constructor(
    private readonly env: Env,
    private readonly runtime: WorkerRuntime,
    private readonly discovery: DiscoveryService,
    private readonly queues: QueueRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runtime.enabled) return;
    for (const wrapper of this.discovery.getProviders({ metadataKey: Processor.KEY })) {
      const queue = this.discovery.getMetadataByDecorator(Processor, wrapper) as QueueName;
      this.start(queue, wrapper.instance as QueueProcessor<QueueName>);
    }
    const missing = [...new Set(Object.values(JOB_QUEUE))].filter((q) => !this.workers.has(q));
    if (missing.length > 0) throw new Error(`No processor for queue(s): ${missing.join(', ')}`);
    void this.upsertSchedules();
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Waits for jobs in flight, then closes every worker. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.workers.values()].map((s) => s.worker.close()));
  }

  /** The live worker of a queue, for health reporting and tests. */
  worker(queue: QueueName): Worker | undefined {
    return this.workers.get(queue)?.worker;
  }

  /** Restarts, per queue, since this process started. */
  restarts(): Record<string, number> {
    return Object.fromEntries([...this.workers].map(([q, s]) => [q, s.restarts]));
  }

  private start(queue: QueueName, processor: QueueProcessor<QueueName>, restarts = 0): void {
    const worker = new Worker(queue, (job: Job) => this.run(queue, job), {
      // Workers block on Redis and must keep retrying: BullMQ needs maxRetriesPerRequest null.
      connection: {
        url: this.env.REDIS_URL,
        maxRetriesPerRequest: null,
        connectTimeout: 5_000,
        retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
      },
      prefix: this.env.QUEUE_PREFIX,
      concurrency: QUEUE_CONCURRENCY[queue],
      autorun: true,
      // A dead worker's job is taken over once its lock lapses, found by a check every half
      // lock: within 1.5 locks (12 s by default). Jobs are guarded in PostgreSQL, so one
      // wrongly thought stalled (a starved event loop) runs again harmlessly: allow several.
      lockDuration: this.env.JOB_LOCK_SECONDS * 1000,
      stalledInterval: Math.max(500, (this.env.JOB_LOCK_SECONDS * 1000) / 2),
      maxStalledCount: 5,
    });
    const supervised: Supervised = {
      queue,
      processor,
      worker,
      active: 0,
      lastProgressAt: Date.now(),
      restarts,
    };
    worker.on('error', (error) => this.logger.debug(`Worker ${queue}: ${error.message}`));
    worker.on('failed', (job, error) => {
      // A database or Redis outage fails every job for a while: one line for all of them.
      if (isDependencyUnavailable(error)) this.outage.failed(error.message);
      else this.logger.warn(`Job ${queue}/${job?.name} ${job?.id} failed: ${error.message}`);
    });
    worker.on('completed', () => this.outage.succeeded());
    this.workers.set(queue, supervised);
  }

  private async run(queue: QueueName, job: Job): Promise<unknown> {
    const supervised = this.workers.get(queue);
    if (!supervised) throw new Error(`No worker for ${queue}`);
    supervised.active += 1;
    supervised.lastProgressAt = Date.now();
    try {
      return await supervised.processor.process(job as never);
    } finally {
      supervised.active -= 1;
      supervised.lastProgressAt = Date.now();
    }
  }

  private async tick(): Promise<void> {
    if (this.stopping || this.ticking) return;
    this.ticking = true;
    try {
      for (const supervised of this.workers.values()) {
        const reason = await this.stallReason(supervised);
        if (reason) await this.restart(supervised, reason);
      }
      if (Date.now() - this.lastSchedulesAt > 60_000 || (await this.redisLostSchedules()))
        await this.upsertSchedules();
    } finally {
      this.ticking = false;
    }
  }

  private async stallReason(s: Supervised): Promise<string | undefined> {
    const stallMs = this.env.WORKER_STALL_SECONDS * 1000;
    const now = Date.now();
    const observed = {
      running: s.worker.isRunning(),
      active: s.active,
      idleForMs: now - s.lastProgressAt,
    };
    let oldestWaitingMs = 0;
    if (needsQueueProbe(observed, stallMs)) {
      try {
        const [oldest] = await this.queues.get(s.queue).getJobs(['wait'], 0, 0, true);
        if (oldest) oldestWaitingMs = now - (oldest.timestamp + (oldest.delay ?? 0));
      } catch {
        // Redis unreachable from here too: nothing to conclude yet.
      }
    }
    return stallReason({ ...observed, oldestWaitingMs }, stallMs);
  }

  private async restart(s: Supervised, reason: string): Promise<void> {
    if (this.stopping) return;
    this.logger.warn(`Restarting the ${s.queue} worker: ${reason}`);
    this.workers.delete(s.queue);
    this.start(s.queue, s.processor, s.restarts + 1);
    // Only an idle or stopped worker is replaced, so forcing its close abandons no job.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      s.worker.close(true),
      new Promise((resolve) => (timer = setTimeout(resolve, 5_000))),
    ]).catch(() => undefined);
    clearTimeout(timer);
  }

  private markerKey(): string {
    return `${this.env.QUEUE_PREFIX}:schedulers-upserted`;
  }

  /** The marker written after the last upsert is gone: Redis lost its data (or was replaced). */
  private async redisLostSchedules(): Promise<boolean> {
    try {
      return (await this.queues.connection.exists(this.markerKey())) === 0;
    } catch {
      return false;
    }
  }

  private async upsertSchedules(): Promise<void> {
    try {
      for (const schedule of JOB_SCHEDULES) {
        await this.queues
          .get(JOB_QUEUE[schedule.item.name])
          .upsertJobScheduler(
            schedule.id,
            { every: schedule.everyMs },
            { name: schedule.item.name, data: schedule.item.data },
          );
      }
      await this.queues.connection.set(this.markerKey(), String(Date.now()));
      this.lastSchedulesAt = Date.now();
    } catch (error) {
      this.logger.debug(`Job schedulers not upserted yet: ${(error as Error).message}`);
    }
  }
}
