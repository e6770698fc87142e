import { randomBytes } from 'node:crypto';
import { bearer, type TestApp } from './app';

/** Unique upper-case suffix for codes and references. */
export function unique(length = 6): string {
  return randomBytes(8).toString('hex').toUpperCase().slice(0, length);
}

async function post<T = Record<string, any>>(
  t: TestApp,
  path: string,
  body: object,
  key = t.adminKey,
): Promise<T> {
  const res = await t.http.post(path).set(bearer(key)).send(body);
  if (res.status >= 300)
    throw new Error(`POST ${path} -> ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

export async function makeKey(t: TestApp, role: string, carrierId?: string): Promise<string> {
  const body = await post(t, '/api/v1/api-keys', {
    name: `${role}-${unique()}`,
    role,
    ...(carrierId ? { carrierId } : {}),
  });
  return body.key;
}

export function makeCarrier(t: TestApp, overrides: object = {}) {
  return post(t, '/api/v1/carriers', {
    name: `Carrier ${unique()}`,
    kind: 'charter_operator',
    modes: ['air_charter', 'road'],
    code: `C${unique(7)}`,
    ...overrides,
  });
}

export function makeItem(t: TestApp, overrides: object = {}) {
  return post(t, '/api/v1/items', {
    code: `ITEM-${unique()}`,
    name: 'N95 respirator',
    category: 'ppe',
    unit: 'piece',
    coldChain: false,
    ...overrides,
  });
}

export async function makeApprovedRequest(
  t: TestApp,
  lines: { itemCode: string; quantity: number }[],
  overrides: object = {},
) {
  const request = await post(t, '/api/v1/requests', {
    recipientCountry: 'AF',
    organisation: 'Ministry of Public Health',
    destination: 'AFKBL',
    priority: 'urgent',
    kind: 'donation',
    receivedAt: '2020-03-20T08:00:00Z',
    lines,
    ...overrides,
  });
  return post(t, `/api/v1/requests/${request.id}/approve`, {});
}

export async function makeConfirmedOrder(
  t: TestApp,
  requestId: string,
  lines: { requestLineId: string; quantity: number }[],
) {
  const order = await post(t, '/api/v1/orders', { requestId, source: 'Central warehouse', lines });
  return post(t, `/api/v1/orders/${order.id}/confirm`, {});
}

export function makeShipment(
  t: TestApp,
  carrierId: string,
  items: { orderLineId: string; quantity: number }[],
  overrides: object = {},
) {
  return post(t, '/api/v1/shipments', {
    carrierId,
    mode: 'air_charter',
    origin: 'CNCAN',
    destination: 'AFKBL',
    trackingReference: `TR-${unique(10)}`,
    plannedDepartureAt: '2020-03-22T08:00:00Z',
    items: items.map((i) => ({ ...i, lot: 'L2020-03', expiresOn: '2023-03-01' })),
    ...overrides,
  });
}

/** A ready-to-ship shipment of one item line, for tests about events. */
export async function makePlannedShipment(t: TestApp, quantity = 100) {
  const carrier = await makeCarrier(t);
  const item = await makeItem(t);
  const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity }]);
  const order = await makeConfirmedOrder(t, request.id, [
    { requestLineId: request.lines[0].id, quantity },
  ]);
  const shipment = await makeShipment(t, carrier.id, [
    { orderLineId: order.lines[0].id, quantity },
  ]);
  return { carrier, item, request, order, shipment };
}
