import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  INITIAL_STATE,
  SHIPMENT_STATUSES,
  type ShipmentStatus,
  transition,
} from '../../src/modules/shipments/shipment-status';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeCarrier,
  makeKey,
  makePlannedShipment,
  makeShipment,
  makeConfirmedOrder,
  makeApprovedRequest,
  makeItem,
} from '../helpers/factories';

const PROBLEM = /^application\/problem\+json/;

describe('shipment status events', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    operator = await makeKey(t, 'operator');
  });
  afterAll(() => t.close());

  const post = (shipmentId: string, body: object, key = operator) =>
    t.http.post(`/api/v1/shipments/${shipmentId}/events`).set(bearer(key)).send(body);
  const shipmentOf = async (id: string) =>
    (await t.http.get(`/api/v1/shipments/${id}`).set(bearer(t.adminKey))).body;

  it('keeps a late event with applied: false and leaves the status where it was', async () => {
    const { shipment } = await makePlannedShipment(t);
    expect(
      (await post(shipment.id, { status: 'in_transit', occurredAt: '2020-03-24T10:00:00Z' }))
        .status,
    ).toBe(201);
    const late = await post(shipment.id, {
      status: 'dispatched',
      occurredAt: '2020-03-23T10:00:00Z',
    });
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({
      applied: false,
      outcome: 'late',
      shipment: { status: 'in_transit' },
    });
    const after = await shipmentOf(shipment.id);
    expect(after.status).toBe('in_transit');
    // The late fact still tells when the goods left.
    expect(after.dispatchedAt).toBe('2020-03-23T10:00:00.000Z');
    expect(after.history.map((e: any) => e.status)).toEqual(['dispatched', 'in_transit']);
  });

  it('refuses a status that goes backwards with 409 naming the legal transitions', async () => {
    const { shipment } = await makePlannedShipment(t);
    await post(shipment.id, { status: 'arrived', occurredAt: '2020-03-24T10:00:00Z' });
    const res = await post(shipment.id, { status: 'booked', occurredAt: '2020-03-25T10:00:00Z' });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 409, code: 'conflict', currentStatus: 'arrived' });
    expect(res.body.allowedTransitions).toEqual(
      expect.arrayContaining(['arrived', 'customs_cleared', 'delivered', 'exception']),
    );
    expect(res.body.detail).toContain('booked');
    expect((await shipmentOf(shipment.id)).history).toHaveLength(1);
  });

  it('lets nothing out of a terminal status', async () => {
    const { shipment } = await makePlannedShipment(t);
    await post(shipment.id, { status: 'delivered', occurredAt: '2020-03-24T10:00:00Z' });
    const res = await post(shipment.id, {
      status: 'in_transit',
      occurredAt: '2020-03-25T10:00:00Z',
    });
    expect(res.status).toBe(409);
    expect(res.body.allowedTransitions).toEqual([]);
  });

  it('cancels only before dispatch, and returns the goods to the order', async () => {
    const first = await makePlannedShipment(t, 40);
    const cancel = await t.http
      .post(`/api/v1/shipments/${first.shipment.id}/cancel`)
      .set(bearer(t.adminKey))
      .send({ reason: 'Flight cancelled' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    const order = (await t.http.get(`/api/v1/orders/${first.order.id}`).set(bearer(t.adminKey)))
      .body;
    expect(order.lines[0].shipped).toBe(0);

    const second = await makePlannedShipment(t);
    await post(second.shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' });
    const refused = await t.http
      .post(`/api/v1/shipments/${second.shipment.id}/cancel`)
      .set(bearer(t.adminKey))
      .send({});
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('conflict');
  });

  it('answers a resent conflicting fact as a duplicate', async () => {
    const { shipment } = await makePlannedShipment(t);
    await post(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' });
    await post(shipment.id, { status: 'in_transit', occurredAt: '2020-03-25T10:00:00Z' });
    const lost = { status: 'lost', occurredAt: '2020-03-24T12:00:00Z' };
    const first = await post(shipment.id, lost);
    expect(first.body).toMatchObject({ applied: false, outcome: 'conflicting' });
    const again = await post(shipment.id, lost);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, outcome: 'duplicate' });
    expect((await shipmentOf(shipment.id)).status).toBe('in_transit');
  });

  it('lets only coordinators cancel, and never voids a cancellation', async () => {
    const { shipment } = await makePlannedShipment(t);
    const byOperator = await post(shipment.id, {
      status: 'cancelled',
      occurredAt: '2020-03-24T10:00:00Z',
    });
    expect(byOperator.status).toBe(403);
    const cancelled = await post(
      shipment.id,
      { status: 'cancelled', occurredAt: '2020-03-24T10:00:00Z' },
      t.adminKey,
    );
    expect(cancelled.status).toBe(201);
    const voided = await t.http
      .post(`/api/v1/shipments/${shipment.id}/events/${cancelled.body.id}/void`)
      .set(bearer(t.adminKey))
      .send({ reason: 'oops' });
    expect(voided.status).toBe(409);
    expect(voided.body.detail).toContain('final');
  });

  it('refuses dates PostgreSQL cannot store with 400 naming the field', async () => {
    const { shipment, order, carrier } = await makePlannedShipment(t);
    const ancient = await post(shipment.id, {
      status: 'dispatched',
      occurredAt: '0000-01-01T00:00:00Z',
    });
    expect(ancient.status).toBe(400);
    expect(ancient.body.errors[0].field).toBe('occurredAt');
    const impossible = await t.http
      .post('/api/v1/shipments')
      .set(bearer(t.adminKey))
      .send({
        carrierId: carrier.id,
        mode: 'air_charter',
        origin: 'CNCAN',
        destination: 'AFKBL',
        trackingReference: `X-${randomUUID().slice(0, 8)}`,
        items: [
          { orderLineId: order.lines[0].id, quantity: 1, lot: 'L1', expiresOn: '2023-02-30' },
        ],
      });
    expect(impossible.status).toBe(400);
    expect(impossible.body.errors[0].field).toBe('items[0].expiresOn');
    const cursor = Buffer.from(JSON.stringify(['2020-02-30T00:00:00.000Z', randomUUID()])).toString(
      'base64url',
    );
    const forged = await t.http.get(`/api/v1/shipments?cursor=${cursor}`).set(bearer(t.adminKey));
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0].field).toBe('cursor');
  });

  it('treats the same status at the same instant as one fact', async () => {
    const { shipment } = await makePlannedShipment(t);
    const body = { status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' };
    const first = await post(shipment.id, body);
    const again = await post(shipment.id, body);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, outcome: 'duplicate' });
    expect((await shipmentOf(shipment.id)).history).toHaveLength(1);
  });

  it('voids a mistaken event and recomputes the shipment and its request from the rest', async () => {
    const { shipment, request } = await makePlannedShipment(t);
    const wrong = await post(shipment.id, {
      status: 'dispatched',
      occurredAt: '2020-03-24T10:00:00Z',
    });
    let req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req.firstDispatchAt).toBe('2020-03-24T10:00:00.000Z');

    const voided = await t.http
      .post(`/api/v1/shipments/${shipment.id}/events/${wrong.body.id}/void`)
      .set(bearer(operator))
      .send({ reason: 'Scanned the wrong pallet' });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({
      voidReason: 'Scanned the wrong pallet',
      shipment: { status: 'planned' },
    });
    const after = await shipmentOf(shipment.id);
    expect(after).toMatchObject({ status: 'planned', dispatchedAt: null });
    expect(after.history[0].voidedAt).not.toBeNull();
    req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req.firstDispatchAt).toBeNull();
    expect(req.lines[0].dispatched).toBe(0);

    const again = await t.http
      .post(`/api/v1/shipments/${shipment.id}/events/${wrong.body.id}/void`)
      .set(bearer(operator))
      .send({ reason: 'twice' });
    expect(again.status).toBe(409);
  });

  it('voids a delivery with its proof of delivery, taking the delivered quantities back', async () => {
    const { shipment, request } = await makePlannedShipment(t, 30);
    await post(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' });
    const full = await shipmentOf(shipment.id);
    const delivered = await post(shipment.id, {
      status: 'delivered',
      occurredAt: '2020-03-25T10:00:00Z',
      proofOfDelivery: {
        lines: [{ shipmentItemId: full.items[0].id, receivedGood: 25, damaged: 3, missing: 2 }],
      },
    });
    expect(delivered.status).toBe(201);
    let req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req.lines[0].delivered).toBe(28);
    await t.http
      .post(`/api/v1/shipments/${shipment.id}/events/${delivered.body.id}/void`)
      .set(bearer(operator))
      .send({ reason: 'Delivered to the wrong store' });
    const after = await shipmentOf(shipment.id);
    expect(after).toMatchObject({ status: 'dispatched', deliveredAt: null });
    expect(after.items[0]).toMatchObject({ receivedGood: null, damaged: null, missing: null });
    req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req.lines[0]).toMatchObject({ dispatched: 30, delivered: 0 });
    expect(req.status).toBe('dispatched');
  });

  it('refuses a proof of delivery that does not add up, naming the line', async () => {
    const { shipment } = await makePlannedShipment(t, 30);
    const full = await shipmentOf(shipment.id);
    const res = await post(shipment.id, {
      status: 'delivered',
      occurredAt: '2020-03-25T10:00:00Z',
      proofOfDelivery: {
        lines: [{ shipmentItemId: full.items[0].id, receivedGood: 25, damaged: 3, missing: 1 }],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('proofOfDelivery.lines[0]');
    expect((await shipmentOf(shipment.id)).status).toBe('planned');
  });

  it('applies exactly the legal ones of 50 concurrent events, losing no update', async () => {
    const { shipment } = await makePlannedShipment(t);
    await post(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T00:00:00Z' });
    const bodies = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? { status: 'cancelled', occurredAt: new Date(Date.UTC(2020, 2, 24, 1, i)).toISOString() }
        : {
            status: 'in_transit',
            occurredAt: new Date(Date.UTC(2020, 2, 24, 1, i)).toISOString(),
            location: 'AFKBL',
          },
    );
    // Coordinators may cancel; the admin key stands in for one.
    const results = await Promise.all(
      bodies.map((b) => post(shipment.id, b, b.status === 'cancelled' ? t.adminKey : operator)),
    );
    const cancels = results.filter((_, i) => i % 2 === 0);
    const moves = results.filter((_, i) => i % 2 === 1);
    // A cancel after dispatch is never applied: refused when current, kept as conflicting when late.
    for (const r of cancels) {
      if (r.status === 409) expect(r.body.code).toBe('conflict');
      else expect(r.body).toMatchObject({ applied: false, outcome: 'conflicting' });
    }
    expect(cancels.some((r) => r.status === 409)).toBe(true);
    expect(moves.map((r) => r.status)).toEqual(Array(25).fill(201));
    const stored = results.filter((r) => r.status === 201);
    const applied = stored.filter((r) => r.body.applied).length;
    const after = await shipmentOf(shipment.id);
    expect(after.status).toBe('in_transit');
    expect(after.lastEventAt).toBe(new Date(Date.UTC(2020, 2, 24, 1, 49)).toISOString());
    expect(after.history).toHaveLength(1 + stored.length);
    // Every applied event bumped the version once: none was lost to a race.
    expect(after.version).toBe(2 + applied);
  });

  it("rolls up concurrent dispatches of one request's shipments without losing a quantity", async () => {
    const item = await makeItem(t);
    const carrier = await makeCarrier(t);
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 100 }]);
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 100 },
    ]);
    const shipments = [];
    for (let i = 0; i < 10; i++)
      shipments.push(
        await makeShipment(t, carrier.id, [{ orderLineId: order.lines[0].id, quantity: 10 }]),
      );
    const results = await Promise.all(
      shipments.map((s, i) =>
        post(s.id, {
          status: 'dispatched',
          occurredAt: new Date(Date.UTC(2020, 2, 24, i)).toISOString(),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const req = (await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey))).body;
    expect(req.lines[0].dispatched).toBe(100);
    expect(req.status).toBe('dispatched');
    expect(req.firstDispatchAt).toBe('2020-03-24T00:00:00.000Z');
  });

  it('reaches the same end state whatever order a true history is posted in', async () => {
    const history = fc
      .array(fc.constantFrom(...SHIPMENT_STATUSES), { minLength: 1, maxLength: 8 })
      .map((wanted) => {
        const facts: { status: ShipmentStatus; hour: number }[] = [];
        let state = INITIAL_STATE;
        for (const status of wanted) {
          const result = transition(state, status);
          if (!result.ok) continue;
          state = result.state;
          facts.push({ status, hour: facts.length + 1 });
        }
        return facts;
      })
      .filter((facts) => facts.length > 0);
    await fc.assert(
      fc.asyncProperty(
        history.chain((facts) =>
          fc.tuple(fc.constant(facts), fc.shuffledSubarray(facts, { minLength: facts.length })),
        ),
        async ([facts, order]) => {
          const { shipment } = await makePlannedShipment(t);
          for (const f of order) {
            const res = await post(
              shipment.id,
              {
                status: f.status,
                occurredAt: new Date(Date.UTC(2020, 2, 24, f.hour)).toISOString(),
              },
              t.adminKey,
            );
            expect(res.status).toBe(201);
          }
          const after = await shipmentOf(shipment.id);
          const last = facts[facts.length - 1];
          expect(after.status).toBe(last.status);
          expect(after.lastEventAt).toBe(new Date(Date.UTC(2020, 2, 24, last.hour)).toISOString());
          expect(after.history).toHaveLength(facts.length);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('carrier keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  it('post events and read shipments of their own carrier only; others do not exist to them', async () => {
    const mine = await makePlannedShipment(t);
    const theirs = await makePlannedShipment(t);
    const key = await makeKey(t, 'carrier', mine.carrier.id);
    const ok = await t.http
      .post(`/api/v1/shipments/${mine.shipment.id}/events`)
      .set(bearer(key))
      .send({ status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' });
    expect(ok.status).toBe(201);
    const other = await t.http
      .post(`/api/v1/shipments/${theirs.shipment.id}/events`)
      .set(bearer(key))
      .send({ status: 'dispatched', occurredAt: '2020-03-24T10:00:00Z' });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('not_found');
    expect(
      (await t.http.get(`/api/v1/shipments/${theirs.shipment.id}`).set(bearer(key))).status,
    ).toBe(404);
    const list = await t.http.get('/api/v1/shipments?limit=200').set(bearer(key));
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: any) => s.carrierId)).toEqual(
      list.body.data.map(() => mine.carrier.id),
    );
    expect(list.body.data.map((s: any) => s.id)).toContain(mine.shipment.id);
    // Carriers manage nothing else.
    const create = await t.http.post('/api/v1/requests').set(bearer(key)).send({});
    expect(create.status).toBe(403);
    expect((await t.http.get(`/api/v1/requests/${randomUUID()}`).set(bearer(key))).status).toBe(
      403,
    );
  });
});
