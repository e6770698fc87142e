import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import { makeKey, makePlannedShipment } from '../helpers/factories';
import { OwnRedis } from '../helpers/redis-server';

describe('the API while Redis is down', () => {
  let redis: OwnRedis;
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await bootApp({ REDIS_URL: redis.url, WORKER_STALL_SECONDS: '2' });
    operator = await makeKey(t, 'operator');
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('still takes events and batches, and applies the batch once Redis is back', async () => {
    const { shipment, request } = await makePlannedShipment(t);
    await redis.kill();

    const started = Date.now();
    const single = await t.http
      .post(`/api/v1/shipments/${shipment.id}/events`)
      .set(bearer(operator))
      .send({ status: 'dispatched', occurredAt: '2020-03-23T10:00:00Z' });
    expect(single.status).toBe(201);
    const batch = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({
        events: [
          { shipmentId: shipment.id, status: 'in_transit', occurredAt: '2020-03-24T10:00:00Z' },
          { shipmentId: shipment.id, status: 'delivered', occurredAt: '2020-03-25T10:00:00Z' },
        ],
      });
    expect(batch.status).toBe(202);
    // Producers fail fast: the writes did not wait for Redis.
    expect(Date.now() - started).toBeLessThan(3_000);
    const waiting = await t.http
      .get(`/api/v1/shipment-events/batches/${batch.body.id}`)
      .set(bearer(operator));
    expect(waiting.body).toMatchObject({ status: 'processing', pending: 2 });

    await redis.start();
    const done = await eventually(
      async () => {
        const res = await t.http
          .get(`/api/v1/shipment-events/batches/${batch.body.id}`)
          .set(bearer(operator));
        return res.body.status === 'completed' ? res.body : undefined;
      },
      30_000,
      'the batch to be applied after Redis returned',
    );
    expect(done).toMatchObject({ applied: 2, rejected: 0 });
    const req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req).toMatchObject({ status: 'delivered', firstDispatchAt: '2020-03-23T10:00:00.000Z' });
  });
});
