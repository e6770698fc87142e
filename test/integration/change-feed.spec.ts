import { Client } from 'pg';
import { ChangeCache, ChangeFeed } from '../../src/common/db/change-feed';
import { validateEnv } from '../../src/config/env';
import { eventually } from '../helpers/app';

describe('change feed and the caches it clears', () => {
  let feed: ChangeFeed;
  let db: Client;

  beforeAll(async () => {
    feed = new ChangeFeed(validateEnv(process.env));
    feed.onApplicationBootstrap();
    await eventually(async () => feed.live);
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await feed.onApplicationShutdown();
    await db.end();
  });

  it('serves a kept value without reading again until its table changes in PostgreSQL', async () => {
    const cache = new ChangeCache<string, number>(feed, 'sla_policies');
    let reads = 0;
    const load = async () => ++reads;
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    await db.query(`UPDATE sla_policies SET name = name WHERE false`);
    await eventually(async () => (await cache.get('k', load)) === 2);
    expect(reads).toBe(2);
  });

  it("ignores another table's changes", async () => {
    const cache = new ChangeCache<string, number>(feed, 'api_keys');
    let reads = 0;
    const load = async () => ++reads;
    await cache.get('k', load);
    await db.query(`UPDATE sla_policies SET name = name WHERE false`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cache.get('k', load)).toBe(1);
  });

  it('does not keep a value read while the table changed', async () => {
    const cache = new ChangeCache<string, number>(feed, 'api_keys');
    let reads = 0;
    const racing = cache.get('k', async () => {
      const value = ++reads;
      cache.clear(); // the change lands while this read is on its way
      return value;
    });
    expect(await racing).toBe(1);
    expect(await cache.get('k', async () => ++reads)).toBe(2);
  });

  it('keeps only what `keep` accepts, such as known keys', async () => {
    const cache = new ChangeCache<string, number | null>(feed, 'api_keys');
    let reads = 0;
    const load = async () => (++reads, null);
    await cache.get('unknown', load, (v) => v !== null);
    await cache.get('unknown', load, (v) => v !== null);
    expect(reads).toBe(2);
  });

  it('keeps nothing while the feed is down, and starts afresh when it is back', async () => {
    const cache = new ChangeCache<string, number>(feed, 'sla_policies');
    let reads = 0;
    const load = async () => ++reads;
    await cache.get('k', load);
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN lifeline_changes'`,
    );
    await eventually(async () => !feed.live);
    const before = reads;
    await cache.get('k', load);
    await cache.get('k', load);
    expect(reads).toBe(before + 2);
    await eventually(async () => feed.live, 10_000);
    const back = await cache.get('k', load);
    expect(await cache.get('k', load)).toBe(back);
  });
});

describe('alerts stored wake the live streams', () => {
  it('notifies `alerts` once per storing statement, and not when nothing was stored', async () => {
    const listener = new Client({ connectionString: process.env.DATABASE_URL });
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await listener.connect();
    await db.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.channel));
      await listener.query('LISTEN alerts');
      const insert = `INSERT INTO alerts (kind, dedupe_key, severity, reference, title, cause_at)
        SELECT 'tracking_stale', k, 'warning', 'SHP-000001', 'x', now() FROM unnest($1::text[]) k
        ON CONFLICT DO NOTHING`;
      await db.query(insert, [['wake-1', 'wake-2']]);
      await eventually(async () => heard.length === 1);
      await db.query(insert, [['wake-1']]); // stores nothing: its cause has an alert
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heard).toEqual(['alerts']);
    } finally {
      await listener.end();
      await db.end();
    }
  });
});
