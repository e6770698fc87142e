import { randomUUID } from 'node:crypto';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makePlannedShipment,
} from '../helpers/factories';

const PROBLEM = /^application\/problem\+json/;

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: any },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM);
  expect(res.body).toMatchObject({
    status,
    code,
    type: expect.stringContaining('/problems/'),
    title: expect.any(String),
  });
  expect(typeof res.body.detail).toBe('string');
}

describe('refusals, each as problem+json', () => {
  let t: TestApp;
  let viewer: string;
  let coordinator: string;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    viewer = await makeKey(t, 'viewer');
    coordinator = await makeKey(t, 'coordinator');
  });
  afterAll(() => t.close());

  it('400: names each invalid field of a request, nested ones by path', async () => {
    const res = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({
        recipientCountry: 'Afghanistan',
        organisation: 'MoPH',
        destination: 'AFKBL',
        priority: 'whenever',
        kind: 'donation',
        lines: [{ itemCode: 'MASK', quantity: 0 }],
      });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.map((e: any) => e.field).sort()).toEqual([
      'lines[0].quantity',
      'priority',
      'recipientCountry',
    ]);
  });

  it('400: refuses a quantity past the integer range instead of failing in the database', async () => {
    const item = await makeItem(t);
    const res = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({
        recipientCountry: 'AF',
        organisation: 'MoPH',
        destination: 'AFKBL',
        priority: 'urgent',
        kind: 'donation',
        lines: [{ itemCode: item.code, quantity: 2 ** 40 }],
      });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors[0].field).toBe('lines[0].quantity');
  });

  it('400: refuses a destination outside the recipient country, a future clock start, NUL characters', async () => {
    const item = await makeItem(t);
    const base = {
      recipientCountry: 'AF',
      organisation: 'MoPH',
      destination: 'AFKBL',
      priority: 'urgent',
      kind: 'donation',
      lines: [{ itemCode: item.code, quantity: 5 }],
    };
    const abroad = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({ ...base, destination: 'SNDKR' });
    expectProblem(abroad, 400, 'validation_failed');
    expect(abroad.body.errors[0].field).toBe('destination');
    const future = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({ ...base, receivedAt: '2999-01-01T00:00:00Z' });
    expect(future.body.errors[0].field).toBe('receivedAt');
    const nul = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({ ...base, organisation: 'Mo\u0000PH' });
    expectProblem(nul, 400, 'validation_failed');
    expect(nul.body.errors[0].field).toBe('organisation');
    const forged = await t.http
      .get(`/api/v1/requests?cursor=${Buffer.from('["x","y"]').toString('base64url')}`)
      .set(bearer(viewer));
    expectProblem(forged, 400, 'validation_failed');
  });

  it('403: a viewer may read but not write', async () => {
    expect((await t.http.get('/api/v1/requests').set(bearer(viewer))).status).toBe(200);
    const res = await t.http.post('/api/v1/requests').set(bearer(viewer)).send({});
    expectProblem(res, 403, 'forbidden');
  });

  it('404: a request, order or shipment that does not exist', async () => {
    for (const path of ['requests', 'orders', 'shipments']) {
      expectProblem(
        await t.http.get(`/api/v1/${path}/${randomUUID()}`).set(bearer(coordinator)),
        404,
        'not_found',
      );
    }
  });

  it('409: an order beyond what the request line still needs says how much is left', async () => {
    const item = await makeItem(t);
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 100 }]);
    await makeConfirmedOrder(t, request.id, [{ requestLineId: request.lines[0].id, quantity: 70 }]);
    const res = await t.http
      .post('/api/v1/orders')
      .set(bearer(coordinator))
      .send({
        requestId: request.id,
        source: 'Warehouse',
        lines: [{ requestLineId: request.lines[0].id, quantity: 31 }],
      });
    expectProblem(res, 409, 'conflict');
    expect(res.body).toMatchObject({ remaining: 30, requested: 31, field: 'lines[0].quantity' });
    const allowed = await t.http
      .post('/api/v1/orders')
      .set(bearer(coordinator))
      .send({
        requestId: request.id,
        source: 'Buffer',
        allowOverAllocation: true,
        lines: [{ requestLineId: request.lines[0].id, quantity: 31 }],
      });
    expect(allowed.status).toBe(201);
  });

  it('409: a shipment beyond what the order line has not yet shipped says how much is left', async () => {
    const { order, carrier } = await makePlannedShipment(t, 50);
    const res = await t.http
      .post('/api/v1/shipments')
      .set(bearer(coordinator))
      .send({
        carrierId: carrier.id,
        mode: 'air_charter',
        origin: 'CNCAN',
        destination: 'AFKBL',
        trackingReference: `X-${randomUUID().slice(0, 8)}`,
        items: [
          { orderLineId: order.lines[0].id, quantity: 1, lot: 'L1', expiresOn: '2030-01-01' },
        ],
      });
    expectProblem(res, 409, 'conflict');
    expect(res.body).toMatchObject({ remaining: 0, requested: 1 });
  });

  it('412 and 428: PATCH needs the current ETag in If-Match', async () => {
    const { shipment } = await makePlannedShipment(t);
    const path = `/api/v1/shipments/${shipment.id}`;
    const read = await t.http.get(path).set(bearer(coordinator));
    expect(read.headers.etag).toBe('"1"');
    const missing = await t.http.patch(path).set(bearer(coordinator)).send({ notes: 'x' });
    expectProblem(missing, 428, 'precondition_required');
    const ok = await t.http
      .patch(path)
      .set(bearer(coordinator))
      .set('if-match', read.headers.etag)
      .send({ estimatedArrivalAt: '2020-03-30T00:00:00Z', notes: 'Via Dubai' });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({
      estimatedArrivalAt: '2020-03-30T00:00:00.000Z',
      notes: 'Via Dubai',
      version: 2,
    });
    const stale = await t.http
      .patch(path)
      .set(bearer(coordinator))
      .set('if-match', '"1"')
      .send({ notes: 'lost update' });
    expectProblem(stale, 412, 'precondition_failed');
    expect((await t.http.get(path).set(bearer(coordinator))).body.notes).toBe('Via Dubai');
  });

  it('412 and 428: a carrier PATCH needs the current ETag too', async () => {
    const { carrier } = await makePlannedShipment(t);
    const path = `/api/v1/carriers/${carrier.id}`;
    const read = await t.http.get(path).set(bearer(coordinator));
    expect(read.headers.etag).toBe('"1"');
    expectProblem(
      await t.http.patch(path).set(bearer(coordinator)).send({ active: false }),
      428,
      'precondition_required',
    );
    const ok = await t.http
      .patch(path)
      .set(bearer(coordinator))
      .set('if-match', '"1"')
      .send({ name: 'Renamed Air' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'Renamed Air', version: 2 });
    expect(ok.headers.etag).toBe('"2"');
    expectProblem(
      await t.http
        .patch(path)
        .set(bearer(coordinator))
        .set('if-match', '"1"')
        .send({ active: false }),
      412,
      'precondition_failed',
    );
    expect((await t.http.get(path).set(bearer(coordinator))).body.active).toBe(true);
  });

  it('422: an item missing from the catalogue, named by its line', async () => {
    const res = await t.http
      .post('/api/v1/requests')
      .set(bearer(coordinator))
      .send({
        recipientCountry: 'AF',
        organisation: 'MoPH',
        destination: 'AFKBL',
        priority: 'urgent',
        kind: 'donation',
        lines: [{ itemCode: 'NOPE-NOT-HERE', quantity: 1 }],
      });
    expectProblem(res, 422, 'unprocessable');
    expect(res.body.errors[0].field).toBe('lines[0].itemCode');
  });
});

describe('Idempotency-Key', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    operator = await makeKey(t, 'operator');
  });
  afterAll(() => t.close());

  it('answers a retry with the first response and records the event once', async () => {
    const { shipment } = await makePlannedShipment(t);
    const send = (body: object, key = operator) =>
      t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(key))
        .set('idempotency-key', 'feed-0001')
        .send(body);
    const body = { status: 'dispatched', occurredAt: '2020-03-23T10:00:00Z', location: 'CNCAN' };
    const first = await send(body);
    expect(first.status).toBe(201);
    // The same body with its fields in another order is the same request.
    const retry = await send({
      location: 'CNCAN',
      occurredAt: '2020-03-23T10:00:00Z',
      status: 'dispatched',
    });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    const history = await t.http
      .get(`/api/v1/shipments/${shipment.id}/events`)
      .set(bearer(operator));
    expect(history.body).toHaveLength(1);

    const other = await send({ ...body, location: 'AFKBL' });
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.body.code).toBe('unprocessable');

    // Keys are per API key: another key may use the same value for its own request.
    const second = await makeKey(t, 'operator');
    const theirs = await send({ status: 'in_transit', occurredAt: '2020-03-24T10:00:00Z' }, second);
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('runs a request once however many retries race it (the others: 409 while it runs, or its answer)', async () => {
    const { shipment } = await makePlannedShipment(t);
    const key = `race-${randomUUID()}`;
    const body = { status: 'dispatched', occurredAt: '2020-03-23T10:00:00Z' };
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.http
          .post(`/api/v1/shipments/${shipment.id}/events`)
          .set(bearer(operator))
          .set('idempotency-key', key)
          .send(body),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const fresh = results.filter((r) => r.status === 201 && !r.headers['idempotent-replayed']);
    expect(fresh).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body.detail).toContain('still being processed');
  });

  it('replays a refused request as it was answered', async () => {
    const item = await makeItem(t);
    const body = {
      recipientCountry: 'AF',
      organisation: 'MoPH',
      destination: 'SNDKR',
      priority: 'urgent',
      kind: 'donation',
      lines: [{ itemCode: item.code, quantity: 1 }],
    };
    const key = `bad-${randomUUID()}`;
    const first = await t.http
      .post('/api/v1/requests')
      .set(bearer(t.adminKey))
      .set('idempotency-key', key)
      .send(body);
    expect(first.status).toBe(400);
    const again = await t.http
      .post('/api/v1/requests')
      .set(bearer(t.adminKey))
      .set('idempotency-key', key)
      .send(body);
    expect(again.status).toBe(400);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.errors).toEqual(first.body.errors);
  });
});
