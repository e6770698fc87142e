import { Client } from 'pg';
import { bootApp, eventually, type TestApp } from '../helpers/app';
import { OwnRedis } from '../helpers/redis-server';

describe('health', () => {
  let redis: OwnRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await bootApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('is ready when PostgreSQL and Redis answer', async () => {
    const res = await t.http.get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info).toMatchObject({ postgresql: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers 503 naming Redis while Redis is unreachable, stays live, and recovers', async () => {
    await redis.kill();
    const down = await eventually(
      async () => {
        const res = await t.http.get('/health/ready');
        return res.status === 503 ? res : undefined;
      },
      10_000,
      'readiness to fail',
    );
    expect(down.body.status).toBe('error');
    expect(down.body.detail).toBe('Redis is unreachable');
    expect(down.body.error).toHaveProperty('redis.status', 'down');
    expect(down.body.error).not.toHaveProperty('postgresql');
    expect(down.body.info).toHaveProperty('postgresql.status', 'up');

    const live = await t.http.get('/health/live');
    expect(live.status).toBe(200);

    await redis.start();
    await eventually(
      async () => (await t.http.get('/health/ready')).status === 200,
      15_000,
      'readiness to recover',
    );
  });
});

describe('health with PostgreSQL unreachable', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  it('answers 503 naming PostgreSQL when its pool cannot reach the server', async () => {
    // Terminate this app's database sessions and refuse new ones, as a server going away.
    const dbName = t.env.DATABASE_URL.split('/').pop()!;
    const admin = new Client({
      connectionString: t.env.DATABASE_URL.replace(/\/[^/]+$/, '/postgres'),
    });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${dbName}" WITH ALLOW_CONNECTIONS false`);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`,
        [dbName],
      );
      const res = await eventually(
        async () => {
          const r = await t.http.get('/health/ready');
          return r.status === 503 ? r : undefined;
        },
        10_000,
        'readiness to fail',
      );
      expect(res.body.detail).toBe('PostgreSQL is unreachable');
      expect(res.body.error).toHaveProperty('postgresql.status', 'down');
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await eventually(
      async () => (await t.http.get('/health/ready')).status === 200,
      15_000,
      'recovery',
    );
  });
});
