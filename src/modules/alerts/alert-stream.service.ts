import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { Env } from '../../config/env';
import { type AlertFilter, type AlertRow, AlertsRepository } from './alerts.repository';

const POLL_MS = 5_000;
const BATCH = 500;
/**
 * Sequence numbers are taken at insert and become visible at commit, so a lower one may
 * appear after a higher one: each read looks this far back and skips what it already sent.
 */
const LOOKBACK = 1_000n;

interface Subscriber {
  filter: AlertFilter;
  send(alert: AlertRow): void;
  close(): void;
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

/**
 * Feeds the live alert streams of this process. While anyone listens it holds one LISTEN
 * connection: each NOTIFY (sent at the commit of new alerts) makes it read the alerts stored
 * since the last one it saw, once for all subscribers; a poll covers a lost connection.
 */
@Injectable()
export class AlertStream implements OnModuleDestroy {
  private readonly logger = new Logger('AlertStream');
  private readonly subscribers = new Set<Subscriber>();
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private lastSeq?: string;
  private readonly seen = new Set<string>();
  private reading?: Promise<void>;
  private again = false;

  constructor(
    private readonly env: Env,
    private readonly alerts: AlertsRepository,
  ) {}

  /** Replays the alerts after `afterSeq` (a reconnecting client's Last-Event-ID), then follows. */
  async subscribe(subscriber: Subscriber, afterSeq?: string): Promise<() => void> {
    if (this.subscribers.size === 0) await this.start();
    if (afterSeq !== undefined) {
      let seq = afterSeq;
      for (;;) {
        const rows = await this.alerts.since(seq, subscriber.filter, BATCH);
        for (const row of rows) if (BigInt(row.seq) <= BigInt(this.lastSeq!)) subscriber.send(row);
        if (rows.length < BATCH || BigInt(rows[rows.length - 1].seq) >= BigInt(this.lastSeq!))
          break;
        seq = rows[rows.length - 1].seq;
      }
    }
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  onModuleDestroy(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
    this.stop();
  }

  private async start(): Promise<void> {
    this.lastSeq = await this.alerts.lastSeq();
    this.seen.clear();
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
    let from = this.lastSeq === undefined ? undefined : BigInt(this.lastSeq) - LOOKBACK;
    while (from !== undefined && this.subscribers.size > 0) {
      const rows = await this.alerts.since(String(from), {}, BATCH);
      for (const row of rows) {
        if (this.seen.has(row.seq)) continue;
        this.seen.add(row.seq);
        for (const subscriber of this.subscribers) {
          if (wanted(subscriber.filter, row)) subscriber.send(row);
        }
        if (BigInt(row.seq) > BigInt(this.lastSeq!)) this.lastSeq = row.seq;
      }
      const floor = BigInt(this.lastSeq!) - LOOKBACK;
      for (const seq of this.seen) if (BigInt(seq) <= floor) this.seen.delete(seq);
      if (rows.length < BATCH) return;
      from = BigInt(rows[rows.length - 1].seq);
    }
  }
}
