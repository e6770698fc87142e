import type { Job } from 'bullmq';
import { OutboxService } from '../../src/common/queue/outbox.service';
import { OutboxRelay } from '../../src/common/queue/outbox-relay.service';
import { QueueRegistry } from '../../src/common/queue/queue-registry.service';
import { WorkerSupervisor as WorkerSupervisorToken } from '../../src/common/queue/worker-supervisor.service';
import { bootApp, eventually, type TestApp } from '../helpers/app';
import { OwnRedis } from '../helpers/redis-server';

/**
 * A row relayed 20 h ago: the observable effect of `purge-outbox`. The hourly scheduled purge
 * keeps 24 h and leaves it; the tests' purges keep fewer hours and delete it.
 */
async function insertOldRelayedRow(t: TestApp): Promise<string> {
  const [row] = await t.dataSource.query(
    `INSERT INTO outbox (queue, job_name, payload, created_at, sent_at)
     VALUES ('maintenance', 'purge-outbox', '{"retentionHours":999}', now() - interval '20 hours', now() - interval '20 hours')
     RETURNING id`,
  );
  return String(row.id);
}

async function enqueuePurge(t: TestApp, retentionHours: number): Promise<string> {
  const outbox = t.app.get(OutboxService);
  await t.dataSource.transaction(async (manager) => {
    await outbox.enqueue(manager, { name: 'purge-outbox', data: { retentionHours } });
  });
  const [row] = await t.dataSource.query(
    `SELECT id FROM outbox WHERE job_name = 'purge-outbox' AND payload->>'retentionHours' = $1
      ORDER BY id DESC LIMIT 1`,
    [String(retentionHours)],
  );
  return String(row.id);
}

async function rowExists(t: TestApp, id: string): Promise<boolean> {
  const rows = await t.dataSource.query(`SELECT 1 FROM outbox WHERE id = $1`, [id]);
  return rows.length > 0;
}

describe('transactional outbox', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  it('enqueues nothing when the transaction rolls back', async () => {
    const outbox = t.app.get(OutboxService);
    // Only this job's rows: the app's own sweeps may enqueue others meanwhile.
    const count = `SELECT count(*)::int AS n FROM outbox
                    WHERE job_name = 'purge-outbox' AND payload->>'retentionHours' = '8'`;
    const before = await t.dataSource.query(count);
    await expect(
      t.dataSource.transaction(async (manager) => {
        await outbox.enqueue(manager, { name: 'purge-outbox', data: { retentionHours: 8 } });
        throw new Error('domain change failed');
      }),
    ).rejects.toThrow('domain change failed');
    const after = await t.dataSource.query(count);
    expect(after[0].n).toBe(before[0].n);
  });

  it('relays a committed job to its worker, which does the work', async () => {
    const target = await insertOldRelayedRow(t);
    const id = await enqueuePurge(t, 2);
    const queue = t.app.get(QueueRegistry).get('maintenance');
    const job = await eventually(
      async () => {
        const found = await queue.getJob(`outbox-${id}`);
        return (await found?.isCompleted()) ? found : undefined;
      },
      15_000,
      'the purge job to complete',
    );
    expect(job.returnvalue).toEqual({ purged: expect.any(Number) });
    expect(job.returnvalue.purged).toBeGreaterThanOrEqual(1);
    expect(await rowExists(t, target)).toBe(false);
    const [row] = await t.dataSource.query(`SELECT sent_at FROM outbox WHERE id = $1`, [id]);
    expect(row.sent_at).not.toBeNull();
  });

  it('runs a row relayed twice (a crash before it was marked sent) only once', async () => {
    const id = await enqueuePurge(t, 3);
    const queue = t.app.get(QueueRegistry).get('maintenance');
    const first: Job = await eventually(
      async () => {
        const found = await queue.getJob(`outbox-${id}`);
        return (await found?.isCompleted()) ? found : undefined;
      },
      15_000,
      'the first run',
    );
    // As if the relay died after adding the job but before its commit.
    await t.dataSource.query(`UPDATE outbox SET sent_at = NULL WHERE id = $1`, [id]);
    await t.app.get(OutboxRelay).flush();
    const [row] = await t.dataSource.query(`SELECT sent_at FROM outbox WHERE id = $1`, [id]);
    expect(row.sent_at).not.toBeNull();
    await new Promise((r) => setTimeout(r, 500));
    const again = await queue.getJob(`outbox-${id}`);
    expect(again?.finishedOn).toBe(first.finishedOn);
    expect(again?.attemptsMade).toBe(first.attemptsMade);
  });
});

describe('jobs when Redis goes away', () => {
  let redis: OwnRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await bootApp({ REDIS_URL: redis.url, WORKER_STALL_SECONDS: '2' });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('accepts a write while Redis is down and delivers its job once Redis returns', async () => {
    await redis.kill();
    const target = await insertOldRelayedRow(t);
    const started = Date.now();
    const id = await enqueuePurge(t, 4);
    expect(Date.now() - started).toBeLessThan(1_000);
    // The relay keeps trying and records why it could not send.
    await eventually(
      async () => {
        const [row] = await t.dataSource.query(
          `SELECT attempts, sent_at FROM outbox WHERE id = $1`,
          [id],
        );
        return row.attempts > 0 && row.sent_at === null;
      },
      10_000,
      'a failed relay attempt',
    );

    await redis.start();
    const queue = t.app.get(QueueRegistry).get('maintenance');
    const job = await eventually(
      async () => {
        const found = await queue.getJob(`outbox-${id}`);
        return (await found?.isCompleted()) ? found : undefined;
      },
      30_000,
      'the job to be delivered and run after Redis returned',
    );
    expect(job.returnvalue.purged).toBeGreaterThanOrEqual(1);
    expect(await rowExists(t, target)).toBe(false);
  });

  it('keeps consuming after its Redis restarts', async () => {
    const queue = t.app.get(QueueRegistry).get('maintenance');
    const before = await enqueuePurge(t, 5);
    await eventually(
      async () => (await queue.getJob(`outbox-${before}`))?.isCompleted(),
      15_000,
      'a job before',
    );

    await redis.kill();
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.start();

    const after = await enqueuePurge(t, 6);
    await eventually(
      async () => (await queue.getJob(`outbox-${after}`))?.isCompleted(),
      30_000,
      'a job after the restart',
    );
  });

  it('gets its job schedulers back within seconds when Redis loses its data', async () => {
    const queue = t.app.get(QueueRegistry).get('sla');
    await eventually(
      async () => (await queue.getJobScheduler('sweep-sla-alerts')) !== undefined,
      10_000,
      'the scheduler at start',
    );
    await t.app.get(QueueRegistry).connection.flushall();
    expect(await queue.getJobScheduler('sweep-sla-alerts')).toBeUndefined();
    await eventually(
      async () => (await queue.getJobScheduler('sweep-sla-alerts')) !== undefined,
      10_000,
      'the scheduler after the flush',
    );
  });
});

describe('worker supervisor', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ WORKER_STALL_SECONDS: '1' });
  });
  afterAll(() => t.close());

  it('replaces a worker that stopped running', async () => {
    const supervisor = t.app.get(WorkerSupervisorToken);
    const dead = supervisor.worker('maintenance')!;
    await dead.close();
    const id = await enqueuePurge(t, 7);
    const queue = t.app.get(QueueRegistry).get('maintenance');
    await eventually(
      async () => (await queue.getJob(`outbox-${id}`))?.isCompleted(),
      20_000,
      'the job',
    );
    expect(supervisor.worker('maintenance')).not.toBe(dead);
    expect(supervisor.restarts().maintenance).toBeGreaterThanOrEqual(1);
  });
});
