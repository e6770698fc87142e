import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
  unique,
} from '../helpers/factories';

describe('lists, legs and shelf life', () => {
  let t: TestApp;
  let viewer: string;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    viewer = await makeKey(t, 'viewer');
  });
  afterAll(() => t.close());

  it('filters requests by country, status, priority and received range, page by page', async () => {
    const item = await makeItem(t);
    const org = `Ministry ${unique()}`;
    const sn = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 5 }], {
      recipientCountry: 'SN',
      destination: 'SNDKR',
      organisation: org,
      priority: 'stat',
      receivedAt: '2020-04-02T00:00:00Z',
    });
    const ml = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 5 }], {
      recipientCountry: 'ML',
      destination: 'BKO',
      organisation: org,
      receivedAt: '2020-04-03T00:00:00Z',
    });
    const bySn = await t.http
      .get('/api/v1/requests?country=SN&priority=stat&limit=200')
      .set(bearer(viewer));
    expect(bySn.status).toBe(200);
    expect(bySn.body.data.map((r: any) => r.id)).toContain(sn.id);
    expect(
      bySn.body.data.every((r: any) => r.recipientCountry === 'SN' && r.priority === 'stat'),
    ).toBe(true);
    const range = await t.http
      .get('/api/v1/requests')
      .query({
        receivedFrom: '2020-04-03T00:00:00Z',
        receivedTo: '2020-04-04T00:00:00Z',
        status: 'approved',
        limit: 200,
      })
      .set(bearer(viewer));
    expect(range.body.data.map((r: any) => r.id)).toContain(ml.id);
    expect(range.body.data.map((r: any) => r.id)).not.toContain(sn.id);
    const first = await t.http.get('/api/v1/requests?limit=1').set(bearer(viewer));
    expect(first.body.data).toHaveLength(1);
    const second = await t.http
      .get(`/api/v1/requests?limit=1&cursor=${first.body.nextCursor}`)
      .set(bearer(viewer));
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
  });

  it('keeps legs with planned, estimated and actual times, and flags goods short of shelf life', async () => {
    const item = await makeItem(t, { minShelfLifeDays: 365 });
    const charter = await makeCarrier(t, { modes: ['air_charter'] });
    const trucks = await makeCarrier(t, { kind: 'trucking', modes: ['road'] });
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 20 }]);
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 20 },
    ]);
    const shipment = await makeShipment(
      t,
      charter.id,
      [
        { orderLineId: order.lines[0].id, quantity: 10 },
        { orderLineId: order.lines[0].id, quantity: 10 },
      ],
      {
        plannedDepartureAt: '2020-03-22T08:00:00Z',
        legs: [
          {
            mode: 'air_charter',
            from: 'CNCAN',
            to: 'DXB',
            departure: { planned: '2020-03-22T08:00:00Z', estimated: '2020-03-22T09:00:00Z' },
            arrival: { planned: '2020-03-22T16:00:00Z' },
          },
          {
            mode: 'road',
            carrierId: trucks.id,
            from: 'DXB',
            to: 'AFKBL',
            arrival: { planned: '2020-03-26T00:00:00Z' },
          },
        ],
      },
    );
    expect(shipment.legs).toEqual([
      expect.objectContaining({
        seq: 1,
        mode: 'air_charter',
        carrierId: charter.id,
        from: 'CNCAN',
        to: 'DXB',
        departure: {
          planned: '2020-03-22T08:00:00.000Z',
          estimated: '2020-03-22T09:00:00.000Z',
          actual: null,
        },
      }),
      expect.objectContaining({
        seq: 2,
        mode: 'road',
        carrierId: trucks.id,
        from: 'DXB',
        to: 'AFKBL',
      }),
    ]);
    // Actual times follow the events: the first leg leaves at dispatch, the last arrives on delivery.
    const post = (body: object) =>
      t.http.post(`/api/v1/shipments/${shipment.id}/events`).set(bearer(t.adminKey)).send(body);
    expect((await post({ status: 'dispatched', occurredAt: '2020-03-22T09:30:00Z' })).status).toBe(
      201,
    );
    expect((await post({ status: 'delivered', occurredAt: '2020-03-26T07:00:00Z' })).status).toBe(
      201,
    );
    const tracked = (await t.http.get(`/api/v1/shipments/${shipment.id}`).set(bearer(viewer))).body;
    expect(tracked.legs[0].departure.actual).toBe('2020-03-22T09:30:00.000Z');
    expect(tracked.legs[0].arrival.actual).toBeNull();
    expect(tracked.legs[1].arrival.actual).toBe('2020-03-26T07:00:00.000Z');
    // Both items expire 2023-03-01, three years after departure: plenty of shelf life.
    expect(shipment.items.every((i: any) => i.shortShelfLife === false)).toBe(true);

    const request2 = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 5 }]);
    const order2 = await makeConfirmedOrder(t, request2.id, [
      { requestLineId: request2.lines[0].id, quantity: 5 },
    ]);
    const soon = await makeShipment(
      t,
      charter.id,
      [{ orderLineId: order2.lines[0].id, quantity: 5 }],
      {
        plannedDepartureAt: '2020-03-22T08:00:00Z',
        items: [
          { orderLineId: order2.lines[0].id, quantity: 5, lot: 'OLD', expiresOn: '2020-06-01' },
        ],
      },
    );
    expect(soon.items[0].shortShelfLife).toBe(true);

    const byRequest = await t.http
      .get(`/api/v1/shipments?requestId=${request.id}&mode=air_charter`)
      .set(bearer(viewer));
    expect(byRequest.body.data.map((s: any) => s.id)).toEqual([shipment.id]);
    const byCountry = await t.http
      .get(`/api/v1/shipments?destinationCountry=AF&carrierId=${charter.id}`)
      .set(bearer(viewer));
    expect(byCountry.body.data.map((s: any) => s.id).sort()).toEqual([shipment.id, soon.id].sort());
  });
});
