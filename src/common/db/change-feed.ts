import {
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from 'pg';
import { Env } from '../../config/env';

/** Tables whose changes every process hears of (the AddChangeFeedAndFactLock migration). */
export type ChangedTable = 'sla_policies' | 'api_keys';

const RETRY_MS = 2_000;
/** Longest a value is served from memory, even if no change was heard (a half-open socket). */
const MAX_AGE_MS = 60_000;

/**
 * One LISTEN connection per process on `lifeline_changes`: a table's triggers notify it at
 * commit, and the caches below drop what they hold. While the connection is down nothing is
 * cached (a change could go unheard), and every cache is dropped when it comes back.
 */
@Injectable()
export class ChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private readonly listeners = new Set<(table: ChangedTable | null) => void>();
  private client?: Client;
  private stopped = false;
  private lost = false;

  constructor(private readonly env: Env) {}

  /** Whether changes are being heard now: a cache may serve only while they are. */
  get live(): boolean {
    return this.client !== undefined;
  }

  /** Calls `listener` with the table that changed, or null when changes may have been missed. */
  subscribe(listener: (table: ChangedTable | null) => void): void {
    this.listeners.add(listener);
  }

  onApplicationBootstrap(): void {
    void this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private tell(table: ChangedTable | null): void {
    for (const listener of this.listeners) listener(table);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.env.DATABASE_URL, keepAlive: true });
    let retrying = false;
    const retry = (reason: string) => {
      if (retrying) return;
      retrying = true;
      if (this.client === client) this.client = undefined;
      this.tell(null);
      if (!this.lost) this.logger.warn(`Change feed lost (${reason}); caches off until it is back`);
      this.lost = true;
      client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), RETRY_MS).unref();
    };
    client.on('notification', (message) => this.tell(message.payload as ChangedTable));
    client.on('error', (error: Error) => retry(error.message));
    client.on('end', () => retry('connection closed'));
    try {
      await client.connect();
      await client.query('LISTEN lifeline_changes');
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      // Whatever changed while no one listened is unknown: start afresh.
      this.tell(null);
      if (this.lost) this.logger.log('Change feed back');
      this.lost = false;
    } catch (error) {
      retry((error as Error).message);
    }
  }
}

/**
 * A value read from PostgreSQL and kept until its table changes (a minute at most: a listener
 * whose socket died silently must not serve forever). A read that raced a change is used
 * once but not kept.
 */
export class ChangeCache<K, V> {
  private readonly values = new Map<K, { value: V; at: number }>();
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    table: ChangedTable,
    private readonly maxEntries = 10_000,
  ) {
    feed.subscribe((changed) => {
      if (changed === null || changed === table) this.clear();
    });
  }

  /** Drops everything: the caller changed the table itself and must read its own change. */
  clear(): void {
    this.generation++;
    this.values.clear();
  }

  async get(key: K, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const kept = this.values.get(key);
    if (this.feed.live && kept && Date.now() - kept.at < MAX_AGE_MS) return kept.value;
    const generation = this.generation;
    const value = await load();
    if (this.feed.live && generation === this.generation && keep(value)) {
      if (this.values.size >= this.maxEntries) this.values.clear();
      this.values.set(key, { value, at: Date.now() });
    }
    return value;
  }
}

@Module({ providers: [ChangeFeed], exports: [ChangeFeed] })
export class ChangeFeedModule {}
