import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
} from '../helpers/factories';

const H = 3_600_000;
// Only this file writes requests received in 2003: every report and check is scoped to it.
const FROM = '2003-01-01T00:00:00.000Z';
const TO = '2004-01-01T00:00:00.000Z';
const RANGE = { from: FROM, to: TO };
const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'];
const COUNTRIES = ['GN', 'GM', 'LR'];
// UN M49: Guinea, Gambia and Liberia are in Western Africa (011), Eritrea in Eastern Africa (014).
const REGION_SQL = `CASE country WHEN 'ER' THEN '014' ELSE '011' END`;

interface NaiveRow {
  key: string | null;
  count: number;
  mean: number;
  p: number[];
  max: number;
  met: number;
  judged: number;
}

describe('Reports', () => {
  let t: TestApp;
  let viewer: string;
  const openShipments: string[] = [];

  /** One request through the API: approved, ordered, shipped, dispatched and maybe delivered. */
  async function campaignRequest(
    i: number,
    carriers: { id: string; mode: string }[],
    items: Record<string, any>[],
    country: string,
  ) {
    // Milliseconds are deliberate: reports are exact to the millisecond.
    const receivedAt = new Date(Date.parse('2003-02-01T00:00:00Z') + i * 37 * H + i * 7919);
    const lines = [{ itemCode: items[0].code, quantity: 100 + i }];
    if (i % 2 === 1) lines.push({ itemCode: items[1].code, quantity: 50 });
    const request = await makeApprovedRequest(t, lines, {
      recipientCountry: country,
      destination: `${country}XXX`,
      priority: PRIORITIES[i % 4],
      receivedAt: receivedAt.toISOString(),
    });
    if (i % 10 === 9) return; // never dispatched: no turnaround yet
    const order = await makeConfirmedOrder(
      t,
      request.id,
      request.lines.map((l: { id: string; quantity: number }) => ({
        requestLineId: l.id,
        quantity: l.quantity,
      })),
    );
    const carrier = carriers[i % 2];
    const shipment = await makeShipment(
      t,
      carrier.id,
      order.lines.map((l: { id: string; quantity: number }) => ({
        orderLineId: l.id,
        quantity: l.quantity,
      })),
      { mode: carrier.mode, destination: `${country}XXX` },
    );
    const dispatchedAt = receivedAt.getTime() + (10 + ((i * 17) % 150)) * H + i * 13;
    const events = [{ status: 'dispatched', occurredAt: new Date(dispatchedAt).toISOString() }];
    if (i % 5 !== 0) {
      const hours = carrier.mode === 'road' ? 100 + ((i * 29) % 200) : 20 + ((i * 11) % 70);
      events.push({
        status: 'delivered',
        occurredAt: new Date(dispatchedAt + hours * H + i).toISOString(),
      });
    } else {
      openShipments.push(shipment.id);
    }
    for (const event of events) {
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(t.adminKey))
        .send(event)
        .expect(201);
    }
  }

  const rollupsCaughtUp = () =>
    eventually(
      async () => {
        const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM report_dirty`);
        return n === 0;
      },
      20_000,
      'report rollups to catch up',
    );

  /** The turnaround straight from the raw tables, by PostgreSQL's own percentile_cont. */
  async function naive(
    metric: 'request_to_first_dispatch' | 'dispatch_to_delivery' | 'request_to_delivery',
    groupSql: string,
    range = RANGE,
  ): Promise<NaiveRow[]> {
    const facts =
      metric === 'dispatch_to_delivery'
        ? `SELECT s.id AS subject_id, s.dispatched_at AS started_at, s.delivered_at AS ended_at,
                  s.destination_country AS country, s.carrier_id, s.mode,
                  (SELECT r.priority FROM shipment_items si
                     JOIN order_lines ol ON ol.id = si.order_line_id
                     JOIN orders o ON o.id = ol.order_id JOIN requests r ON r.id = o.request_id
                    WHERE si.shipment_id = s.id
                    ORDER BY array_position(ARRAY['stat','asap','urgent','routine'], r.priority)
                    LIMIT 1) AS priority,
                  (SELECT array_agg(DISTINCT i.category) FROM shipment_items si
                     JOIN order_lines ol ON ol.id = si.order_line_id
                     JOIN request_lines rl ON rl.id = ol.request_line_id
                     JOIN items i ON i.id = rl.item_id WHERE si.shipment_id = s.id) AS categories
             FROM shipments s WHERE s.dispatched_at IS NOT NULL AND s.delivered_at IS NOT NULL`
        : `SELECT r.id AS subject_id, r.received_at AS started_at,
                  ${metric === 'request_to_first_dispatch' ? 'r.first_dispatch_at' : 'r.delivered_at'}
                    AS ended_at,
                  r.recipient_country AS country, r.priority, first.carrier_id, first.mode,
                  (SELECT array_agg(DISTINCT i.category) FROM request_lines rl
                     JOIN items i ON i.id = rl.item_id WHERE rl.request_id = r.id) AS categories
             FROM requests r
             LEFT JOIN LATERAL (
               SELECT s.carrier_id, s.mode FROM orders o
                 JOIN order_lines ol ON ol.order_id = o.id
                 JOIN shipment_items si ON si.order_line_id = ol.id
                 JOIN shipments s ON s.id = si.shipment_id
                WHERE o.request_id = r.id AND s.dispatched_at IS NOT NULL
                ORDER BY s.dispatched_at, s.id LIMIT 1) first ON true`;
    const rows = await t.dataSource.query(
      `WITH f AS (${facts}),
       v AS (
         SELECT f.*, (extract(epoch FROM f.ended_at - f.started_at) * 1000)::float8 / 3600000 AS h,
                c.state
           FROM f LEFT JOIN sla_clocks c ON c.subject_id = f.subject_id AND c.metric = $3
          WHERE f.ended_at IS NOT NULL AND f.started_at >= $1 AND f.started_at < $2),
       g AS (SELECT ${groupSql} AS key, h, state FROM v${groupSql === 'category' ? ', unnest(v.categories) AS category' : ''})
       SELECT key::text, count(*)::int AS count, avg(h) AS mean,
              percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY h) AS p, max(h) AS max,
              count(*) FILTER (WHERE state = 'met')::int AS met,
              count(*) FILTER (WHERE state IN ('met', 'breached'))::int AS judged
         FROM g GROUP BY key ORDER BY key`,
      [range.from, range.to, metric],
    );
    return rows;
  }

  async function report(query: Record<string, string>) {
    const res = await t.http
      .get('/api/v1/reports/turnaround')
      .query({ ...RANGE, ...query })
      .set(bearer(viewer))
      .expect(200);
    return res.body;
  }

  function expectSame(rows: Record<string, any>[], expected: NaiveRow[]) {
    expect(rows.map((r) => [r.key, r.count])).toEqual(expected.map((e) => [e.key, e.count]));
    rows.forEach((row, i) => {
      const e = expected[i];
      // Percentiles and max are the same float64 values PostgreSQL computes.
      expect([row.p50Hours, row.p90Hours, row.p95Hours, row.maxHours]).toEqual([...e.p, e.max]);
      // A mean depends on the order floats are summed in: equal to far below a millisecond.
      expect(Math.abs(row.meanHours - e.mean)).toBeLessThan(1e-9);
      expect(row.withinSlaShare).toBe(e.judged === 0 ? null : e.met / e.judged);
    });
  }

  beforeAll(async () => {
    t = await bootApp();
    viewer = await makeKey(t, 'viewer');
    const air = await makeCarrier(t, { modes: ['air_charter'] });
    const road = await makeCarrier(t, { kind: 'trucking', modes: ['road'] });
    const carriers = [
      { id: air.id as string, mode: 'air_charter' },
      { id: road.id as string, mode: 'road' },
    ];
    const items = [
      await makeItem(t, { category: 'ppe' }),
      await makeItem(t, { category: 'diagnostics', unit: 'kit' }),
    ];
    for (let i = 0; i < 30; i++) {
      await campaignRequest(i, carriers, items, COUNTRIES[i % 3]);
    }
    await campaignRequest(30, carriers, items, 'ER'); // the only request from Eritrea
    await rollupsCaughtUp();
  });
  afterAll(() => t.close());

  it.each([
    ['country', 'country'],
    ['region', REGION_SQL],
    ['carrier', 'carrier_id'],
    ['priority', 'priority'],
    ['mode', 'mode'],
    ['category', 'category'],
    ['week', `to_char(started_at AT TIME ZONE 'UTC', 'IYYY-"W"IW')`],
    ['month', `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM')`],
  ])(
    'request to first dispatch by %s equals percentile_cont over the raw tables',
    async (groupBy, sql) => {
      const body = await report({ metric: 'request_to_first_dispatch', groupBy });
      expect(body.rows.length).toBeGreaterThan(0);
      expectSame(body.rows, await naive('request_to_first_dispatch', sql));
    },
  );

  it.each([
    ['dispatch_to_delivery', 'mode', 'mode'],
    ['dispatch_to_delivery', 'country', 'country'],
    ['dispatch_to_delivery', 'priority', 'priority'],
    ['dispatch_to_delivery', 'category', 'category'],
    ['request_to_delivery', 'month', `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM')`],
    ['request_to_delivery', 'carrier', 'carrier_id'],
  ] as const)(
    '%s by %s equals percentile_cont over the raw tables',
    async (metric, groupBy, sql) => {
      const body = await report({ metric, groupBy });
      expect(body.rows.length).toBeGreaterThan(0);
      expectSame(body.rows, await naive(metric, sql));
    },
  );

  it('names groups: countries, M49 regions and carriers get readable labels', async () => {
    const byRegion = await report({ metric: 'request_to_first_dispatch', groupBy: 'region' });
    expect(byRegion.rows.map((r: any) => [r.key, r.label])).toEqual([
      ['011', 'Western Africa'],
      ['014', 'Eastern Africa'],
    ]);
    const byCountry = await report({ metric: 'request_to_first_dispatch', groupBy: 'country' });
    expect(byCountry.rows.find((r: any) => r.key === 'GN').label).toBe('Guinea');
  });

  it('gives a single-value group that value for every percentile, and max', async () => {
    const { rows } = await report({ metric: 'request_to_first_dispatch', groupBy: 'country' });
    const er = rows.find((r: any) => r.key === 'ER');
    expect(er.count).toBe(1);
    const [expected] = await naive('request_to_first_dispatch', 'country').then((all) =>
      all.filter((r) => r.key === 'ER'),
    );
    expect([er.meanHours, er.p50Hours, er.p90Hours, er.p95Hours, er.maxHours]).toEqual(
      Array(5).fill(expected.max),
    );
  });

  it('answers an empty range with no rows, and filters like the raw query', async () => {
    const empty = await t.http
      .get('/api/v1/reports/turnaround')
      .query({
        metric: 'request_to_first_dispatch',
        groupBy: 'country',
        from: '2003-01-01',
        to: '2003-01-02',
      })
      .set(bearer(viewer))
      .expect(200);
    expect(empty.body.rows).toEqual([]);
    const emptyCsv = await t.http
      .get('/api/v1/reports/coverage')
      .query({ from: '2003-01-01', to: '2003-01-02' })
      .set({ ...bearer(viewer), accept: 'text/csv' })
      .expect(200);
    expect(emptyCsv.text).toBe(
      'country,itemCode,itemName,category,requested,dispatched,delivered\n',
    );

    const march = { from: '2003-03-01T00:00:00.000Z', to: '2003-04-01T00:00:00.000Z' };
    const res = await t.http
      .get('/api/v1/reports/turnaround')
      .query({ metric: 'request_to_first_dispatch', groupBy: 'priority', country: 'GN', ...march })
      .set(bearer(viewer))
      .expect(200);
    const expected = await naive(
      'request_to_first_dispatch',
      `CASE WHEN country = 'GN' THEN priority END`,
      march,
    );
    expectSame(
      res.body.rows,
      expected.filter((e) => e.key !== null),
    );
  });

  it('sends CSV when asked for text/csv, one line per group', async () => {
    const res = await t.http
      .get('/api/v1/reports/turnaround')
      .query({ ...RANGE, metric: 'request_to_first_dispatch', groupBy: 'country' })
      .set({ ...bearer(viewer), accept: 'text/csv' })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toBe(
      'metric,groupBy,key,label,count,meanHours,p50Hours,p90Hours,p95Hours,maxHours,withinSlaShare',
    );
    const json = await report({ metric: 'request_to_first_dispatch', groupBy: 'country' });
    expect(lines).toHaveLength(json.rows.length + 1);
    const ne = lines.find((l) => l.split(',')[2] === 'GN')!.split(',');
    const row = json.rows.find((r: any) => r.key === 'GN');
    expect(Number(ne[6])).toBe(row.p50Hours);
    expect(ne[3]).toBe('Guinea');
  });

  it('counts met and breached clocks, and open clocks by the time they have left', async () => {
    const res = await t.http
      .get('/api/v1/reports/sla-compliance')
      .query(RANGE)
      .set(bearer(viewer))
      .expect(200);
    const [counts] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE state = 'met')::int AS met,
              count(*) FILTER (WHERE state = 'breached')::int AS breached,
              count(*) FILTER (WHERE state IN ('running', 'paused'))::int AS open
         FROM sla_clocks WHERE metric = 'request_to_first_dispatch'
          AND started_at >= $1 AND started_at < $2`,
      [FROM, TO],
    );
    const m = res.body.metrics.find((x: any) => x.metric === 'request_to_first_dispatch');
    expect([m.met, m.breached]).toEqual([counts.met, counts.breached]);
    expect(m.met + m.breached).toBe(28);
    // The undispatched 2003 requests are long past their 96 hours.
    expect(m.breaching).toBe(counts.open);
    expect(m.openByRemaining.map((b: any) => b.bucket)).toEqual([
      'overdue',
      '0-6h',
      '6-24h',
      '24-48h',
      '48-96h',
      'over-96h',
    ]);
    expect(m.openByRemaining[0].count).toBe(counts.open);
  });

  it('follows an open clock as its shipment is held and resumed', async () => {
    // A carrier of its own keeps this shipment apart from every other file's clocks.
    const carrier = await makeCarrier(t);
    const item = await makeItem(t);
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 10 }]);
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 10 },
    ]);
    const shipment = await makeShipment(t, carrier.id, [
      { orderLineId: order.lines[0].id, quantity: 10 },
    ]);
    const event = (status: string, minutesAgo: number) =>
      t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(t.adminKey))
        .send({ status, occurredAt: new Date(Date.now() - minutesAgo * 60_000).toISOString() })
        .expect(201);
    const compliance = async () =>
      (
        await t.http
          .get('/api/v1/reports/sla-compliance')
          .query({ metric: 'dispatch_to_delivery', carrierId: carrier.id })
          .set(bearer(viewer))
          .expect(200)
      ).body.metrics[0];
    /** The bucket of hours left the clock is in, from sla_clocks itself. */
    const expectedBucket = async () => {
      const [c] = await t.dataSource.query(
        `SELECT (CASE WHEN state = 'paused'
                   THEN target_ms - paused_ms - 1000 * extract(epoch FROM paused_at - started_at)
                   ELSE 1000 * extract(epoch FROM due_at - now()) END) / 3600000 AS hours
           FROM sla_clocks WHERE subject_id = $1`,
        [shipment.id],
      );
      return ['overdue', '0-6h', '6-24h', '24-48h', '48-96h', 'over-96h'][
        [0, 6, 24, 48, 96].filter((limit) => limit <= Number(c.hours)).length
      ];
    };
    const inBucket = (m: any) =>
      m.openByRemaining.filter((b: any) => b.count > 0).map((b: any) => [b.bucket, b.count]);

    await event('dispatched', 60);
    await event('on_hold', 30);
    const held = await eventually(
      async () => ((await compliance()).paused === 1 ? compliance() : undefined),
      10_000,
      'the held clock in the report',
    );
    expect(held).toMatchObject({ running: 0, atRisk: 0, breaching: 0, paused: 1 });
    expect(inBucket(held)).toEqual([[await expectedBucket(), 1]]);

    await event('in_transit', 0);
    const resumed = await eventually(
      async () => ((await compliance()).paused === 0 ? compliance() : undefined),
      10_000,
      'the resumed clock in the report',
    );
    expect(resumed.running + resumed.atRisk + resumed.breaching).toBe(1);
    expect(inBucket(resumed)).toEqual([[await expectedBucket(), 1]]);
  });

  it('shows which countries asked and received, and quantities per item', async () => {
    const res = await t.http
      .get('/api/v1/reports/coverage')
      .query({ from: '2003-01-01', to: '2004-01-01' })
      .set(bearer(viewer))
      .expect(200);
    expect(res.body.countriesAsked).toBe(4);
    expect(res.body.countriesReceived).toBe(3); // Eritrea's one shipment is still on its way
    expect(res.body.receivedShare).toBe(0.75);
    const expected = await t.dataSource.query(
      `SELECT r.recipient_country AS country, i.code AS "itemCode",
              sum(rl.quantity)::int AS requested, sum(rl.dispatched)::int AS dispatched,
              sum(rl.delivered)::int AS delivered
         FROM requests r JOIN request_lines rl ON rl.request_id = r.id
         JOIN items i ON i.id = rl.item_id
        WHERE r.received_at >= $1 AND r.received_at < $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [FROM, TO],
    );
    expect(
      res.body.items.map((x: any) => ({
        country: x.country,
        itemCode: x.itemCode,
        requested: x.requested,
        dispatched: x.dispatched,
        delivered: x.delivered,
      })),
    ).toEqual(expected);
    const guinea = res.body.countries.find((c: any) => c.country === 'GN');
    expect(guinea).toMatchObject({
      name: 'Guinea',
      region: 'Western Africa',
      requests: 10,
      received: true,
    });
  });

  it('reflects a delivery within moments, through the rollup job', async () => {
    const before = await report({ metric: 'dispatch_to_delivery', groupBy: 'month' });
    const count = (body: any) => body.rows.reduce((n: number, r: any) => n + r.count, 0);
    const shipmentId = openShipments[0];
    const [{ dispatched_at: dispatchedAt }] = await t.dataSource.query(
      `SELECT dispatched_at FROM shipments WHERE id = $1`,
      [shipmentId],
    );
    const dispatched = dispatchedAt.getTime();
    await t.http
      .post(`/api/v1/shipments/${shipmentId}/events`)
      .set(bearer(t.adminKey))
      .send({ status: 'delivered', occurredAt: new Date(dispatched + 30 * H).toISOString() })
      .expect(201);
    await eventually(
      async () =>
        count(await report({ metric: 'dispatch_to_delivery', groupBy: 'month' })) ===
        count(before) + 1,
      10_000,
      'the delivery in the report',
    );
  });

  it('refuses bad queries with a problem naming the field, and unknown formats with 406', async () => {
    const bad = async (query: Record<string, string>, field: string) => {
      const res = await t.http
        .get('/api/v1/reports/turnaround')
        .query(query)
        .set(bearer(viewer))
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    };
    await bad({ metric: 'request_to_lunch', groupBy: 'country' }, 'metric');
    await bad({ metric: 'request_to_first_dispatch', groupBy: 'planet' }, 'groupBy');
    await bad(
      { metric: 'request_to_first_dispatch', groupBy: 'country', from: 'yesterday' },
      'from',
    );
    await bad(
      { metric: 'request_to_first_dispatch', groupBy: 'country', ...RANGE, to: FROM },
      'to',
    );
    await bad(
      { metric: 'request_to_first_dispatch', groupBy: 'country', country: 'Niger' },
      'country',
    );
    await bad({ metric: 'request_to_first_dispatch', groupBy: 'country', size: '5' }, 'size');
    const partialDay = await t.http
      .get('/api/v1/reports/coverage')
      .query({ from: '2003-01-01T12:00:00Z' })
      .set(bearer(viewer))
      .expect(400);
    expect(partialDay.body.errors[0].field).toBe('from');
    await t.http
      .get('/api/v1/reports/coverage')
      .set({ ...bearer(viewer), accept: 'application/xml' })
      .expect(406);
  });

  it('lets viewers read reports and keeps carriers out', async () => {
    const carrier = await makeCarrier(t);
    const key = await makeKey(t, 'carrier', carrier.id);
    await t.http.get('/api/v1/reports/coverage').set(bearer(key)).expect(403);
  });
});
