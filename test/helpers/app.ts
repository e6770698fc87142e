import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import type { Clock } from '../../src/common/clock';
import { type Env, validateEnv } from '../../src/config/env';
import { OutboxRelay } from '../../src/common/queue/outbox-relay.service';
import { OutboxRepository } from '../../src/common/queue/outbox.repository';
import { QueueRegistry } from '../../src/common/queue/queue-registry.service';

export interface TestApp {
  app: NestFastifyApplication;
  env: Env;
  http: TestAgent;
  /** An admin key (ADMIN_API_KEY) for this app. */
  adminKey: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * Boots the whole app in-process, HTTP and workers, configured as `node dist/main.js` is, on
 * this spec file's database and queue prefix.
 */
export async function bootApp(
  overrides: Record<string, string> = {},
  options: { workers?: boolean; clock?: Clock } = {},
): Promise<TestApp> {
  const adminKey = `test-admin-${randomBytes(16).toString('hex')}`;
  const env = validateEnv({
    ...process.env,
    ADMIN_API_KEY: adminKey,
    DB_MIGRATE_ON_START: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    ...overrides,
  });
  const app = await createApp(env, { workers: options.workers ?? true, clock: options.clock });
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    env,
    adminKey,
    http: request(app.getHttpServer()),
    dataSource: app.get(DataSource),
    close: () => app.close(),
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/**
 * Waits until every committed outbox row reached Redis and no job waits or runs. Delayed jobs
 * that are not due (schedulers) do not count.
 */
export async function waitForQueuesDrained(
  app: NestFastifyApplication,
  timeoutMs = 20_000,
): Promise<void> {
  const relay = app.get(OutboxRelay);
  const outbox = app.get(OutboxRepository);
  const queues = app.get(QueueRegistry);
  const deadline = Date.now() + timeoutMs;
  let quietChecks = 0;
  while (quietChecks < 2) {
    if (Date.now() > deadline) throw new Error(`Queues not drained after ${timeoutMs} ms`);
    await relay.flush();
    const { count } = await outbox.backlog();
    const busy = await Promise.all(
      queues.all().map(async (q) => {
        const c = await q.getJobCounts('waiting', 'active', 'prioritized');
        return c.waiting + c.active + c.prioritized;
      }),
    );
    quietChecks = count === 0 && busy.every((n) => n === 0) ? quietChecks + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `probe` until it returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}
