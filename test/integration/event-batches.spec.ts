import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import { makeKey, makePlannedShipment } from '../helpers/factories';
import { spawnEntry } from '../helpers/process';
import { journeyEvents, seedShipments } from '../helpers/seed';
import { OwnRedis } from '../helpers/redis-server';
import { OutboxRelay } from '../../src/common/queue/outbox-relay.service';
import { EventBatchesService } from '../../src/modules/shipments/event-batches.service';

async function waitForBatch(t: TestApp, key: string, id: string, timeoutMs = 60_000) {
  return eventually(
    async () => {
      const res = await t.http.get(`/api/v1/shipment-events/batches/${id}`).set(bearer(key));
      return res.body.status === 'completed' ? res.body : undefined;
    },
    timeoutMs,
    `batch ${id} to complete`,
  );
}

describe('batches of carrier events', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await bootApp();
    operator = await makeKey(t, 'operator');
  });
  afterAll(() => t.close());

  it('applies 10,000 events, then the same batch again with no change', async () => {
    const { shipments } = await seedShipments(t.dataSource, 1000);
    const events = journeyEvents(shipments);
    expect(events).toHaveLength(10_000);

    const accepted = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({ events });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'processing', total: 10_000 });
    const done = await waitForBatch(t, operator, accepted.body.id);
    expect(done).toMatchObject({
      total: 10_000,
      applied: 10_000,
      rejected: 0,
      duplicate: 0,
      pending: 0,
    });

    const ids = shipments.map((s) => s.id);
    const states = await t.dataSource.query(
      `SELECT id, status, version, dispatched_at, delivered_at FROM shipments WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(states.every((s: any) => s.status === 'delivered')).toBe(true);
    expect(
      states.every((s: any) => s.dispatched_at.toISOString() === '2020-03-21T00:00:00.000Z'),
    ).toBe(true);
    const [{ n: stored }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM shipment_events WHERE shipment_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(stored).toBe(10_000);

    const again = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({ events });
    expect(again.status).toBe(202);
    const redone = await waitForBatch(t, operator, again.body.id);
    expect(redone).toMatchObject({ applied: 0, duplicate: 10_000, rejected: 0 });
    const after = await t.dataSource.query(
      `SELECT status, version FROM shipments WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(after).toEqual(
      expect.arrayContaining(
        states.map((s: any) => expect.objectContaining({ version: s.version })),
      ),
    );
    const [{ n: storedAgain }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM shipment_events WHERE shipment_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(storedAgain).toBe(10_000);
    // Quantities rolled up once: 1,000 shipments of one unit each, delivered once.
    const [line] = await t.dataSource.query(
      `SELECT rl.dispatched, rl.delivered, r.status FROM request_lines rl JOIN requests r ON r.id = rl.request_id
        WHERE rl.request_id = (SELECT o.request_id FROM shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
                                 JOIN orders o ON o.id = ol.order_id WHERE si.shipment_id = $1)`,
      [ids[0]],
    );
    expect(line).toEqual({ dispatched: 1000, delivered: 1000, status: 'delivered' });
  }, 120_000);

  it('reports each refused event with its reason, and applies the rest', async () => {
    const { shipment } = await makePlannedShipment(t);
    const accepted = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({
        events: [
          { shipmentId: shipment.id, status: 'dispatched', occurredAt: '2020-03-21T00:00:00Z' },
          {
            trackingReference: 'NO-SUCH-REF',
            status: 'dispatched',
            occurredAt: '2020-03-21T00:00:00Z',
          },
          { shipmentId: shipment.id, status: 'booked', occurredAt: '2020-03-22T00:00:00Z' },
          { shipmentId: shipment.id, status: 'in_transit', occurredAt: '2150-01-01T00:00:00Z' },
          { shipmentId: randomUUID(), status: 'dispatched', occurredAt: '2020-03-21T00:00:00Z' },
          { status: 'dispatched', occurredAt: '2020-03-21T00:00:00Z' },
        ],
      });
    expect(accepted.status).toBe(202);
    const done = await waitForBatch(t, operator, accepted.body.id);
    expect(done).toMatchObject({ total: 6, applied: 1, rejected: 5 });
    const reasons = Object.fromEntries(done.rejections.map((r: any) => [r.index, r.reason]));
    expect(reasons[1]).toContain('no shipment with tracking reference NO-SUCH-REF');
    expect(reasons[2]).toContain('cannot become booked');
    expect(reasons[3]).toContain('events[3].occurredAt: must not be in the future');
    expect(reasons[4]).toContain('no shipment');
    expect(reasons[5]).toContain('names no shipment');
  });

  it('refuses a batch over 10,000 events, naming the field', async () => {
    const event = {
      trackingReference: 'X',
      status: 'dispatched',
      occurredAt: '2020-03-21T00:00:00Z',
    };
    const res = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({ events: Array(10_001).fill(event) });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field)).toContain('events');
  });
});

describe('a batch whose worker is killed mid-way', () => {
  let api: TestApp;
  let operator: string;

  beforeAll(async () => {
    api = await bootApp({}, { workers: false });
    operator = await makeKey(api, 'operator');
  });
  afterAll(() => api.close());

  it('still ends with every event applied exactly once', async () => {
    const { shipments } = await seedShipments(api.dataSource, 1000);
    const worker = spawnEntry('worker', {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    });
    await eventually(
      async () => worker.output().includes('Lifeline workers running'),
      20_000,
      'the worker to start',
    );

    // Hold a few shipments locked so the part that carries them is mid-transaction when the
    // worker dies, however fast the other parts go.
    const blocker = new Client({ connectionString: process.env.DATABASE_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM shipments WHERE id = ANY($1::uuid[]) FOR UPDATE`, [
      shipments.slice(0, 5).map((s) => s.id),
    ]);
    const accepted = await api.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({ events: journeyEvents(shipments) });
    expect(accepted.status).toBe(202);
    const batchId = accepted.body.id;
    const progress = async () =>
      (await api.http.get(`/api/v1/shipment-events/batches/${batchId}`).set(bearer(operator))).body;
    await eventually(
      async () => (await progress()).applied >= 1000,
      30_000,
      'the worker to apply some events',
    );
    // Another worker runs beside it, as in production.
    const rescue = await bootApp({});
    worker.child.kill('SIGKILL');
    const killedAt = Date.now();
    await worker.exited;
    await blocker.query('ROLLBACK');
    await blocker.end();
    const atKill = await progress();
    expect(atKill.pending).toBeGreaterThan(0);
    expect(atKill.applied).toBeGreaterThan(0);

    // The survivor takes over the abandoned jobs once their locks lapse (default settings).
    try {
      const done = await waitForBatch(rescue, operator, batchId, 90_000);
      const finishedMs = Date.now() - killedAt;
      process.stdout.write(
        `killed worker: its batch finished by the survivor ${finishedMs} ms after the kill\n`,
      );
      expect(finishedMs).toBeLessThan(15_000);
      expect(done).toMatchObject({
        total: 10_000,
        applied: 10_000,
        duplicate: 0,
        rejected: 0,
        pending: 0,
      });
      const [{ n }] = await api.dataSource.query(
        `SELECT count(*)::int AS n FROM shipment_events WHERE batch_id = $1`,
        [batchId],
      );
      expect(n).toBe(10_000);
      const delivered = await api.dataSource.query(
        `SELECT count(*)::int AS n FROM shipments WHERE id = ANY($1::uuid[]) AND status = 'delivered'`,
        [shipments.map((s) => s.id)],
      );
      expect(delivered[0].n).toBe(1000);
    } finally {
      await rescue.close();
    }
  }, 180_000);
});

describe('a batch whose jobs Redis lost', () => {
  let redis: OwnRedis;
  let api: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    api = await bootApp({ REDIS_URL: redis.url }, { workers: false });
  });
  afterAll(async () => {
    await api.close();
    await redis.kill();
  });

  it('is queued again by the sweep from PostgreSQL and applied once', async () => {
    const operator = await makeKey(api, 'operator');
    const { shipments } = await seedShipments(api.dataSource, 20);
    const accepted = await api.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({ events: journeyEvents(shipments) });
    expect(accepted.status).toBe(202);
    await api.app.get(OutboxRelay).flush();
    const [{ n: unsent }] = await api.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`,
    );
    expect(unsent).toBe(0);

    // Redis restarts empty: the relayed jobs are gone, PostgreSQL still has the batch.
    await redis.kill();
    await redis.start();
    const workers = await bootApp({ REDIS_URL: redis.url });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const stuck = await workers.http
        .get(`/api/v1/shipment-events/batches/${accepted.body.id}`)
        .set(bearer(operator));
      expect(stuck.body).toMatchObject({ status: 'processing', pending: 200 });

      const swept = await workers.app.get(EventBatchesService).resumeStalled(0);
      expect(swept.parts).toBeGreaterThan(0);
      const done = await waitForBatch(workers, operator, accepted.body.id, 30_000);
      expect(done).toMatchObject({ total: 200, applied: 200, duplicate: 0, pending: 0 });
      // A second sweep finds nothing left to do.
      expect(await workers.app.get(EventBatchesService).resumeStalled(0)).toEqual({ parts: 0 });
    } finally {
      await workers.close();
    }
  });
});
