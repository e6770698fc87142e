import type { Job } from 'bullmq';

/**
 * Every queue, every job and its payload, in one place. Adding a job means adding its payload
 * here and its queue to JOB_QUEUE; forgetting either fails to compile.
 */
export const QUEUE_NAMES = ['maintenance', 'shipment-events'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** Deletes outbox rows that were relayed to Redis more than `retentionHours` ago. */
  'purge-outbox': { retentionHours: number };
  /** Deletes Idempotency-Key records older than `retentionHours`. */
  'purge-idempotency-keys': { retentionHours: number };
  /** Applies one part of a carrier feed's batch of status events. */
  'apply-event-batch': { batchId: string; part: number };
  /** Queues again the parts of batches left unfinished (their jobs lost with Redis's data). */
  'resume-event-batches': { olderThanSeconds: number };
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE = {
  'purge-outbox': 'maintenance',
  'purge-idempotency-keys': 'maintenance',
  'apply-event-batch': 'shipment-events',
  'resume-event-batches': 'shipment-events',
} as const satisfies Record<JobName, QueueName>;

/** A job as the outbox stores it and as enqueue() takes it. */
export type JobItem = { [N in JobName]: { name: N; data: JobPayloads[N] } }[JobName];

/** The BullMQ job a processor receives for a given job name. */
export type JobOf<N extends JobName> = Job<JobPayloads[N], unknown, N>;

/** Every job of one queue, as its processor receives it. */
export type QueueJob<Q extends QueueName> = {
  [N in JobName]: (typeof JOB_QUEUE)[N] extends Q ? JobOf<N> : never;
}[JobName];

/** Recurring jobs: the worker supervisor upserts these schedulers at start and every minute. */
export const JOB_SCHEDULES: { id: string; everyMs: number; item: JobItem }[] = [
  {
    id: 'purge-outbox-hourly',
    everyMs: 60 * 60 * 1000,
    item: { name: 'purge-outbox', data: { retentionHours: 24 } },
  },
  {
    id: 'purge-idempotency-keys-hourly',
    everyMs: 60 * 60 * 1000,
    // Kept at least 24 h, as the API promises.
    item: { name: 'purge-idempotency-keys', data: { retentionHours: 25 } },
  },
  {
    id: 'resume-event-batches-every-minute',
    everyMs: 60 * 1000,
    item: { name: 'resume-event-batches', data: { olderThanSeconds: 120 } },
  },
];

/** BullMQ refuses ids with ':' and all-digit ids; ours are `<kind>-<key>`. */
export function assertValidJobId(jobId: string): string {
  if (jobId.includes(':') || /^\d+$/.test(jobId) || jobId.length === 0 || jobId.length > 200) {
    throw new Error(`Invalid job id "${jobId}"`);
  }
  return jobId;
}
