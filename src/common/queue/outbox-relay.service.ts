import { OutageLog } from '../outage-log';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from 'pg';
import { Env } from '../../config/env';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import { QueueRegistry } from './queue-registry.service';
import { assertValidJobId, QUEUE_NAMES, type QueueName } from './jobs';

const BATCH = 500;
const POLL_MS = 1_000;
const SEND_TIMEOUT_MS = 3_000;

export function jobIdFor(row: Pick<OutboxRow, 'id' | 'jobId'>): string {
  return assertValidJobId(row.jobId ?? `outbox-${row.id}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox rows to BullMQ. Every process runs one: a NOTIFY on insert wakes it at
 * once, a poll catches anything missed, and FOR UPDATE SKIP LOCKED shares the rows between
 * processes. Job ids are deterministic, so a row relayed twice (crash between add and commit)
 * is one job.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  /** The LISTEN connection: while it is away the relay polls every second. */
  private readonly listenerOutage = new OutageLog('The outbox listener (PostgreSQL)', this.logger);
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly env: Env,
    private readonly outbox: OutboxRepository,
    private readonly queues: QueueRegistry,
  ) {}

  onApplicationBootstrap(): void {
    void this.listen();
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * Relays now (or right after the pass under way). The poll `peeks` first: most polls find
   * nothing, and one statement says so where a relay pass takes a transaction of three.
   */
  kick(peek = false): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain(peek).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once every row committed before the call has been handed to Redis. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.drain();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.kick(this.failures === 0);
      this.schedule(this.failures > 0 ? Math.min(500 * 2 ** this.failures, 10_000) : POLL_MS);
    }, ms);
    this.timer.unref();
  }

  private async drain(peek = false): Promise<void> {
    try {
      if (peek && !(await this.outbox.anyUnsent())) return;
      while (!this.stopped) {
        const sent = await this.outbox.relayBatch(BATCH, (rows) => this.send(rows));
        if (this.failures > 0) this.logger.log('Outbox relay resumed');
        this.failures = 0;
        if (sent < BATCH) return;
      }
    } catch (error) {
      this.failures = Math.min(this.failures + 1, 5);
      const message = (error as Error).message;
      if (this.failures === 1) this.logger.warn(`Outbox relay paused: ${message}`);
    }
  }

  /** Adds the rows' jobs to their queues; returns the ids added. */
  private async send(rows: OutboxRow[]): Promise<string[]> {
    const byQueue = new Map<QueueName, OutboxRow[]>();
    for (const row of rows) {
      if (!(QUEUE_NAMES as readonly string[]).includes(row.queue)) {
        // Written by a newer version of Lifeline (a rolling deploy): that version relays it.
        this.logger.warn(
          `Outbox row ${row.id} is for unknown queue ${row.queue}; left for another process`,
        );
        continue;
      }
      const list = byQueue.get(row.queue as QueueName) ?? [];
      list.push(row);
      byQueue.set(row.queue as QueueName, list);
    }
    const now = Date.now();
    await withTimeout(
      Promise.all(
        [...byQueue].map(([queue, list]) =>
          this.queues.get(queue).addBulk(
            list.map((row) => ({
              name: row.jobName,
              data: row.payload,
              opts: {
                jobId: jobIdFor(row),
                delay: row.runAt ? Math.max(0, new Date(row.runAt).getTime() - now) : undefined,
              },
            })),
          ),
        ),
      ),
      SEND_TIMEOUT_MS,
      'Adding jobs to Redis',
    );
    return [...byQueue.values()].flat().map((r) => r.id);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.env.DATABASE_URL });
    let retrying = false;
    const retry = (reason: string) => {
      if (retrying) return;
      retrying = true;
      this.listener = undefined;
      this.listenerOutage.failed(reason);
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 2_000).unref();
    };
    client.on('notification', () => this.kick());
    client.on('error', (error: Error) => retry(error.message));
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      this.listener = client;
      this.listenerOutage.succeeded();
      if (this.stopped) await client.end();
    } catch (error) {
      retry((error as Error).message);
    }
  }
}
