import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { JOB_QUEUE } from '../../src/common/queue/jobs';
import {
  drainJob,
  WebhookDeliveryService,
} from '../../src/modules/webhooks/webhook-delivery.service';
import { WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository';
import { type WebhookMessage, WebhooksService } from '../../src/modules/webhooks/webhooks.service';
import { bearer, bootApp, eventually, type TestApp, waitForQueuesDrained } from '../helpers/app';
import { makeKey, makePlannedShipment } from '../helpers/factories';
import { expectedSignature, type Received, Receiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

interface Message {
  webhookId: string;
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

/** What a receiver got, in arrival order, each signature checked as a receiver would. */
function verified(got: Received[]): Message[] {
  return got.map((r) => {
    const webhookId = r.headers['webhook-id'] as string;
    expect(r.headers['webhook-signature']).toBe(
      expectedSignature(SECRET, webhookId, r.headers['webhook-timestamp'] as string, r.body),
    );
    const body = JSON.parse(r.body);
    expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
    return { webhookId, ...body };
  });
}

/** Publishes as the domain code does, but the drain jobs never reach Redis. */
async function publishLosingJobs(
  t: TestApp,
  subscriptionId: string,
  messages: WebhookMessage[],
): Promise<void> {
  await t.dataSource.transaction(async (manager: EntityManager) => {
    await t.app.get(WebhooksService).publish(manager, messages);
    await manager.query(
      `DELETE FROM outbox WHERE job_name IN ('deliver-webhooks', 'deliver-lifecycle-webhooks') AND payload->>'subscriptionId' = $1`,
      [subscriptionId],
    );
  });
}

async function insertAlert(t: TestApp): Promise<string> {
  const [alert] = await t.dataSource.query(
    `INSERT INTO alerts (kind, dedupe_key, severity, title, reference, cause_at)
     VALUES ('tracking_stale', $1, 'warning', 'SHP-X has had no tracking event for 24 h', 'SHP-X', now())
     RETURNING id`,
    [`test-${randomUUID()}`],
  );
  return alert.id;
}

function lifecycleMessage(orderingKey: string, n: number): WebhookMessage {
  return {
    type: 'shipment.status_changed',
    alertId: null,
    timestamp: new Date('2020-03-24T10:00:00Z'),
    data: { n },
    orderingKey,
    messageKey: randomUUID(),
  };
}

describe('lifecycle webhooks', () => {
  let t: TestApp;
  let receiver: Receiver;
  let operator: string;

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    t = await bootApp({ WEBHOOK_RETRY_SCALE: '0.001' });
    operator = await makeKey(t, 'operator');
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  const subscribe = async (url: string, events: string[]) => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(bearer(t.adminKey))
      .send({ url, events, secret: SECRET });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  const event = async (shipmentId: string, body: object) => {
    const res = await t.http
      .post(`/api/v1/shipments/${shipmentId}/events`)
      .set(bearer(operator))
      .send(body);
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Waits until `url` got `count` requests and nothing more is on its way, then reads them. */
  const receivedAll = async (url: string, count: number) => {
    await eventually(async () => receiver.at(url).length >= count, 20_000, `${count} messages`);
    await waitForQueuesDrained(t.app);
    return verified(receiver.at(url));
  };

  it('sends every applied status change of a shipment once, signed, in the order they happened', async () => {
    const url = receiver.url();
    await subscribe(url, ['shipment.status_changed']);
    const { shipment, request, carrier } = await makePlannedShipment(t);
    await event(shipment.id, { status: 'booked', occurredAt: '2020-03-23T08:00:00Z' });
    await event(shipment.id, {
      status: 'dispatched',
      occurredAt: '2020-03-24T08:00:00Z',
      location: 'CNCAN',
    });
    await event(shipment.id, { status: 'in_transit', occurredAt: '2020-03-24T12:00:00Z' });
    // A tracking update: the status does not change, so no message.
    await event(shipment.id, { status: 'in_transit', occurredAt: '2020-03-24T18:00:00Z' });
    await event(shipment.id, { status: 'arrived', occurredAt: '2020-03-25T06:00:00Z' });

    const messages = await receivedAll(url, 4);
    expect(messages.map((m) => `${m.data.previousStatus}>${m.data.status}`)).toEqual([
      'planned>booked',
      'booked>dispatched',
      'dispatched>in_transit',
      'in_transit>arrived',
    ]);
    expect(new Set(messages.map((m) => m.webhookId)).size).toBe(4);
    expect(messages[1]).toMatchObject({
      type: 'shipment.status_changed',
      timestamp: '2020-03-24T08:00:00.000Z',
      data: {
        shipmentId: shipment.id,
        reference: shipment.reference,
        trackingReference: shipment.trackingReference,
        destinationCountry: 'AF',
        carrier: { id: carrier.id, code: carrier.code, name: carrier.name },
        requests: [{ id: request.id, reference: request.reference }],
        cause: 'event',
        occurredAt: '2020-03-24T08:00:00.000Z',
        location: 'CNCAN',
      },
    });
  });

  it('holds a shipment’s later messages while the receiver fails the first, then sends them in order', async () => {
    const url = receiver.url(500, 500, 500);
    const subscription = await subscribe(url, ['shipment.status_changed', 'shipment.delivered']);
    const { shipment } = await makePlannedShipment(t);
    // One feed, one transaction: all six messages exist before the first attempt.
    const batch = await t.http
      .post('/api/v1/shipment-events/batch')
      .set(bearer(operator))
      .send({
        events: [
          ['booked', '2020-03-23T08:00:00Z'],
          ['dispatched', '2020-03-24T08:00:00Z'],
          ['in_transit', '2020-03-24T12:00:00Z'],
          ['arrived', '2020-03-25T06:00:00Z'],
          ['delivered', '2020-03-25T12:00:00Z'],
        ].map(([status, occurredAt]) => ({ shipmentId: shipment.id, status, occurredAt })),
      });
    expect(batch.status).toBe(202);

    const messages = await receivedAll(url, 9);
    expect(messages).toHaveLength(9);
    // The first message four times (three failures, then 200), and only then the rest, once each.
    const first = messages[0].webhookId;
    expect(messages.slice(0, 4).map((m) => m.webhookId)).toEqual([first, first, first, first]);
    const rest = messages.slice(4);
    expect(new Set(rest.map((m) => m.webhookId)).size).toBe(5);
    expect(rest.map((m) => m.webhookId)).not.toContain(first);
    expect(
      messages
        .slice(3)
        .map((m) => `${m.type}:${m.data.previousStatus ?? ''}>${m.data.status ?? ''}`),
    ).toEqual([
      'shipment.status_changed:planned>booked',
      'shipment.status_changed:booked>dispatched',
      'shipment.status_changed:dispatched>in_transit',
      'shipment.status_changed:in_transit>arrived',
      'shipment.status_changed:arrived>delivered',
      'shipment.delivered:>',
    ]);

    const deliveries = await t.http
      .get(`/api/v1/webhooks/${subscription.id}/deliveries?limit=100`)
      .set(bearer(t.adminKey));
    const head = deliveries.body.data.find((d: any) => `msg_${d.id}` === first);
    expect(head).toMatchObject({ state: 'succeeded', attemptCount: 4, lastStatus: 200 });
    expect(deliveries.body.data.every((d: any) => d.state === 'succeeded')).toBe(true);
  });

  it('sends shipment.delivered once with the proof of delivery, to a subscription that asked only for it', async () => {
    const url = receiver.url();
    await subscribe(url, ['shipment.delivered']);
    const { shipment, item } = await makePlannedShipment(t, 100);
    const items = (await t.http.get(`/api/v1/shipments/${shipment.id}`).set(bearer(operator))).body
      .items;
    await event(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T08:00:00Z' });
    const delivered = await event(shipment.id, {
      status: 'delivered',
      occurredAt: '2020-03-25T12:00:00Z',
      location: 'AFKBL',
      proofOfDelivery: {
        receivedBy: 'Dr. A. Rahimi, central medical store',
        lines: [{ shipmentItemId: items[0].id, receivedGood: 90, damaged: 6, missing: 4 }],
      },
    });

    const messages = await receivedAll(url, 1);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      type: 'shipment.delivered',
      timestamp: '2020-03-25T12:00:00.000Z',
      data: {
        shipmentId: shipment.id,
        reference: shipment.reference,
        eventId: delivered.id,
        deliveredAt: '2020-03-25T12:00:00.000Z',
        location: 'AFKBL',
        proofOfDelivery: {
          receivedBy: 'Dr. A. Rahimi, central medical store',
          lines: [
            {
              shipmentItemId: items[0].id,
              itemCode: item.code,
              quantity: 100,
              receivedGood: 90,
              damaged: 6,
              missing: 4,
            },
          ],
        },
      },
    });
  });

  it('sends request.approved and request.fulfilled once each, even when the delivery is voided and recorded again', async () => {
    const url = receiver.url();
    const subscription = await subscribe(url, ['request.approved', 'request.fulfilled']);
    const { shipment, request } = await makePlannedShipment(t, 50);
    const again = await t.http
      .post(`/api/v1/requests/${request.id}/approve`)
      .set(bearer(t.adminKey))
      .send({});
    expect(again.status).toBe(409);
    await event(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T08:00:00Z' });
    const delivered = await event(shipment.id, {
      status: 'delivered',
      occurredAt: '2020-03-25T12:00:00Z',
    });
    const voided = await t.http
      .post(`/api/v1/shipments/${shipment.id}/events/${delivered.id}/void`)
      .set(bearer(operator))
      .send({ reason: 'Scanned at the wrong store' });
    expect(voided.status).toBe(200);
    await event(shipment.id, { status: 'delivered', occurredAt: '2020-03-25T14:00:00Z' });
    const current = await t.http.get(`/api/v1/requests/${request.id}`).set(bearer(t.adminKey));
    expect(current.body.status).toBe('delivered');

    const messages = await receivedAll(url, 2);
    expect(messages.map((m) => [m.type, m.data.requestId])).toEqual([
      ['request.approved', request.id],
      ['request.fulfilled', request.id],
    ]);
    expect(messages[0].data).toMatchObject({
      reference: request.reference,
      recipientCountry: 'AF',
      approvedBy: expect.any(String),
      lines: [{ lineNo: 1, quantity: 50 }],
    });
    expect(messages[1]).toMatchObject({
      timestamp: '2020-03-25T12:00:00.000Z',
      data: {
        status: 'delivered',
        deliveredAt: '2020-03-25T12:00:00.000Z',
        lines: [{ lineNo: 1, quantity: 50, delivered: 50 }],
      },
    });
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM webhook_deliveries WHERE subscription_id = $1`,
      [subscription.id],
    );
    expect(count).toBe(2);
  });

  it('sends no lifecycle message to a subscription that asked only for alerts', async () => {
    const bystanderUrl = receiver.url();
    const bystander = await subscribe(bystanderUrl, ['alert.sla_breach']);
    const followerUrl = receiver.url();
    await subscribe(followerUrl, ['shipment.status_changed', 'request.approved']);
    const { shipment } = await makePlannedShipment(t);
    await event(shipment.id, { status: 'dispatched', occurredAt: '2020-03-24T08:00:00Z' });

    // The follower got both: they were published.
    expect((await receivedAll(followerUrl, 2)).map((m) => m.type)).toEqual([
      'request.approved',
      'shipment.status_changed',
    ]);
    const rows: { type: string }[] = await t.dataSource.query(
      `SELECT type FROM webhook_deliveries WHERE subscription_id = $1`,
      [bystander.id],
    );
    expect(rows.filter((r) => !r.type.startsWith('alert.'))).toEqual([]);
    expect(verified(receiver.at(bystanderUrl)).filter((m) => !m.type.startsWith('alert.'))).toEqual(
      [],
    );
  });

  it('leases only the oldest pending message of each shipment, and alerts on their own lane', async () => {
    const subscription = await subscribe(receiver.url(), [
      'alert.tracking_stale',
      'shipment.status_changed',
    ]);
    const [a, b] = [randomUUID(), randomUUID()];
    const alerts = [await insertAlert(t), await insertAlert(t)];
    await publishLosingJobs(t, subscription.id, [
      lifecycleMessage(a, 1),
      lifecycleMessage(a, 2),
      lifecycleMessage(b, 1),
      ...alerts.map((alertId) => ({
        type: 'alert.tracking_stale',
        alertId,
        timestamp: new Date(),
        data: {},
      })),
    ]);
    const rows: { id: string; key: string | null; n: number | null }[] = await t.dataSource.query(
      `SELECT id, ordering_key AS key, (payload::json->'data'->>'n')::int AS n
         FROM webhook_deliveries WHERE subscription_id = $1`,
      [subscription.id],
    );
    const idOf = (key: string | null, n: number | null) =>
      rows.find((r) => r.key === key && r.n === n)!.id;
    const repository = t.app.get(WebhooksRepository);

    const leased = await repository.leaseDue(subscription.id, 1, 100, 60);
    expect(leased.map((d) => d.id).sort()).toEqual([idOf(a, 1), idOf(b, 1)].sort());
    const alertLane = await repository.leaseDue(subscription.id, 0, 100, 60);
    expect(alertLane.map((d) => d.id).sort()).toEqual(
      rows
        .filter((r) => r.key === null)
        .map((r) => r.id)
        .sort(),
    );
    // a's second waits while its first is out, then goes once the first is settled.
    expect(await repository.leaseDue(subscription.id, 1, 100, 60)).toEqual([]);
    await t.dataSource.query(
      `UPDATE webhook_deliveries SET state = 'succeeded', lease_until = NULL WHERE id = $1`,
      [idOf(a, 1)],
    );
    expect((await repository.leaseDue(subscription.id, 1, 100, 60)).map((d) => d.id)).toEqual([
      idOf(a, 2),
    ]);
  });

  it('sends a subscription’s alerts on a lane of their own, never behind a backlog of lifecycle messages', async () => {
    const url = receiver.url();
    const subscription = await subscribe(url, ['alert.tracking_stale', 'shipment.status_changed']);
    // 250 shipments' messages, queued before the alerts are raised.
    await publishLosingJobs(
      t,
      subscription.id,
      Array.from({ length: 250 }, (_, i) => lifecycleMessage(randomUUID(), i)),
    );
    const alerts = [await insertAlert(t), await insertAlert(t)];
    await publishLosingJobs(
      t,
      subscription.id,
      alerts.map((alertId) => ({
        type: 'alert.tracking_stale',
        alertId,
        timestamp: new Date(),
        data: {},
      })),
    );
    // Alert drains and lifecycle drains are different jobs on different queues and workers.
    expect(JOB_QUEUE['deliver-webhooks']).not.toBe(JOB_QUEUE['deliver-lifecycle-webhooks']);
    expect(drainJob(subscription.id, 0).item.name).toBe('deliver-webhooks');
    expect(drainJob(subscription.id, 1).item.name).toBe('deliver-lifecycle-webhooks');

    const deliveries = t.app.get(WebhookDeliveryService);
    expect(await deliveries.deliverDue(subscription.id, 0)).toEqual({ sent: 2, succeeded: 2 });
    expect(verified(receiver.at(url)).map((m) => m.type)).toEqual([
      'alert.tracking_stale',
      'alert.tracking_stale',
    ]);
    expect(await deliveries.deliverDue(subscription.id, 1)).toEqual({ sent: 250, succeeded: 250 });
    expect(verified(receiver.at(url))).toHaveLength(252);
  });
});
