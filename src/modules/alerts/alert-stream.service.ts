import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Client } from 'pg';
import { Env } from '../../config/env';
import {
  type AlertFilter,
  type AlertRow,
  AlertsRepository,
  type StreamPosition,
} from './alerts.repository';

const POLL_MS = 2_000;
/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
const BATCH = 500;

export interface Subscriber {
  filter: AlertFilter;
  send(alert: AlertRow): void;
  close(): void;
}

interface Entry extends Subscriber {
  /** Live alerts held back while the subscriber's replay runs; null once it is live. */
  held: AlertRow[] | null;
}

function wanted(filter: AlertFilter, a: AlertRow): boolean {
  return (
    (!filter.kind || a.kind === filter.kind) &&
    (!filter.state || a.state === filter.state) &&
    (!filter.country || a.country === filter.country) &&
    (!filter.carrierId || a.carrier_id === filter.carrierId) &&
    (!filter.shipmentId || a.shipment_id === filter.shipmentId) &&
    (!filter.requestId || a.request_id === filter.requestId)
  );
}

/** The Server-Sent Events id of an alert: its place in the stream. */
export function streamId(alert: Pick<AlertRow, 'tx_id' | 'seq'>): string {
  return `${alert.tx_id}-${alert.seq}`;
}

export function parseStreamId(id: string): StreamPosition | undefined {
  const m = /^(\d{1,20})-(\d{1,19})$/.exec(id);
  return m ? { tx: m[1], seq: m[2] } : undefined;
}

/**
 * Feeds the live alert streams of this process. While anyone listens it holds one LISTEN
 * connection: each NOTIFY (sent at the commit of new alerts) makes it read, once for all
 * subscribers, the alerts that became final since its position (see AlertsRepository.since);
 * a poll covers a lost connection and transactions that were still running.
 */
@Injectable()
export class AlertStream implements OnModuleDestroy {
  private readonly logger = new Logger('AlertStream');
  private readonly subscribers = new Set<Entry>();
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private position?: StreamPosition;
  private starting?: Promise<void>;
  private reading?: Promise<void>;
  private again = false;

  constructor(
    private readonly env: Env,
    private readonly alerts: AlertsRepository,
  ) {}

  /**
   * Follows new alerts; with `after` (a reconnecting client's Last-Event-ID) it first replays
   * what came after it. Live alerts arriving meanwhile wait until the replay is sent.
   */
  /**
   * Serves a subscription as Server-Sent Events on a raw HTTP response, until the client goes:
   * `retry` hint, a heartbeat, each alert written by `format` (one SSE message). A database
   * failure mid-replay ends the stream; the client reconnects and resumes.
   */
  async serve(
    raw: ServerResponse,
    options: {
      filter: AlertFilter;
      after?: StreamPosition;
      retryMs: number;
      headers?: Record<string, string>;
      format: (alert: AlertRow) => string;
    },
  ): Promise<void> {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...options.headers,
    });
    raw.write(`retry: ${options.retryMs}\n\n`);
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
    });
    try {
      unsubscribe = await this.subscribe(
        {
          filter: options.filter,
          send: (alert) => {
            if (!closed) raw.write(options.format(alert));
          },
          // Lifeline is shutting down: tell the client, which reconnects (elsewhere).
          close: () => raw.end('event: shutdown\ndata: {"reconnect":true}\n\n'),
        },
        options.after,
      );
      if (closed) unsubscribe();
    } catch {
      raw.end();
    }
  }

  async subscribe(subscriber: Subscriber, after?: StreamPosition): Promise<() => void> {
    this.starting ??= this.start().catch((error: Error) => {
      this.starting = undefined;
      throw error;
    });
    await this.starting;
    const entry: Entry = { ...subscriber, held: after ? [] : null };
    const upTo = this.position!;
    this.subscribers.add(entry);
    const unsubscribe = () => {
      this.subscribers.delete(entry);
      if (this.subscribers.size === 0) this.stop();
    };
    if (!after) return unsubscribe;
    try {
      let from = after;
      for (;;) {
        const rows = await this.alerts.since(from, subscriber.filter, BATCH, upTo);
        for (const row of rows) subscriber.send(row);
        if (rows.length < BATCH) break;
        from = { tx: rows[rows.length - 1].tx_id, seq: rows[rows.length - 1].seq };
      }
      for (const row of entry.held!) subscriber.send(row);
      entry.held = null;
      return unsubscribe;
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }

  onModuleDestroy(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
    this.stop();
  }

  private async start(): Promise<void> {
    this.position = await this.alerts.horizon();
    this.timer = setInterval(() => this.read(), POLL_MS);
    this.timer.unref();
    const client = new Client({ connectionString: this.env.DATABASE_URL });
    client.on('notification', () => this.read());
    client.on('error', (error: Error) => {
      this.logger.warn(`Alert listener lost (${error.message}); polling every ${POLL_MS} ms`);
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query('LISTEN alerts');
      this.listener = client;
    } catch (error) {
      this.logger.warn(`Alert listener failed (${(error as Error).message}); polling`);
      client.end().catch(() => undefined);
    }
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    void this.listener?.end().catch(() => undefined);
    this.listener = undefined;
    this.starting = undefined;
  }

  private read(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain()
      .catch((error: Error) => this.logger.warn(`Reading new alerts failed: ${error.message}`))
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.read();
        }
      });
  }

  private async drain(): Promise<void> {
    while (this.subscribers.size > 0 && this.position) {
      const rows = await this.alerts.since(this.position, {}, BATCH);
      for (const row of rows) {
        for (const entry of this.subscribers) {
          if (!wanted(entry.filter, row)) continue;
          if (entry.held) entry.held.push(row);
          else entry.send(row);
        }
        this.position = { tx: row.tx_id, seq: row.seq };
      }
      if (rows.length < BATCH) return;
    }
  }
}
