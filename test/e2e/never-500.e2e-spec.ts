import fc from 'fast-check';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import { makePlannedShipment } from '../helpers/factories';

/** Values that break naive code: wrong types, huge numbers, odd strings, odd dates. */
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    '\u0000',
    '9'.repeat(400),
    '2020-02-30',
    '0000-01-01T00:00:00Z',
    'NaN',
    '-1',
    'AFKBL',
    'KBL',
  ),
  fc.integer(),
  fc.constantFrom(2 ** 31, 2 ** 53, -(2 ** 31) - 1, 1e308, 5e-324, 1e-7),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** A valid body with one field (possibly nested) replaced by something nasty, or dropped. */
function mutations(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), nasty).map(([k, v]) => ({ ...valid, [k]: v })),
    fc
      .constantFrom(...keys)
      .map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
    fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...keys), nasty).map(([k, inner, v]) => {
      const value = valid[k];
      if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
        return { ...valid, [k]: [{ ...(value[0] as object), [inner]: v }] };
      }
      return { ...valid, [k]: v };
    }),
    fc.anything(),
  );
}

describe('bad input never gets a 500', () => {
  let t: TestApp;
  let fixture: Awaited<ReturnType<typeof makePlannedShipment>>;
  let policyId: string;
  let alertId: string;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    fixture = await makePlannedShipment(t);
    const policy = await t.http
      .post('/api/v1/sla/policies')
      .set(bearer(t.adminKey))
      .send({
        name: 'x',
        metric: 'dispatch_to_delivery',
        target: 'PT1H',
        match: { mode: ['sea'] },
      });
    policyId = policy.body.id;
    const [alert] = await t.dataSource.query(
      `INSERT INTO alerts (kind, dedupe_key, severity, reference, title, cause_at)
       VALUES ('tracking_stale', 'never-500', 'warning', 'SHP-000001', 'x', now()) RETURNING id`,
    );
    alertId = alert.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const cases = (): [string, 'post' | 'patch', string, Record<string, unknown>][] => [
    [
      'items',
      'post',
      '/api/v1/items',
      { code: 'X-1', name: 'x', category: 'ppe', unit: 'box', coldChain: false },
    ],
    [
      'carriers',
      'post',
      '/api/v1/carriers',
      { name: 'x', kind: 'airline', modes: ['air_cargo'], code: 'XX1' },
    ],
    [
      'requests',
      'post',
      '/api/v1/requests',
      {
        recipientCountry: 'AF',
        organisation: 'x',
        destination: 'AFKBL',
        priority: 'urgent',
        kind: 'donation',
        receivedAt: '2020-03-20T08:00:00Z',
        lines: [{ itemCode: fixture.item.code, quantity: 1 }],
      },
    ],
    [
      'orders',
      'post',
      '/api/v1/orders',
      {
        requestId: fixture.request.id,
        source: 'x',
        lines: [{ requestLineId: fixture.request.lines[0].id, quantity: 1 }],
      },
    ],
    [
      'shipments',
      'post',
      '/api/v1/shipments',
      {
        carrierId: fixture.carrier.id,
        mode: 'air_charter',
        origin: 'CNCAN',
        destination: 'AFKBL',
        trackingReference: 'T-1',
        items: [
          {
            orderLineId: fixture.order.lines[0].id,
            quantity: 1,
            lot: 'L',
            expiresOn: '2030-01-01',
          },
        ],
        legs: [
          {
            mode: 'road',
            from: 'CNCAN',
            to: 'AFKBL',
            arrival: { planned: '2020-03-26T00:00:00Z' },
          },
        ],
      },
    ],
    [
      'events',
      'post',
      `/api/v1/shipments/${fixture.shipment.id}/events`,
      {
        status: 'in_transit',
        occurredAt: '2020-03-23T10:00:00Z',
        location: 'AEDXB',
        temperatureC: 4,
      },
    ],
    [
      'batch',
      'post',
      '/api/v1/shipment-events/batch',
      {
        events: [
          {
            shipmentId: fixture.shipment.id,
            status: 'in_transit',
            occurredAt: '2020-03-23T10:00:00Z',
          },
        ],
      },
    ],
    ['api-keys', 'post', '/api/v1/api-keys', { name: 'x', role: 'viewer' }],
    [
      'shipment patch',
      'patch',
      `/api/v1/shipments/${fixture.shipment.id}`,
      { notes: 'x', legs: [] },
    ],
    [
      'sla policies',
      'post',
      '/api/v1/sla/policies',
      {
        name: 'x',
        metric: 'request_to_first_dispatch',
        target: 'PT96H',
        warningRatio: 0.75,
        match: { priority: ['stat'], country: ['AF'] },
      },
    ],
    [
      'sla policy patch',
      'patch',
      `/api/v1/sla/policies/${policyId}`,
      { target: 'PT2H', warningRatio: 0.5, match: { mode: ['road'] } },
    ],
    [
      'webhooks',
      'post',
      '/api/v1/webhooks',
      { url: 'http://127.0.0.1:9/hook', events: ['alert.sla_breach'], description: 'x' },
    ],
    ['acknowledge', 'post', `/api/v1/alerts/${alertId}/acknowledge`, { note: 'x' }],
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('case %i', async (i) => {
    const [, method, path, valid] = cases()[i];
    await fc.assert(
      fc.asyncProperty(mutations(valid), async (body) => {
        // Fastify's inject sends the JSON text as it is (primitives, nulls, anything).
        const res = await t.app
          .getHttpAdapter()
          .getInstance()
          .inject({
            method: method.toUpperCase() as 'POST' | 'PATCH',
            url: path,
            headers: { ...bearer(t.adminKey), 'if-match': '*', 'content-type': 'application/json' },
            payload: JSON.stringify(body ?? null),
          });
        const status = res.statusCode;
        if (status >= 500)
          throw new Error(`${method} ${path} ${JSON.stringify(body)} -> ${status}: ${res.body}`);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  const lists: [string, Record<string, string>][] = [
    ['/api/v1/alerts', { kind: 'sla_breach', state: 'open', country: 'AF', limit: '5' }],
    [
      '/api/v1/sla/clocks',
      { state: 'at_risk', metric: 'dispatch_to_delivery', dueBefore: '2030-01-01T00:00:00Z' },
    ],
    ['/api/v1/sla/policies', { metric: 'request_to_delivery', limit: '1' }],
    ['/api/v1/webhooks', { limit: '10' }],
    ['/api/v1/shipments', { status: 'planned', destinationCountry: 'AF', mode: 'road' }],
    ['/api/v1/requests', { status: 'received', priority: 'stat' }],
    [
      '/api/v1/reports/turnaround',
      {
        metric: 'request_to_first_dispatch',
        groupBy: 'week',
        from: '2020-01-01',
        to: '2020-07-01',
        country: 'AF',
        carrierId: '6f1c2a5e-9d5b-4c1e-8a3f-2b7d9e0c4a11',
        mode: 'road',
        category: 'ppe',
      },
    ],
    ['/api/v1/reports/sla-compliance', { metric: 'dispatch_to_delivery', priority: 'stat' }],
    ['/api/v1/reports/coverage', { from: '2020-01-01', to: '2020-02-01', region: '011' }],
  ];

  it.each(lists.map(([path, query]) => [path, query] as const))(
    'list %s with a mangled query',
    async (path, valid) => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc
              .tuple(fc.constantFrom(...Object.keys(valid), 'cursor', 'limit'), nasty)
              .map(([k, v]) => ({ ...valid, [k]: typeof v === 'string' ? v : JSON.stringify(v) })),
            fc
              .subarray(Object.keys(valid))
              .map((keep) => Object.fromEntries(keep.map((k) => [k, valid[k]]))),
            fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
          ),
          async (query) => {
            const res = await t.app
              .getHttpAdapter()
              .getInstance()
              .inject({
                method: 'GET',
                url: `${path}?${new URLSearchParams(query as Record<string, string>).toString()}`,
                headers: bearer(t.adminKey),
              });
            if (res.statusCode >= 500)
              throw new Error(
                `GET ${path} ${JSON.stringify(query)} -> ${res.statusCode}: ${res.body}`,
              );
            expect(res.statusCode).toBeLessThan(500);
          },
        ),
        { numRuns: 60 },
      );
    },
  );
});
