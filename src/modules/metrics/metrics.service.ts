import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { onEachConnection } from '../../common/db/pool-clients';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OutboxService } from '../../common/queue/outbox.service';
import { QueueRegistry } from '../../common/queue/queue-registry.service';
import { WorkerSupervisor } from '../../common/queue/worker-supervisor.service';
import { Clock } from '../../common/clock';
import { MetricsRepository } from './metrics.repository';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * Prometheus metrics. Each app instance owns its registry, so two apps in one process (tests)
 * never share or double-register a metric.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(
    queues: QueueRegistry,
    outbox: OutboxService,
    workers: WorkerSupervisor,
    db: MetricsRepository,
    clock: Clock,
    dataSource: DataSource,
  ) {
    collectDefaultMetrics({ register: this.registry });
    countRoundTrips(
      dataSource,
      new Counter({
        name: 'lifeline_db_round_trips_total',
        help: 'Statements this process sent to PostgreSQL (each one a round trip)',
        registers: [this.registry],
      }),
    );
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    new Gauge({
      name: 'lifeline_queue_jobs',
      help: 'BullMQ jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues.all()) {
          const counts = await queue.getJobCounts(...JOB_STATES).catch(() => undefined);
          if (!counts) continue;
          for (const state of JOB_STATES)
            this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
    const backlog = () => outbox.backlog().catch(() => ({ count: NaN, oldestAgeSeconds: NaN }));
    new Gauge({
      name: 'lifeline_outbox_backlog',
      help: 'Outbox rows committed but not yet relayed to Redis',
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).count);
      },
    });
    new Gauge({
      name: 'lifeline_outbox_oldest_age_seconds',
      help: 'Age of the oldest outbox row not yet relayed to Redis',
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'lifeline_sla_clocks_open',
      help: 'Open SLA clocks by state now (running, at_risk, breaching, paused)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const state of ['running', 'at_risk', 'breaching', 'paused']) this.set({ state }, 0);
        for (const row of await db.openClocks(clock.now()).catch(() => []))
          this.set({ state: row.state }, row.count);
      },
    });
    new Gauge({
      name: 'lifeline_alerts_unresolved',
      help: 'Alerts not resolved yet, by kind and state (open, acknowledged)',
      labelNames: ['kind', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await db.unresolvedAlerts().catch(() => []))
          this.set({ kind: row.kind, state: row.state }, row.count);
      },
    });
    const webhooks = () =>
      db.pendingWebhooks().catch(() => ({ count: NaN, oldestAgeSeconds: NaN }));
    new Gauge({
      name: 'lifeline_webhook_deliveries_pending',
      help: 'Webhook messages not delivered yet (first attempt or retries to come)',
      registers: [this.registry],
      async collect() {
        this.set((await webhooks()).count);
      },
    });
    new Gauge({
      name: 'lifeline_webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest webhook message not delivered yet',
      registers: [this.registry],
      async collect() {
        this.set((await webhooks()).oldestAgeSeconds);
      },
    });
    new Counter({
      name: 'lifeline_worker_restarts_total',
      help: 'Workers the supervisor replaced because they stalled',
      labelNames: ['queue'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [queue, n] of Object.entries(workers.restarts())) this.inc({ queue }, n);
      },
    });
  }
}

/** Counts every statement sent on the pool's connections. */
function countRoundTrips(dataSource: DataSource, counter: Counter): void {
  onEachConnection(dataSource, (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
      counter.inc();
      return query(...args);
    };
  });
}
