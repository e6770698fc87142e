import { QueueRegistry } from '../../src/common/queue/queue-registry.service';
import { SlaClocksService } from '../../src/modules/sla/sla-clocks.service';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import {
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeShipment,
  unique,
} from '../helpers/factories';
import { OwnRedis } from '../helpers/redis-server';
import { expectedSignature, Receiver } from '../helpers/webhook-receiver';

/*
 * Each scenario uses a country of its own: the file's scenarios share its database, and the
 * most specific matching policy applies, so a few-seconds policy for one country touches nothing else.
 */
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const H = 3600;

async function ok(res: { status: number; body: any }, status = 201) {
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

function createPolicy(t: TestApp, body: object) {
  return t.http
    .post('/api/v1/sla/policies')
    .set(bearer(t.adminKey))
    .send({ name: `Policy ${unique()}`, metric: 'request_to_first_dispatch', ...body })
    .then((r) => ok(r));
}

async function createRequest(t: TestApp, country: string, destination: string, extra = {}) {
  const item = await makeItem(t);
  const request = await t.http
    .post('/api/v1/requests')
    .set(bearer(t.adminKey))
    .send({
      recipientCountry: country,
      organisation: 'Ministry of Health',
      destination,
      priority: 'urgent',
      kind: 'donation',
      lines: [{ itemCode: item.code, quantity: 100 }],
      ...extra,
    })
    .then((r) => ok(r));
  return { item, request };
}

/** A request approved, ordered and planned onto one shipment, ready for events. */
async function plannedShipment(
  t: TestApp,
  country: string,
  destination: string,
  extra: { request?: object; shipment?: object } = {},
) {
  const { request } = await createRequest(t, country, destination, extra.request);
  await ok(
    await t.http.post(`/api/v1/requests/${request.id}/approve`).set(bearer(t.adminKey)).send({}),
    200,
  );
  const order = await makeConfirmedOrder(t, request.id, [
    { requestLineId: request.lines[0].id, quantity: 100 },
  ]);
  const carrier = await makeCarrier(t);
  const shipment = await makeShipment(
    t,
    carrier.id,
    [{ orderLineId: order.lines[0].id, quantity: 100 }],
    {
      destination,
      ...extra.shipment,
    },
  );
  return { request, shipment };
}

function event(t: TestApp, shipmentId: string, status: string, occurredAt: Date) {
  return t.http
    .post(`/api/v1/shipments/${shipmentId}/events`)
    .set(bearer(t.adminKey))
    .send({ status, occurredAt: occurredAt.toISOString() })
    .then((r) => ok(r));
}

async function clocksOf(t: TestApp, path: string) {
  const body = await ok(await t.http.get(path).set(bearer(t.adminKey)), 200);
  return body.slaClocks as any[];
}

function alertsOf(t: TestApp, query: string) {
  return t.http
    .get(`/api/v1/alerts?${query}`)
    .set(bearer(t.adminKey))
    .then((r) => ok(r, 200))
    .then((b) => b.data as any[]);
}

async function subscribe(t: TestApp, url: string, events = ['alert.sla_breach']) {
  return ok(
    await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({ url, events, secret: SECRET }),
  );
}

describe('SLA clocks, alerts and their webhooks', () => {
  let t: TestApp;
  let peer: TestApp;
  const receiver = new Receiver();
  const subscriptions: string[] = [];

  beforeAll(async () => {
    await receiver.start();
    t = await bootApp();
    // A second process on the same database and queues: its workers race the first's.
    peer = await bootApp();
  });
  afterAll(async () => {
    for (const id of subscriptions) {
      await t.http.delete(`/api/v1/webhooks/${id}`).set(bearer(t.adminKey));
    }
    await peer.close();
    await t.close();
    await receiver.stop();
  });

  it('raises the breach within 1 s of the deadline and delivers one signed webhook', async () => {
    const url = receiver.url();
    subscriptions.push((await subscribe(t, url)).id);
    await createPolicy(t, { target: 'PT3S', warningRatio: 0.5, match: { country: ['DJ'] } });
    const { request } = await createRequest(t, 'DJ', 'DJJIB');
    const [clock] = request.slaClocks;
    expect(clock).toMatchObject({
      metric: 'request_to_first_dispatch',
      state: 'running',
      targetSeconds: 3,
      subjectReference: request.reference,
    });
    expect(Date.parse(clock.dueAt) - Date.parse(request.receivedAt)).toBe(3_000);

    const [breach] = await eventually(
      async () => {
        const found = await alertsOf(t, `requestId=${request.id}&kind=sla_breach`);
        return found.length > 0 ? found : undefined;
      },
      10_000,
      'the breach alert',
    );
    const lateness = Date.parse(breach.raisedAt) - Date.parse(clock.dueAt);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1_000);
    expect(breach).toMatchObject({
      state: 'open',
      severity: 'critical',
      clockId: clock.id,
      country: 'DJ',
      causeAt: clock.dueAt,
    });

    // The warning fired at half time and was resolved by the breach.
    const [warning] = await alertsOf(t, `requestId=${request.id}&kind=sla_warning`);
    expect(warning).toMatchObject({ state: 'resolved', resolution: 'superseded by the breach' });
    expect(Date.parse(warning.causeAt)).toBe(Date.parse(clock.warnAt));

    await eventually(async () => receiver.at(url).length > 0, 10_000, 'the webhook');
    await new Promise((r) => setTimeout(r, 1_500));
    const deliveries = receiver.at(url);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    const id = delivery.headers['webhook-id'] as string;
    const timestamp = delivery.headers['webhook-timestamp'] as string;
    expect(delivery.headers['webhook-signature']).toBe(
      expectedSignature(SECRET, id, timestamp, delivery.body),
    );
    const body = JSON.parse(delivery.body);
    expect(body).toMatchObject({
      type: 'alert.sla_breach',
      data: { id: breach.id, kind: 'sla_breach', clockId: clock.id },
    });
    expect(Date.parse(body.timestamp)).toBe(Date.parse(breach.raisedAt));

    const [after] = await clocksOf(t, `/api/v1/requests/${request.id}`);
    expect(after.state).toBe('breaching');
    expect(after.remainingSeconds).toBeLessThan(0);
  });

  it('raises no breach for a request dispatched in time, and stores its result', async () => {
    await createPolicy(t, { target: 'PT8S', match: { country: ['SO'] } });
    const { request, shipment } = await plannedShipment(t, 'SO', 'SOMGQ');
    const [clock] = request.slaClocks;
    expect(clock.targetSeconds).toBe(8);
    await event(t, shipment.id, 'dispatched', new Date());

    const [met] = await clocksOf(t, `/api/v1/requests/${request.id}`);
    expect(met).toMatchObject({ state: 'met', latenessSeconds: 0 });
    expect(met.elapsedSeconds).toBeLessThan(8);
    expect(met.stoppedAt).not.toBeNull();

    // Past the deadline, the wake-up and the sweep find nothing owed.
    await new Promise((r) => setTimeout(r, Date.parse(clock.dueAt) - Date.now() + 1_500));
    await t.app.get(SlaClocksService).fireDue();
    expect(await alertsOf(t, `requestId=${request.id}&kind=sla_breach`)).toEqual([]);
    const [row] = await t.dataSource.query(
      `SELECT state, elapsed_ms::int AS elapsed, lateness_ms::int AS lateness FROM sla_clocks WHERE id = $1`,
      [clock.id],
    );
    expect(row).toEqual({ state: 'met', elapsed: met.elapsedSeconds * 1000, lateness: 0 });
  });

  it('raises exactly one breach when two workers race on it', async () => {
    const url = receiver.url();
    subscriptions.push((await subscribe(t, url)).id);
    await createPolicy(t, { target: 'PT2S', warningRatio: 1, match: { country: ['ML'] } });
    const { request } = await createRequest(t, 'ML', 'MLBKO');
    const [clock] = request.slaClocks;
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(clock.dueAt) - Date.now())));
    // Both processes' workers and ten direct firings at the deadline.
    const firers = [t, peer].map((app) => app.app.get(SlaClocksService));
    await Promise.all(Array.from({ length: 10 }, (_, i) => firers[i % 2].fireDue()));

    await eventually(async () => receiver.at(url).length > 0, 10_000, 'the webhook');
    await new Promise((r) => setTimeout(r, 1_500));
    const alerts = await t.dataSource.query(
      `SELECT kind FROM alerts WHERE clock_id = $1 ORDER BY kind`,
      [clock.id],
    );
    expect(alerts).toEqual([{ kind: 'sla_breach' }]);
    expect(receiver.at(url)).toHaveLength(1);
  });

  it('pauses a shipment clock on hold and pushes its deadline back by the hold', async () => {
    const { shipment } = await plannedShipment(t, 'SN', 'SNDKR', { shipment: { mode: 'road' } });
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * H * 1000);
    await event(t, shipment.id, 'dispatched', at(10));
    await event(t, shipment.id, 'on_hold', at(8));
    await event(t, shipment.id, 'in_transit', at(5));

    const [running] = await clocksOf(t, `/api/v1/shipments/${shipment.id}`);
    expect(running).toMatchObject({
      metric: 'dispatch_to_delivery',
      subjectType: 'shipment',
      state: 'running',
      mode: 'road',
      targetSeconds: 240 * H,
      pausedSeconds: 3 * H,
      pausedAt: null,
    });
    expect(Date.parse(running.dueAt)).toBe(at(10).getTime() + (240 + 3) * H * 1000);
    expect(Math.round(running.elapsedSeconds)).toBe(7 * H);

    await event(t, shipment.id, 'on_hold', at(1));
    const [paused] = await clocksOf(t, `/api/v1/shipments/${shipment.id}`);
    expect(paused).toMatchObject({ state: 'paused', dueAt: null, pausedAt: at(1).toISOString() });
    expect(Math.round(paused.elapsedSeconds)).toBe(6 * H);

    await event(t, shipment.id, 'delivered', new Date(now));
    const [stopped] = await clocksOf(t, `/api/v1/shipments/${shipment.id}`);
    expect(stopped).toMatchObject({ state: 'met', pausedSeconds: 4 * H, elapsedSeconds: 6 * H });
  });

  it('gives a clock restarted by a corrected dispatch its own breach', async () => {
    await createPolicy(t, {
      metric: 'dispatch_to_delivery',
      target: 'PT3S',
      warningRatio: 1,
      match: { country: ['GM'], mode: ['road'] },
    });
    const { shipment } = await plannedShipment(t, 'GM', 'GMBJL', { shipment: { mode: 'road' } });
    const breaches = () => alertsOf(t, `shipmentId=${shipment.id}&kind=sla_breach`);
    const wrong = await event(t, shipment.id, 'dispatched', new Date(Date.now() - H * 1000));
    await eventually(async () => (await breaches()).length === 1, 10_000, 'the first breach');

    await ok(
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events/${wrong.id}/void`)
        .set(bearer(t.adminKey))
        .send({ reason: 'Dispatched today, not an hour ago' }),
      200,
    );
    const [cancelled] = await clocksOf(t, `/api/v1/shipments/${shipment.id}`);
    expect(cancelled.state).toBe('cancelled');
    expect((await breaches())[0]).toMatchObject({
      state: 'resolved',
      resolution: 'clock cancelled',
    });

    await event(t, shipment.id, 'dispatched', new Date());
    const [running] = await clocksOf(t, `/api/v1/shipments/${shipment.id}`);
    expect(running.state).toBe('running');
    const [second] = await eventually(
      async () => {
        const found = await breaches();
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'the breach of the new run',
    );
    expect(second).toMatchObject({ state: 'open', clockId: running.id, causeAt: running.dueAt });
  });

  it('applies the most specific policy, and a policy change to new clocks only', async () => {
    const stat = await createPolicy(t, {
      target: 'PT48H',
      match: { priority: ['stat'], country: ['BF'] },
    });
    const first = await createRequest(t, 'BF', 'BFOUA', { priority: 'stat' });
    expect(first.request.slaClocks[0]).toMatchObject({ policyId: stat.id, targetSeconds: 48 * H });
    const routine = await createRequest(t, 'BF', 'BFOUA', { priority: 'routine' });
    expect(routine.request.slaClocks[0].targetSeconds).toBe(96 * H);

    const patched = await t.http
      .patch(`/api/v1/sla/policies/${stat.id}`)
      .set(bearer(t.adminKey))
      .set('if-match', '"1"')
      .send({ target: 'PT24H' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ target: 'PT24H', targetSeconds: 24 * H, version: 2 });

    const [kept] = await clocksOf(t, `/api/v1/requests/${first.request.id}`);
    expect(kept.targetSeconds).toBe(48 * H);
    const second = await createRequest(t, 'BF', 'BFOUA', { priority: 'stat' });
    expect(second.request.slaClocks[0].targetSeconds).toBe(24 * H);

    const archived = await t.http.delete(`/api/v1/sla/policies/${stat.id}`).set(bearer(t.adminKey));
    expect(archived.status).toBe(204);
    const third = await createRequest(t, 'BF', 'BFOUA', { priority: 'stat' });
    expect(third.request.slaClocks[0].targetSeconds).toBe(96 * H);
    expect(
      (await t.http.get(`/api/v1/sla/policies/${stat.id}`).set(bearer(t.adminKey))).status,
    ).toBe(404);
  });

  it('cancels the clocks of a rejected request and resolves their alerts', async () => {
    await createPolicy(t, { target: 'PT1S', warningRatio: 1, match: { country: ['SD'] } });
    const { request } = await createRequest(t, 'SD', 'SDPZU');
    await eventually(
      async () => (await alertsOf(t, `requestId=${request.id}&kind=sla_breach`)).length === 1,
      10_000,
      'the breach',
    );
    await ok(
      await t.http
        .post(`/api/v1/requests/${request.id}/reject`)
        .set(bearer(t.adminKey))
        .send({ reason: 'Duplicate of an earlier request' }),
      200,
    );
    const [clock] = await clocksOf(t, `/api/v1/requests/${request.id}`);
    expect(clock.state).toBe('cancelled');
    const [breach] = await alertsOf(t, `requestId=${request.id}`);
    expect(breach).toMatchObject({ state: 'resolved', resolution: 'clock cancelled' });
  });

  it('lists clocks by state, metric, country and deadline', async () => {
    await createPolicy(t, { target: 'PT1S', warningRatio: 1, match: { country: ['BD'] } });
    await createPolicy(t, { target: 'PT30S', warningRatio: 0.01, match: { country: ['GN'] } });
    const late = (await createRequest(t, 'BD', 'BDDAC')).request;
    const risky = (await createRequest(t, 'GN', 'GNCKY')).request;
    await new Promise((r) => setTimeout(r, 1_200));
    const list = (query: string) =>
      t.http
        .get(`/api/v1/sla/clocks?${query}`)
        .set(bearer(t.adminKey))
        .then((r) => ok(r, 200))
        .then((b) => b.data as any[]);
    const breaching = await list('state=breaching&country=BD&metric=request_to_first_dispatch');
    expect(breaching.map((c) => [c.subjectId, c.state])).toContainEqual([late.id, 'breaching']);
    expect(breaching.every((c) => c.state === 'breaching' && c.country === 'BD')).toBe(true);
    const atRisk = await list('state=at_risk&country=GN');
    expect(atRisk.map((c) => [c.subjectId, c.state])).toEqual([[risky.id, 'at_risk']]);
    expect(await list(`state=running&subjectId=${risky.id}`)).toEqual([]);

    const { request } = await createRequest(t, 'AF', 'AFKBL', {
      receivedAt: new Date().toISOString(),
    });
    const [clock] = request.slaClocks;
    const before = (due: number) =>
      list(`subjectId=${request.id}&dueBefore=${new Date(due).toISOString()}`).then((data) =>
        data.map((c) => c.id),
      );
    expect(await before(Date.parse(clock.dueAt) + 1)).toEqual([clock.id]);
    expect(await before(Date.parse(clock.dueAt))).toEqual([]);
    const one = await t.http.get(`/api/v1/sla/clocks/${clock.id}`).set(bearer(t.adminKey));
    expect(one.body).toMatchObject({
      id: clock.id,
      state: 'running',
      shareUsed: expect.any(Number),
    });
  });

  it('refuses bad policies and filters as problem+json naming the field', async () => {
    const cases: [object, string][] = [
      [{ target: 'P1M' }, 'target'],
      [{ target: 'PT0S' }, 'target'],
      [{ target: 'PT1H', warningRatio: 0 }, 'warningRatio'],
      [{ target: 'PT1H', warningRatio: 0.7555 }, 'warningRatio'],
      [{ target: 'PT1H', match: { mode: ['road'] } }, 'match.mode'],
      [{ target: 'PT1H', match: { country: ['XX'] } }, 'match.country[0]'],
      [{ target: 'PT1H', match: { priority: ['soon'] } }, 'match.priority'],
      [{ target: 'PT1H', colour: 'red' }, 'colour'],
      [{ target: 'PT1H', metric: 'request_to_lunch' }, 'metric'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http
        .post('/api/v1/sla/policies')
        .set(bearer(t.adminKey))
        .send({ name: 'Bad', metric: 'request_to_first_dispatch', ...body });
      expect([res.status, res.headers['content-type']]).toEqual([
        400,
        expect.stringMatching(/problem\+json/),
      ]);
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    }
    for (const query of ['state=late', 'dueBefore=yesterday', 'metric=x', 'limit=1000']) {
      const res = await t.http.get(`/api/v1/sla/clocks?${query}`).set(bearer(t.adminKey));
      expect(res.status).toBe(400);
    }
  });
});

describe('SLA alerts after Redis lost its data', () => {
  let redis: OwnRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await bootApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('still raises exactly one breach, through the sweep', async () => {
    await createPolicy(t, { target: 'PT4S', warningRatio: 1, match: { country: ['NE'] } });
    const { request } = await createRequest(t, 'NE', 'NENIM');
    const [clock] = request.slaClocks;
    // The wake-up job reached Redis, and Redis then forgets everything.
    await eventually(
      async () => {
        const [row] = await t.dataSource.query(
          `SELECT sent_at FROM outbox WHERE job_name = 'fire-sla-alerts' AND job_id = $1`,
          [`sla-alerts-${Math.ceil(Date.parse(clock.dueAt) / 100) * 100}`],
        );
        return row?.sent_at;
      },
      10_000,
      'the wake-up job in Redis',
    );
    await t.app.get(QueueRegistry).connection.flushall();

    const alert = await eventually(
      async () => (await alertsOf(t, `requestId=${request.id}&kind=sla_breach`))[0],
      40_000,
      'the breach raised by the sweep',
    );
    expect(alert.clockId).toBe(clock.id);
    expect(Date.parse(alert.raisedAt)).toBeGreaterThanOrEqual(Date.parse(clock.dueAt));
    await t.app.get(SlaClocksService).fireDue();
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM alerts WHERE clock_id = $1`,
      [clock.id],
    );
    expect(count).toBe(1);
  });
});

describe('SLA alerts owed when a clock starts', () => {
  let t: TestApp;

  beforeAll(async () => {
    // No workers: nothing but the request itself can raise the alert.
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  it('raises the breach of a back-dated request with the request, exactly once', async () => {
    const receivedAt = new Date(Date.now() - 100 * H * 1000).toISOString();
    const { request } = await createRequest(t, 'ML', 'MLBKO', { receivedAt });
    const alerts = await t.http
      .get(`/api/v1/alerts?requestId=${request.id}`)
      .set(bearer(t.adminKey))
      .then((r) => ok(r, 200));
    const breaches = alerts.data.filter(
      (a: any) => a.kind === 'sla_breach' && a.details.metric === 'request_to_first_dispatch',
    );
    expect(breaches).toHaveLength(1);
    expect(breaches[0].state).toBe('open');
    const [clock] = await t.dataSource.query(
      `SELECT breach_fired_at, next_alert_at FROM sla_clocks
        WHERE subject_id = $1 AND metric = 'request_to_first_dispatch'`,
      [request.id],
    );
    expect(clock.breach_fired_at).not.toBeNull();
    expect(clock.next_alert_at).toBeNull();
    // The sweep finds nothing more to raise for it.
    await t.app.get(SlaClocksService).fireDue();
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM alerts WHERE request_id = $1 AND kind = 'sla_breach'
          AND details->>'metric' = 'request_to_first_dispatch'`,
      [request.id],
    );
    expect(count).toBe(1);
  });
});
