import type { Job } from 'bullmq';

/**
 * Every queue, every job and its payload, in one place. Adding a job means adding its payload
 * here and its queue to JOB_QUEUE; forgetting either fails to compile.
 */
export const QUEUE_NAMES = [
  'maintenance',
  'shipment-events',
  'sla',
  'webhooks',
  'lifecycle-webhooks',
  'reports',
  'notifications',
] as const;
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
  /** Starts the SLA clocks of requests and shipments older than the clocks (queued once). */
  'backfill-sla-clocks': Record<string, never>;
  /** Wakes at an instant when SLA clocks owe alerts; raises every alert due by then. */
  'fire-sla-alerts': { at: string };
  /** Raises any SLA alert past its instant (the wake-up lost with Redis's data, say). */
  'sweep-sla-alerts': Record<string, never>;
  /** Raises and resolves tracking_stale and eta_overdue alerts. */
  'sweep-shipment-alerts': Record<string, never>;
  /** Sends a subscription's due alert (and test) messages, in batches (a failure schedules a retry). */
  'deliver-webhooks': { subscriptionId: string };
  /**
   * Sends a subscription's due lifecycle messages, on a queue of their own: a carrier feed of
   * thousands of events never holds a worker an alert is waiting for.
   */
  'deliver-lifecycle-webhooks': { subscriptionId: string };
  /** Queues again the webhook messages whose attempt is overdue (jobs lost with Redis's data). */
  'resume-webhook-deliveries': { overdueSeconds: number };
  /** Turns the requests and shipments changed since the last run into report facts and cells. */
  'refresh-report-rollups': Record<string, never>;
  /** Sends the email messages due now (queued with each, and every 15 s for any lost job). */
  'send-notifications': Record<string, never>;
  /** Decides the daily digests whose time has come (once per rule and day). */
  'queue-digests': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE = {
  'purge-outbox': 'maintenance',
  'purge-idempotency-keys': 'maintenance',
  'apply-event-batch': 'shipment-events',
  'resume-event-batches': 'shipment-events',
  'backfill-sla-clocks': 'shipment-events',
  'fire-sla-alerts': 'sla',
  'sweep-sla-alerts': 'sla',
  'sweep-shipment-alerts': 'sla',
  'deliver-webhooks': 'webhooks',
  'deliver-lifecycle-webhooks': 'lifecycle-webhooks',
  'resume-webhook-deliveries': 'webhooks',
  'refresh-report-rollups': 'reports',
  'send-notifications': 'notifications',
  'queue-digests': 'notifications',
} as const satisfies Record<JobName, QueueName>;

/** Jobs each worker runs at once, per queue: webhook deliveries wait on other people's servers. */
export const QUEUE_CONCURRENCY: Record<QueueName, number> = {
  maintenance: 2,
  'shipment-events': 8,
  sla: 4,
  // Each job sends up to 100 messages at once.
  webhooks: 8,
  'lifecycle-webhooks': 4,
  // One refresh at a time does all the work (a lock in PostgreSQL makes others no-ops anyway).
  reports: 1,
  // Each job sends up to 50 messages over a pool of SMTP connections.
  notifications: 4,
};

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
  {
    id: 'sweep-sla-alerts',
    everyMs: 15 * 1000,
    item: { name: 'sweep-sla-alerts', data: {} },
  },
  {
    id: 'sweep-shipment-alerts',
    everyMs: 60 * 1000,
    item: { name: 'sweep-shipment-alerts', data: {} },
  },
  {
    id: 'resume-webhook-deliveries-every-minute',
    everyMs: 60 * 1000,
    item: { name: 'resume-webhook-deliveries', data: { overdueSeconds: 60 } },
  },
  {
    id: 'sweep-notifications',
    everyMs: 15 * 1000,
    item: { name: 'send-notifications', data: {} },
  },
  {
    id: 'queue-digests',
    everyMs: 30 * 1000,
    item: { name: 'queue-digests', data: {} },
  },
  {
    id: 'refresh-report-rollups',
    everyMs: 1000,
    item: { name: 'refresh-report-rollups', data: {} },
  },
];

/** BullMQ refuses ids with ':' and all-digit ids; ours are `<kind>-<key>`. */
export function assertValidJobId(jobId: string): string {
  if (jobId.includes(':') || /^\d+$/.test(jobId) || jobId.length === 0 || jobId.length > 200) {
    throw new Error(`Invalid job id "${jobId}"`);
  }
  return jobId;
}
