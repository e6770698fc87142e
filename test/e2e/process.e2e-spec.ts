import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '../helpers/app';
import { spawnEntry, type Spawned } from '../helpers/process';
import { freePort } from '../helpers/redis-server';

/** The environment a user would set: the test run's services, a free port, an admin key. */
function baseEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
    ...overrides,
  };
}

async function stop(p: Spawned): Promise<void> {
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

describe('the compiled entry points', () => {
  it('refuse to start on a bad configuration value, naming the variable', async () => {
    const p = spawnEntry('main', baseEnv({ PORT: 'eighty', WORKERS: 'sometimes' }));
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output()).toContain('PORT="eighty"');
    expect(p.output()).toContain('WORKERS="sometimes"');
  });

  it('exit within 10 s naming Redis, and how to start it, when Redis is unreachable', async () => {
    const port = await freePort();
    const p = spawnEntry(
      'main',
      baseEnv({ REDIS_URL: `redis://127.0.0.1:${port}`, PORT: String(await freePort()) }),
    );
    const { code, afterMs } = await p.exited;
    expect(code).not.toBe(0);
    expect(afterMs).toBeLessThan(10_000);
    expect(p.output()).toContain(`Redis is not reachable at redis://127.0.0.1:${port}`);
    expect(p.output()).toContain('docker compose up -d');
  });

  it('exit within 10 s naming PostgreSQL when PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const p = spawnEntry(
      'worker',
      baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/lifeline` }),
    );
    const { code, afterMs } = await p.exited;
    expect(code).not.toBe(0);
    expect(afterMs).toBeLessThan(10_000);
    expect(p.output()).toContain(
      `PostgreSQL is not reachable at postgres://postgres@127.0.0.1:${port}/lifeline`,
    );
    expect(p.output()).toContain('docker compose up -d');
  });

  it('creates and migrates a missing database, serves ready, and stops cleanly on SIGTERM', async () => {
    const dbName = `${process.env.LIFELINE_TEST_RUN}_fresh_${randomBytes(3).toString('hex')}`;
    const databaseUrl = process.env.DATABASE_URL!.replace(/\/[^/]+$/, `/${dbName}`);
    const port = await freePort();
    const env = baseEnv({ DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1' });
    const p = spawnEntry('main', env);
    try {
      await eventually(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status ===
          200,
        20_000,
        `readiness (output: ${p.output().slice(-500)})`,
      );
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM typeorm_migrations`);
      await client.end();
      expect(rows[0].n).toBeGreaterThanOrEqual(1);

      const keys = await fetch(`http://127.0.0.1:${port}/api/v1/api-keys`, {
        headers: { authorization: `Bearer ${env.ADMIN_API_KEY}`, 'x-request-id': 'trace-me-42' },
      });
      expect(keys.status).toBe(200);
      expect(keys.headers.get('x-request-id')).toBe('trace-me-42');
      // The request's log line is structured JSON carrying the same id, and no key.
      await eventually(
        async () => p.output().includes('"id":"trace-me-42"'),
        5_000,
        'the request log line',
      );
      const line = p
        .output()
        .split('\n')
        .find((l) => l.includes('"id":"trace-me-42"'))!;
      expect(JSON.parse(line)).toMatchObject({
        req: { id: 'trace-me-42', url: '/api/v1/api-keys' },
        res: { statusCode: 200 },
      });
      expect(line).not.toContain(env.ADMIN_API_KEY);

      p.child.kill('SIGTERM');
      const { code, afterMs } = await p.exited;
      expect(code).toBe(0);
      expect(afterMs).toBeLessThan(30_000);
      expect(p.output()).toContain('SIGTERM received');
    } finally {
      await stop(p);
    }
  });

  it('runs the workers alone with dist/worker.js and stops cleanly on SIGTERM', async () => {
    const p = spawnEntry('worker', baseEnv());
    try {
      await eventually(
        async () => p.output().includes('Lifeline workers running'),
        20_000,
        'the worker to start',
      );
      p.child.kill('SIGTERM');
      const { code } = await p.exited;
      expect(code).toBe(0);
    } finally {
      await stop(p);
    }
  });
});
