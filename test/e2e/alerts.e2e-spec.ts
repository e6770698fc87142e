import type { AddressInfo } from 'node:net';
import { AlertsService } from '../../src/modules/alerts/alerts.service';
import { Receiver } from '../helpers/webhook-receiver';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
} from '../helpers/factories';

const MINUTE = 60_000;

async function ok(res: { status: number; body: any }, status = 201) {
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

describe('alerts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ TRACKING_STALE_SECONDS: '600' });
  });
  afterAll(() => t.close());

  async function shipmentOf(opts: { coldChain?: boolean; shipment?: object } = {}) {
    const carrier = await makeCarrier(t);
    const item = await makeItem(t, { coldChain: opts.coldChain ?? false });
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 100 }]);
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 100 },
    ]);
    const shipment = await makeShipment(
      t,
      carrier.id,
      [{ orderLineId: order.lines[0].id, quantity: 100 }],
      opts.shipment,
    );
    return { carrier, shipment };
  }

  function event(shipmentId: string, body: object, key = t.adminKey) {
    return t.http
      .post(`/api/v1/shipments/${shipmentId}/events`)
      .set(bearer(key))
      .send(body)
      .then((r) => ok(r));
  }

  function alertsOf(query: string, key = t.adminKey) {
    return t.http
      .get(`/api/v1/alerts?${query}`)
      .set(bearer(key))
      .then((r) => ok(r, 200))
      .then((b) => b.data as any[]);
  }

  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

  it('raises a shipment exception, records its acknowledgement, and resolves it when the shipment moves on', async () => {
    const { shipment, carrier } = await shipmentOf();
    await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
    const raised = await event(shipment.id, {
      status: 'exception',
      occurredAt: ago(20 * MINUTE),
      exceptionReason: 'customs_documentation',
      location: 'AFKBL',
    });
    const [alert] = await alertsOf(`shipmentId=${shipment.id}`);
    expect(alert).toMatchObject({
      kind: 'shipment_exception',
      state: 'open',
      severity: 'warning',
      eventId: raised.id,
      carrierId: carrier.id,
      country: 'AF',
      causeAt: raised.occurredAt,
      details: { status: 'exception', exceptionReason: 'customs_documentation', location: 'AFKBL' },
    });
    expect(alert.title).toContain('customs_documentation');

    const operator = await makeKey(t, 'operator');
    const ack = await t.http
      .post(`/api/v1/alerts/${alert.id}/acknowledge`)
      .set(bearer(operator))
      .send({ note: 'Calling the broker' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({
      state: 'acknowledged',
      acknowledgementNote: 'Calling the broker',
    });
    expect(ack.body.acknowledgedBy).toEqual(expect.any(String));
    expect(Date.now() - Date.parse(ack.body.acknowledgedAt)).toBeLessThan(10_000);
    // Acknowledging again keeps the first acknowledgement.
    const again = await t.http
      .post(`/api/v1/alerts/${alert.id}/acknowledge`)
      .set(bearer(t.adminKey))
      .send({});
    expect(again.body).toMatchObject({
      acknowledgedAt: ack.body.acknowledgedAt,
      acknowledgedBy: ack.body.acknowledgedBy,
    });

    await event(shipment.id, { status: 'in_transit', occurredAt: ago(10 * MINUTE) });
    const [resolved] = await alertsOf(`shipmentId=${shipment.id}`);
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolution: 'shipment left exception',
      acknowledgedAt: ack.body.acknowledgedAt,
    });
    expect(await alertsOf(`shipmentId=${shipment.id}&state=open`)).toEqual([]);
  });

  it('raises a critical exception for lost goods, and resolves it when the event is voided', async () => {
    const { shipment } = await shipmentOf();
    await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
    const lost = await event(shipment.id, { status: 'lost', occurredAt: ago(5 * MINUTE) });
    const [alert] = await alertsOf(`shipmentId=${shipment.id}&kind=shipment_exception`);
    expect(alert).toMatchObject({ severity: 'critical', eventId: lost.id, state: 'open' });

    await ok(
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events/${lost.id}/void`)
        .set(bearer(t.adminKey))
        .send({ reason: 'Wrong shipment: the pallet was found' }),
      200,
    );
    const [after] = await alertsOf(`shipmentId=${shipment.id}&kind=shipment_exception`);
    expect(after).toMatchObject({ state: 'resolved', resolution: 'event voided' });
  });

  it('raises a temperature excursion for cold-chain goods only, once per reading', async () => {
    const cold = await shipmentOf({ coldChain: true });
    const dry = await shipmentOf({ coldChain: false });
    for (const { shipment } of [cold, dry]) {
      await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
      await event(shipment.id, {
        status: 'in_transit',
        occurredAt: ago(20 * MINUTE),
        temperatureC: 5,
      });
      const body = { status: 'in_transit', occurredAt: ago(10 * MINUTE), temperatureC: 11.5 };
      await event(shipment.id, body);
      // The feed sends the same reading again: a duplicate fact, no second alert.
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(t.adminKey))
        .send(body);
    }
    const excursions = await alertsOf(`shipmentId=${cold.shipment.id}&kind=temperature_excursion`);
    expect(excursions).toHaveLength(1);
    expect(excursions[0]).toMatchObject({
      severity: 'critical',
      details: { temperatureC: 11.5, allowedMinC: 2, allowedMaxC: 8 },
    });
    expect(await alertsOf(`shipmentId=${dry.shipment.id}`)).toEqual([]);
  });

  it('raises an exception for a proof of delivery with damaged or missing goods', async () => {
    const { shipment } = await shipmentOf();
    await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
    await event(shipment.id, {
      status: 'delivered',
      occurredAt: ago(1 * MINUTE),
      proofOfDelivery: {
        receivedBy: 'Warehouse lead',
        lines: [{ shipmentItemId: shipment.items[0].id, receivedGood: 90, damaged: 7, missing: 3 }],
      },
    });
    const [alert] = await alertsOf(`shipmentId=${shipment.id}&kind=shipment_exception`);
    expect(alert).toMatchObject({
      state: 'open',
      details: { status: 'delivered', discrepancy: { damaged: 7, missing: 3 } },
    });
  });

  it('raises tracking_stale and eta_overdue from the sweep, and resolves them when the cause ends', async () => {
    const sweep = () => t.app.get(AlertsService).sweepShipments();
    const silent = await shipmentOf();
    const dispatchedAt = ago(15 * MINUTE);
    await event(silent.shipment.id, { status: 'dispatched', occurredAt: dispatchedAt });
    const late = await shipmentOf({
      shipment: { estimatedArrivalAt: ago(MINUTE), plannedDepartureAt: ago(60 * MINUTE) },
    });

    await sweep();
    await sweep();
    const [stale] = await alertsOf(`shipmentId=${silent.shipment.id}&kind=tracking_stale`);
    expect(stale).toMatchObject({ state: 'open', details: { status: 'dispatched' } });
    expect(Date.parse(stale.causeAt)).toBe(Date.parse(dispatchedAt) + 10 * MINUTE);
    const overdue = await alertsOf(`shipmentId=${late.shipment.id}&kind=eta_overdue`);
    expect(overdue).toHaveLength(1);
    expect(overdue[0].causeAt).toBe(late.shipment.estimatedArrivalAt);

    // The carrier revises the ETA to another instant already past: one open alert, for it.
    const revised = await t.http
      .patch(`/api/v1/shipments/${late.shipment.id}`)
      .set(bearer(t.adminKey))
      .set('if-match', `"${late.shipment.version}"`)
      .send({ estimatedArrivalAt: ago(30_000) });
    expect(revised.status).toBe(200);
    await sweep();
    const etaAlerts = await alertsOf(`shipmentId=${late.shipment.id}&kind=eta_overdue`);
    expect(etaAlerts.map((a) => [a.state, a.causeAt])).toEqual([
      ['open', revised.body.estimatedArrivalAt],
      ['resolved', late.shipment.estimatedArrivalAt],
    ]);

    await event(silent.shipment.id, { status: 'in_transit', occurredAt: ago(0) });
    const moved = await t.http
      .patch(`/api/v1/shipments/${late.shipment.id}`)
      .set(bearer(t.adminKey))
      .set('if-match', `"${revised.body.version}"`)
      .send({ estimatedArrivalAt: new Date(Date.now() + 60 * MINUTE).toISOString() });
    expect(moved.status).toBe(200);
    await sweep();
    expect(
      (await alertsOf(`shipmentId=${silent.shipment.id}&kind=tracking_stale`))[0],
    ).toMatchObject({
      state: 'resolved',
      resolution: 'tracking resumed',
    });
    expect(
      (await alertsOf(`shipmentId=${late.shipment.id}&kind=eta_overdue`)).map((a) => a.state),
    ).toEqual(['resolved', 'resolved']);
    expect(
      (await alertsOf(`shipmentId=${late.shipment.id}&kind=eta_overdue`))[0].resolution,
    ).toMatch(/^estimated arrival moved to /);
  });

  it('tells webhook subscribers when an alert is raised and when it is resolved', async () => {
    const receiver = new Receiver();
    await receiver.start();
    const url = receiver.url();
    const subscription = await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({ url, events: ['alert.shipment_exception', 'alert.resolved'] })
      .then((r) => ok(r));
    try {
      const { shipment } = await shipmentOf();
      await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
      await event(shipment.id, { status: 'exception', occurredAt: ago(20 * MINUTE) });
      await event(shipment.id, { status: 'in_transit', occurredAt: ago(10 * MINUTE) });
      const [alert] = await alertsOf(`shipmentId=${shipment.id}`);

      const bodies = await eventually(
        async () => {
          const mine = receiver
            .at(url)
            .map((r) => JSON.parse(r.body))
            .filter((b) => b.data.id === alert.id);
          return mine.length === 2 ? mine : undefined;
        },
        10_000,
        'both messages',
      );
      expect(bodies.map((b) => [b.type, b.data.state]).sort()).toEqual([
        ['alert.resolved', 'resolved'],
        ['alert.shipment_exception', 'open'],
      ]);
      const resolved = bodies.find((b) => b.type === 'alert.resolved');
      expect(resolved.data.resolution).toBe('shipment left exception');
      expect(resolved.timestamp).toBe(resolved.data.resolvedAt);
    } finally {
      await t.http.delete(`/api/v1/webhooks/${subscription.id}`).set(bearer(t.adminKey));
      await receiver.stop();
    }
  });

  it("shows a carrier only its own carrier's alerts", async () => {
    const mine = await shipmentOf();
    const theirs = await shipmentOf();
    for (const { shipment } of [mine, theirs]) {
      await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
      await event(shipment.id, { status: 'exception', occurredAt: ago(MINUTE) });
    }
    const key = await makeKey(t, 'carrier', mine.carrier.id);
    const seen = await alertsOf('kind=shipment_exception&limit=200', key);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a.carrierId === mine.carrier.id)).toBe(true);
    const [other] = await alertsOf(`shipmentId=${theirs.shipment.id}`);
    expect((await t.http.get(`/api/v1/alerts/${other.id}`).set(bearer(key))).status).toBe(404);
    expect(
      (await t.http.post(`/api/v1/alerts/${other.id}/acknowledge`).set(bearer(key)).send({}))
        .status,
    ).toBe(403);
  });

  it('exposes open clocks, unresolved alerts and pending webhooks as Prometheus gauges', async () => {
    const gauge = async (pattern: RegExp) =>
      Number(pattern.exec((await t.http.get('/metrics')).text)?.[1] ?? 0);
    const openExceptions =
      /lifeline_alerts_unresolved\{kind="shipment_exception",state="open"\} (\d+)/;
    const running = /lifeline_sla_clocks_open\{state="running"\} (\d+)/;
    const [exceptionsBefore, runningBefore] = [await gauge(openExceptions), await gauge(running)];

    const { shipment } = await shipmentOf();
    await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
    await event(shipment.id, { status: 'exception', occurredAt: ago(MINUTE) });
    expect(await gauge(openExceptions)).toBe(exceptionsBefore + 1);
    // The shipment's 72-hour air clock started at its dispatch.
    expect(await gauge(running)).toBe(runningBefore + 1);
    expect((await t.http.get('/metrics')).text).toMatch(/lifeline_webhook_deliveries_pending \d+/);
  });

  it('pages alerts newest first and refuses bad filters naming the field', async () => {
    for (let i = 0; i < 2; i++) {
      const { shipment } = await shipmentOf();
      await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
      await event(shipment.id, { status: 'exception', occurredAt: ago(MINUTE) });
      await event(shipment.id, { status: 'lost', occurredAt: ago(0) });
    }
    const first = await t.http.get('/api/v1/alerts?limit=2').set(bearer(t.adminKey));
    expect(first.body.data).toHaveLength(2);
    const second = await t.http
      .get(`/api/v1/alerts?limit=2&cursor=${first.body.nextCursor}`)
      .set(bearer(t.adminKey));
    const times = [...first.body.data, ...second.body.data].map((a: any) => Date.parse(a.raisedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set([...first.body.data, ...second.body.data].map((a: any) => a.id)).size).toBe(4);

    for (const [query, field] of [
      ['kind=fire', 'kind'],
      ['state=done', 'state'],
      ['country=Afghanistan', 'country'],
      ['carrierId=12', 'carrierId'],
      ['cursor=abc', 'cursor'],
    ]) {
      const res = await t.http.get(`/api/v1/alerts?${query}`).set(bearer(t.adminKey));
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    }
    const unknown = await t.http
      .post('/api/v1/alerts/00000000-0000-4000-8000-000000000000/acknowledge')
      .set(bearer(t.adminKey))
      .send({});
    expect(unknown.status).toBe(404);
    const [any] = first.body.data;
    const extra = await t.http
      .post(`/api/v1/alerts/${any.id}/acknowledge`)
      .set(bearer(t.adminKey))
      .send({ note: 'x', by: 'someone else' });
    expect(extra.status).toBe(400);
  });

  it('streams new alerts as Server-Sent Events, and replays what a reconnecting client missed', async () => {
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const open = (headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream?kind=shipment_exception`, {
        headers: { ...bearer(t.adminKey), ...headers },
      });
    const res = await open();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const read = async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    };
    await read(); // the retry hint

    const { shipment } = await shipmentOf();
    await event(shipment.id, { status: 'dispatched', occurredAt: ago(30 * MINUTE) });
    const raised = await event(shipment.id, {
      status: 'exception',
      occurredAt: ago(MINUTE),
      exceptionReason: 'weather_delay',
    });
    await eventually(
      async () => {
        if (text.includes(raised.id)) return true;
        await read();
        return text.includes(raised.id);
      },
      10_000,
      'the alert on the stream',
    );
    const frame = text.split('\n\n').find((f) => f.includes(raised.id))!;
    expect(frame).toMatch(/^id: \d+-\d+\nevent: alert\ndata: /);
    const [, tx, seq] = /^id: (\d+)-(\d+)/.exec(frame)!;
    const data = JSON.parse(frame.split('\ndata: ')[1]);
    expect(data).toMatchObject({ kind: 'shipment_exception', eventId: raised.id });
    await reader.cancel();

    // A client that saw the alert before it reconnects with its id and gets what came after.
    const before = `${tx}-${Number(seq) - 1}`;
    const replay = await open({ 'last-event-id': before });
    const replayReader = replay.body!.getReader();
    let replayed = '';
    await eventually(
      async () => {
        const { value } = await replayReader.read();
        replayed += new TextDecoder().decode(value);
        return replayed.includes(raised.id);
      },
      10_000,
      'the replayed alert',
    );
    await replayReader.cancel();
    const bad = await open({ 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(400);
  });
});
