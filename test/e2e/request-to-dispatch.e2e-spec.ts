import { FulfilmentRepository } from '../../src/modules/fulfilment/fulfilment.repository';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
} from '../helpers/factories';

describe('a request, from receipt to delivery', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await bootApp();
    operator = await makeKey(t, 'operator');
  });
  afterAll(() => t.close());

  async function getRequest(id: string) {
    const res = await t.http.get(`/api/v1/requests/${id}`).set(bearer(t.adminKey));
    expect(res.status).toBe(200);
    return res.body;
  }

  async function event(shipmentId: string, body: object) {
    const res = await t.http
      .post(`/api/v1/shipments/${shipmentId}/events`)
      .set(bearer(operator))
      .send(body);
    expect(res.status).toBe(201);
    return res.body;
  }

  it('tracks two lines through two orders and three shipments on two carriers', async () => {
    const masks = await makeItem(t, { name: 'N95 respirator', category: 'ppe' });
    const kits = await makeItem(t, { name: 'PCR test kit', category: 'diagnostics', unit: 'kit' });
    const charter = await makeCarrier(t, { kind: 'charter_operator', modes: ['air_charter'] });
    const trucks = await makeCarrier(t, { kind: 'trucking', modes: ['road'] });

    const request = await makeApprovedRequest(t, [
      { itemCode: masks.code, quantity: 200_000 },
      { itemCode: kits.code, quantity: 5_000 },
    ]);
    expect(request.status).toBe('approved');
    expect(request.reference).toMatch(/^REQ-2020-\d{6}$/);
    const [maskLine, kitLine] = request.lines;
    expect(maskLine).toMatchObject({
      itemCode: masks.code,
      quantity: 200_000,
      allocated: 0,
      dispatched: 0,
      delivered: 0,
    });

    // Order A: all the masks. Order B: the kits.
    const orderA = await makeConfirmedOrder(t, request.id, [
      { requestLineId: maskLine.id, quantity: 200_000 },
    ]);
    const orderB = await makeConfirmedOrder(t, request.id, [
      { requestLineId: kitLine.id, quantity: 5_000 },
    ]);
    let current = await getRequest(request.id);
    expect(current.status).toBe('in_fulfilment');
    expect(current.lines.map((l: { allocated: number }) => l.allocated)).toEqual([200_000, 5_000]);

    // Order A is split across two carriers; order B goes with the charter.
    const s1 = await makeShipment(t, charter.id, [
      { orderLineId: orderA.lines[0].id, quantity: 120_000 },
    ]);
    const s2 = await makeShipment(
      t,
      trucks.id,
      [{ orderLineId: orderA.lines[0].id, quantity: 80_000 }],
      {
        mode: 'road',
        origin: 'PKKHI',
      },
    );
    const s3 = await makeShipment(t, charter.id, [
      { orderLineId: orderB.lines[0].id, quantity: 5_000 },
    ]);
    expect(s1).toMatchObject({ status: 'planned', version: 1 });

    // The first dispatch of any goods stops the request's 96-hour clock.
    const dispatched = await event(s1.id, {
      status: 'dispatched',
      occurredAt: '2020-03-23T10:00:00Z',
      location: 'CNCAN',
    });
    expect(dispatched).toMatchObject({
      status: 'dispatched',
      applied: true,
      shipment: { id: s1.id, status: 'dispatched', version: 2 },
    });
    current = await getRequest(request.id);
    expect(current.firstDispatchAt).toBe('2020-03-23T10:00:00.000Z');
    expect(current.status).toBe('in_fulfilment');
    expect(current.lines[0]).toMatchObject({ dispatched: 120_000, delivered: 0 });

    await event(s2.id, { status: 'dispatched', occurredAt: '2020-03-23T14:00:00Z' });
    await event(s3.id, { status: 'dispatched', occurredAt: '2020-03-24T09:00:00Z' });
    current = await getRequest(request.id);
    expect(current.status).toBe('dispatched');
    expect(current.firstDispatchAt).toBe('2020-03-23T10:00:00.000Z');
    expect(current.lines.map((l: { dispatched: number }) => l.dispatched)).toEqual([
      200_000, 5_000,
    ]);
    const orderAfter = await t.http.get(`/api/v1/orders/${orderA.id}`).set(bearer(t.adminKey));
    expect(orderAfter.body.status).toBe('dispatched');

    for (const s of [s1, s2, s3])
      await event(s.id, { status: 'in_transit', occurredAt: '2020-03-25T08:00:00Z' });

    await event(s1.id, { status: 'delivered', occurredAt: '2020-03-26T08:00:00Z' });
    const s3Full = await t.http.get(`/api/v1/shipments/${s3.id}`).set(bearer(t.adminKey));
    await event(s3.id, { status: 'delivered', occurredAt: '2020-03-26T12:00:00Z' });
    // The trucks arrive with damage: proof of delivery per line.
    const s2Full = await t.http.get(`/api/v1/shipments/${s2.id}`).set(bearer(t.adminKey));
    const pod = await event(s2.id, {
      status: 'delivered',
      occurredAt: '2020-03-28T16:00:00Z',
      proofOfDelivery: {
        receivedBy: 'Central medical store',
        lines: [
          {
            shipmentItemId: s2Full.body.items[0].id,
            receivedGood: 79_000,
            damaged: 600,
            missing: 400,
          },
        ],
      },
    });
    expect(pod.shipment.status).toBe('delivered');
    expect(s3Full.body.items[0].quantity).toBe(5_000);

    const delivered = await t.http.get(`/api/v1/shipments/${s2.id}`).set(bearer(t.adminKey));
    expect(delivered.body.items[0]).toMatchObject({
      receivedGood: 79_000,
      damaged: 600,
      missing: 400,
    });
    expect(delivered.body.history.map((e: { status: string }) => e.status)).toEqual([
      'dispatched',
      'in_transit',
      'delivered',
    ]);

    current = await getRequest(request.id);
    // 400 masks went missing: delivered counts what reached the recipient (good or damaged).
    expect(current.lines.map((l: { delivered: number }) => l.delivered)).toEqual([199_600, 5_000]);
    expect(current.status).toBe('dispatched');
    const orderB2 = await t.http.get(`/api/v1/orders/${orderB.id}`).set(bearer(t.adminKey));
    expect(orderB2.body.status).toBe('delivered');
    const orderA2 = await t.http.get(`/api/v1/orders/${orderA.id}`).set(bearer(t.adminKey));
    expect(orderA2.body.status).toBe('dispatched');
    expect(orderA2.body.lines[0]).toMatchObject({
      shipped: 200_000,
      dispatched: 200_000,
      delivered: 199_600,
    });
    expect(current.createdBy).toBe('env-admin');

    // The quantities kept up to date event by event equal a recomputation from scratch.
    await t.dataSource.transaction((m) => t.app.get(FulfilmentRepository).rollup(m, [request.id]));
    expect(await getRequest(request.id)).toEqual(current);
    const orders = await Promise.all(
      [orderA, orderB].map((o) => t.http.get(`/api/v1/orders/${o.id}`).set(bearer(t.adminKey))),
    );
    expect(orders.map((o) => o.body.status)).toEqual(['dispatched', 'delivered']);
    expect(delivered.body.history[2].recordedBy).not.toBe('env-admin');
  });

  it('marks the request delivered when every line arrived in full', async () => {
    const item = await makeItem(t);
    const carrier = await makeCarrier(t);
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 10 }]);
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 10 },
    ]);
    const shipment = await makeShipment(t, carrier.id, [
      { orderLineId: order.lines[0].id, quantity: 10 },
    ]);
    await event(shipment.id, { status: 'dispatched', occurredAt: '2020-03-21T10:00:00Z' });
    await event(shipment.id, { status: 'delivered', occurredAt: '2020-03-22T10:00:00Z' });
    const current = await getRequest(request.id);
    expect(current).toMatchObject({
      status: 'delivered',
      firstDispatchAt: '2020-03-21T10:00:00.000Z',
      deliveredAt: '2020-03-22T10:00:00.000Z',
    });
    expect(current.lines[0]).toMatchObject({ allocated: 10, dispatched: 10, delivered: 10 });
  });
});
