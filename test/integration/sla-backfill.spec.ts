import { ShipmentEventsService } from '../../src/modules/shipments/shipment-events.service';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import { makePlannedShipment } from '../helpers/factories';

const H = 3_600_000;

describe('SLA clocks for requests and shipments older than the clocks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  it('starts them from the facts, holds included, and leaves existing clocks alone', async () => {
    // A shipment whose row says dispatched while its facts hold no dispatch (written by hand,
    // as some tests do): the backfill starts nothing for it, however often it runs.
    const { shipment: factless } = await makePlannedShipment(t);
    await t.dataSource.query(`UPDATE shipments SET dispatched_at = now() WHERE id = $1`, [
      factless.id,
    ]);
    const { request, shipment } = await makePlannedShipment(t);
    const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * H).toISOString();
    for (const [status, occurredAt] of [
      ['dispatched', at(10)],
      ['on_hold', at(8)],
      ['in_transit', at(6)],
    ]) {
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(t.adminKey))
        .send({ status, occurredAt })
        .expect(201);
    }
    const clocks = () =>
      t.dataSource.query(
        `SELECT subject_id, metric, state, paused_ms::int AS paused, started_at FROM sla_clocks
          WHERE subject_id = ANY($1::uuid[]) ORDER BY metric`,
        [[request.id, shipment.id]],
      );
    const before = await clocks();
    expect(before.map((c: any) => c.metric)).toEqual([
      'dispatch_to_delivery',
      'request_to_first_dispatch',
    ]);
    // As if they predated the clocks (and so the alerts clocks raise: a back-dated request's
    // clock owes its alerts as it starts).
    await t.dataSource.query(
      `DELETE FROM alerts WHERE clock_id IN (SELECT id FROM sla_clocks WHERE subject_id = ANY($1::uuid[]))`,
      [[request.id, shipment.id]],
    );
    await t.dataSource.query(`DELETE FROM sla_clocks WHERE subject_id = ANY($1::uuid[])`, [
      [request.id, shipment.id],
    ]);

    const done = await t.app.get(ShipmentEventsService).backfillClocks(1);
    expect(done.requests).toBeGreaterThanOrEqual(1);
    expect(done.shipments).toBeGreaterThanOrEqual(1);
    expect(await clocks()).toEqual(before);
    expect(before.find((c: any) => c.metric === 'dispatch_to_delivery')).toMatchObject({
      state: 'running',
      paused: 2 * H,
    });

    const again = await t.app.get(ShipmentEventsService).backfillClocks();
    expect(again).toEqual({ requests: 0, shipments: 0 });
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM sla_clocks WHERE subject_id = $1`,
      [factless.id],
    );
    expect(count).toBe(0);
  });
});
