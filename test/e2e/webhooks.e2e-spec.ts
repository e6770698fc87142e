import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { WebhookDeliveryService } from '../../src/modules/webhooks/webhook-delivery.service';
import { type WebhookMessage, WebhooksService } from '../../src/modules/webhooks/webhooks.service';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import { makeKey } from '../helpers/factories';
import { expectedSignature, Receiver } from '../helpers/webhook-receiver';

const PROBLEM = /^application\/problem\+json/;
const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;

function expectProblem(res: { status: number; headers: any; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM);
  expect(res.body.status).toBe(status);
}

async function insertAlert(t: TestApp): Promise<string> {
  const [alert] = await t.dataSource.query(
    `INSERT INTO alerts (kind, dedupe_key, severity, reference, title, cause_at)
     VALUES ('tracking_stale', $1, 'warning', 'SHP-000001', 'No tracking event for 24 h', now()) RETURNING id`,
    [`test-${randomUUID()}`],
  );
  return alert.id;
}

function message(type: string, alertId: string | null, data: object = {}): WebhookMessage {
  return { type, alertId, timestamp: new Date('2020-03-24T10:00:00Z'), data };
}

/** Deliveries of a subscription, straight from the table. */
async function deliveryIds(t: TestApp, subscriptionId: string): Promise<string[]> {
  const rows = await t.dataSource.query(
    `SELECT id FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY created_at`,
    [subscriptionId],
  );
  return rows.map((r: { id: string }) => r.id);
}

/** Publishes as the alerts code does, in a transaction. */
async function publish(t: TestApp, messages: WebhookMessage[]): Promise<void> {
  await t.dataSource.transaction((manager: EntityManager) =>
    t.app.get(WebhooksService).publish(manager, messages),
  );
}

/** Publishes, but the jobs for `subscriptionId` never reach Redis (as if Redis lost them). */
async function publishLosingJobs(
  t: TestApp,
  subscriptionId: string,
  messages: WebhookMessage[],
): Promise<void> {
  await t.dataSource.transaction(async (manager: EntityManager) => {
    await t.app.get(WebhooksService).publish(manager, messages);
    await manager.query(
      `DELETE FROM outbox WHERE job_name = 'deliver-webhooks' AND payload->>'subscriptionId' = $1`,
      [subscriptionId],
    );
  });
}

describe('webhooks', () => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    t = await bootApp({ WEBHOOK_RETRY_SCALE: '0.001' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  const subscribe = async (url: string, events = ['alert.sla_breach'], secret = SECRET) => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({ url, events, secret });
    expect(res.status).toBe(201);
    return res.body;
  };
  const delivery = async (subscriptionId: string, id: string) =>
    (
      await t.http
        .get(`/api/v1/webhooks/${subscriptionId}/deliveries/${id}`)
        .set(bearer(t.adminKey))
    ).body;
  const settled = (subscriptionId: string, id: string) =>
    eventually(async () => {
      const d = await delivery(subscriptionId, id);
      return d.state !== 'pending' && d;
    });

  it('creates, reads, lists, updates and deletes a subscription, showing the secret only once', async () => {
    const url = receiver.url();
    const created = await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({ url, events: ['alert.sla_breach', 'alert.sla_warning'], description: 'Pager' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url,
      events: ['alert.sla_breach', 'alert.sla_warning'],
      description: 'Pager',
      active: true,
      consecutiveFailures: 0,
      version: 1,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const path = `/api/v1/webhooks/${created.body.id}`;

    const coordinator = await makeKey(t, 'coordinator');
    const read = await t.http.get(path).set(bearer(coordinator));
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).not.toHaveProperty('secret');
    const list = await t.http.get('/api/v1/webhooks?limit=200').set(bearer(coordinator));
    expect(list.body.data.map((w: any) => w.id)).toContain(created.body.id);
    expect(list.body.data.every((w: any) => w.secret === undefined)).toBe(true);
    expectProblem(
      await t.http.post('/api/v1/webhooks').set(bearer(coordinator)).send({ url, events: [] }),
      403,
    );

    expectProblem(await t.http.patch(path).set(bearer(t.adminKey)).send({ description: 'x' }), 428);
    const updated = await t.http
      .patch(path)
      .set(bearer(t.adminKey))
      .set('if-match', '"1"')
      .send({ events: ['alert.eta_overdue'], description: 'Night shift' });
    expect(updated.status).toBe(200);
    expect(updated.headers.etag).toBe('"2"');
    expect(updated.body).toMatchObject({
      events: ['alert.eta_overdue'],
      description: 'Night shift',
    });
    expectProblem(
      await t.http.patch(path).set(bearer(t.adminKey)).set('if-match', '"1"').send({}),
      412,
    );

    expect((await t.http.delete(path).set(bearer(t.adminKey))).status).toBe(204);
    expectProblem(await t.http.get(path).set(bearer(t.adminKey)), 404);
    expectProblem(await t.http.delete(path).set(bearer(t.adminKey)), 404);
  });

  it('pages through subscriptions newest first', async () => {
    const older = await subscribe(receiver.url());
    const newer = await subscribe(receiver.url());
    const first = await t.http.get('/api/v1/webhooks?limit=1').set(bearer(t.adminKey));
    expect(first.body.data.map((w: any) => w.id)).toEqual([newer.id]);
    const second = await t.http
      .get(`/api/v1/webhooks?limit=1&cursor=${first.body.nextCursor}`)
      .set(bearer(t.adminKey));
    expect(second.body.data.map((w: any) => w.id)).toEqual([older.id]);
  });

  it('refuses a bad url, an unknown event type, a bad secret and an unknown field, naming each', async () => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({
        url: 'ftp://example.org/hook',
        events: ['alert.sla_breach', 'shipment.teleported'],
        secret: 'whsec_tooshort',
        colour: 'red',
      });
    expectProblem(res, 400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: any) => e.field).sort()).toEqual([
      'colour',
      'events',
      'secret',
      'url',
    ]);

    const refusals = [
      { url: 'https://user:pw@example.org/', events: ['alert.sla_breach'] },
      { url: receiver.url(), events: [] },
      { url: receiver.url(), events: ['alert.sla_breach', 'alert.sla_breach'] },
      { url: receiver.url(), events: ['webhook.test'] },
      { url: `https://example.org/${'a'.repeat(2000)}`, events: ['alert.sla_breach'] },
    ];
    for (const body of refusals) {
      const refused = await t.http.post('/api/v1/webhooks').set(bearer(t.adminKey)).send(body);
      expectProblem(refused, 400);
      expect(refused.body.errors).toHaveLength(1);
    }
  });

  it('sends a test message once, signed per Standard Webhooks', async () => {
    const url = receiver.url();
    const subscription = await subscribe(url);
    const queued = await t.http
      .post(`/api/v1/webhooks/${subscription.id}/test`)
      .set(bearer(t.adminKey));
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ type: 'webhook.test', state: 'pending', attemptCount: 0 });

    const done = await settled(subscription.id, queued.body.id);
    expect(done).toMatchObject({ state: 'succeeded', attemptCount: 1, lastStatus: 200 });
    const [got, ...more] = receiver.at(url);
    expect(more).toHaveLength(0);
    expect(got.headers).toMatchObject({
      'webhook-id': `msg_${queued.body.id}`,
      'content-type': 'application/json',
      'user-agent': 'Lifeline-Webhooks',
    });
    const timestamp = got.headers['webhook-timestamp'] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(got.headers['webhook-signature']).toBe(
      expectedSignature(SECRET, `msg_${queued.body.id}`, timestamp, got.body),
    );
    const body = JSON.parse(got.body);
    expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
    expect(body).toEqual({
      type: 'webhook.test',
      timestamp: queued.body.payload.timestamp,
      data: { subscriptionId: subscription.id, message: 'Lifeline test' },
    });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx, logging each attempt', async () => {
    const url = receiver.url(500, 500, 500);
    const subscription = await subscribe(url);
    const queued = await t.http
      .post(`/api/v1/webhooks/${subscription.id}/test`)
      .set(bearer(t.adminKey));

    const done = await settled(subscription.id, queued.body.id);
    expect(done).toMatchObject({ state: 'succeeded', attemptCount: 4, lastStatus: 200 });
    expect(done.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(done.attempts.map((a: any) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(done.attempts[0]).toMatchObject({ responseExcerpt: 'thanks', error: null });
    const got = receiver.at(url);
    expect(got).toHaveLength(4);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([`msg_${queued.body.id}`]),
    );
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    for (const r of got) {
      expect(r.headers['webhook-signature']).toBe(
        expectedSignature(
          SECRET,
          `msg_${queued.body.id}`,
          r.headers['webhook-timestamp'] as string,
          r.body,
        ),
      );
    }
    const after = await t.http.get(`/api/v1/webhooks/${subscription.id}`).set(bearer(t.adminKey));
    expect(after.body).toMatchObject({ active: true, consecutiveFailures: 0, failingSince: null });
  });

  it('counts a redirect as a failed attempt instead of following it', async () => {
    const url = receiver.url(307);
    const subscription = await subscribe(url);
    const queued = await t.http
      .post(`/api/v1/webhooks/${subscription.id}/test`)
      .set(bearer(t.adminKey));

    const done = await settled(subscription.id, queued.body.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts.map((a: any) => [a.statusCode, a.error])).toEqual([
      [307, 'redirects are not followed'],
      [200, null],
    ]);
  });

  it('disables a subscription whose receiver answers 410 Gone, until it is turned back on', async () => {
    const url = receiver.url(410);
    const subscription = await subscribe(url);
    const path = `/api/v1/webhooks/${subscription.id}`;
    const queued = await t.http.post(`${path}/test`).set(bearer(t.adminKey));

    const done = await settled(subscription.id, queued.body.id);
    expect(done).toMatchObject({ state: 'failed', attemptCount: 1, lastStatus: 410 });
    const disabled = await t.http.get(path).set(bearer(t.adminKey));
    expect(disabled.body).toMatchObject({ active: false, consecutiveFailures: 1 });
    expect(disabled.body.disabledReason).toMatch(/410/);
    expectProblem(await t.http.post(`${path}/test`).set(bearer(t.adminKey)), 409);

    const enabled = await t.http
      .patch(path)
      .set(bearer(t.adminKey))
      .set('if-match', disabled.headers.etag)
      .send({ active: true });
    expect(enabled.body).toMatchObject({
      active: true,
      disabledAt: null,
      disabledReason: null,
      consecutiveFailures: 0,
    });
    const again = await t.http.post(`${path}/test`).set(bearer(t.adminKey));
    expect((await settled(subscription.id, again.body.id)).state).toBe('succeeded');
    const failed = await t.http.get(`${path}/deliveries?state=failed`).set(bearer(t.adminKey));
    expect(failed.body.data.map((d: any) => d.id)).toEqual([queued.body.id]);
  });

  it('publishes to the subscriptions that asked for the type, once per alert', async () => {
    const staleUrl = receiver.url();
    const stale = await subscribe(staleUrl, ['alert.tracking_stale']);
    const overdue = await subscribe(receiver.url(), ['alert.eta_overdue']);
    const alertId = await insertAlert(t);

    await publish(t, [message('alert.tracking_stale', alertId, { alertId, title: 'Stale' })]);
    await publish(t, [message('alert.tracking_stale', alertId, { alertId, title: 'Stale' })]);

    const ids = await deliveryIds(t, stale.id);
    expect(ids).toHaveLength(1);
    expect(await deliveryIds(t, overdue.id)).toHaveLength(0);
    const done = await settled(stale.id, ids[0]);
    expect(done).toMatchObject({ state: 'succeeded', alertId, type: 'alert.tracking_stale' });
    expect(JSON.parse(receiver.at(staleUrl)[0].body)).toEqual({
      type: 'alert.tracking_stale',
      timestamp: '2020-03-24T10:00:00.000Z',
      data: { alertId, title: 'Stale' },
    });
  });

  it('publishes an alert storm in one call and delivers every message', async () => {
    const url = receiver.url();
    const storm = await subscribe(url, ['alert.temperature_excursion']);
    const messages = Array.from({ length: 500 }, (_, i) =>
      message('alert.temperature_excursion', null, { reading: i }),
    );

    await publish(t, messages);

    expect(await deliveryIds(t, storm.id)).toHaveLength(500);
    await eventually(async () => receiver.at(url).length === 500, 30_000, '500 messages');
    const readings = receiver.at(url).map((r) => JSON.parse(r.body).data.reading);
    expect(new Set(readings).size).toBe(500);
  });

  it('sends again a delivery whose job was lost, when the sweep finds it overdue', async () => {
    const url = receiver.url();
    const subscription = await subscribe(url, ['alert.shipment_exception']);
    await publishLosingJobs(t, subscription.id, [
      message('alert.shipment_exception', await insertAlert(t)),
    ]);
    const [id] = await deliveryIds(t, subscription.id);
    expect(receiver.at(url)).toHaveLength(0);

    const swept = await t.app.get(WebhookDeliveryService).resumeOverdue(0);

    expect(swept.subscriptions).toBeGreaterThanOrEqual(1);
    expect((await settled(subscription.id, id)).state).toBe('succeeded');
    expect(receiver.at(url)).toHaveLength(1);
  });

  it('shares a backlog between workers draining it at once, sending each message once', async () => {
    const url = receiver.url();
    const subscription = await subscribe(url, ['alert.sla_warning']);
    const alerts = await Promise.all(Array.from({ length: 250 }, () => insertAlert(t)));
    await publishLosingJobs(
      t,
      subscription.id,
      alerts.map((id) => message('alert.sla_warning', id)),
    );
    const ids = await deliveryIds(t, subscription.id);
    expect(ids).toHaveLength(250);
    const deliveries = t.app.get(WebhookDeliveryService);

    const drains = await Promise.all([1, 2, 3].map(() => deliveries.deliverDue(subscription.id)));

    expect(drains.reduce((sum, d) => sum + d.sent, 0)).toBe(250);
    expect(drains.reduce((sum, d) => sum + d.succeeded, 0)).toBe(250);
    expect(receiver.at(url)).toHaveLength(250);
    expect(new Set(receiver.at(url).map((r) => r.headers['webhook-id'])).size).toBe(250);
    const [{ attempts }] = await t.dataSource.query(
      `SELECT count(*)::int AS attempts FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = $1`,
      [subscription.id],
    );
    expect(attempts).toBe(250);
    expect((await deliveries.deliverDue(subscription.id)).sent).toBe(0);
  });
});

describe('webhooks with private targets refused', () => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    t = await bootApp(
      { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_RETRY_SCALE: '0.001' },
      { workers: false },
    );
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('refuses loopback, private and metadata addresses with 400 naming url', async () => {
    for (const url of [
      receiver.url(),
      'http://localhost:8080/hook',
      'http://10.0.0.8/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
    ]) {
      const res = await t.http
        .post('/api/v1/webhooks')
        .set(bearer(t.adminKey))
        .send({ url, events: ['alert.sla_breach'] });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([
        { field: 'url', messages: [expect.stringMatching(/private, loopback or link-local/)] },
      ]);
    }
  });

  it('checks the address again before each attempt, recording a refusal as a failed attempt', async () => {
    // Saved while the address was public, say, and pointing inside the network now.
    const url = receiver.url();
    const [subscription] = await t.dataSource.query(
      `INSERT INTO webhook_subscriptions (url, events, secret, created_by, updated_by)
       VALUES ($1, '{alert.eta_overdue}', $2, 'test', 'test') RETURNING id`,
      [url, SECRET],
    );
    await publish(t, [message('alert.eta_overdue', await insertAlert(t))]);
    const [id] = await deliveryIds(t, subscription.id);

    const result = await t.app.get(WebhookDeliveryService).deliverDue(subscription.id);

    expect(result).toEqual({ sent: 1, succeeded: 0 });
    expect(
      await t.dataSource.query(`SELECT state, attempts FROM webhook_deliveries WHERE id = $1`, [
        id,
      ]),
    ).toEqual([{ state: 'pending', attempts: 1 }]);
    expect(receiver.at(url)).toHaveLength(0);
    const [attempt] = await t.dataSource.query(
      `SELECT error, status_code FROM webhook_attempts WHERE delivery_id = $1`,
      [id],
    );
    expect(attempt).toMatchObject({ status_code: null });
    expect(attempt.error).toMatch(/127\.0\.0\.1/);
  });
});
