import type { DataSource } from 'typeorm';
import { unique } from './factories';

export interface SeededShipment {
  id: string;
  trackingReference: string;
}

/**
 * Many planned shipments at once, written straight to the tables (tests of the event paths
 * need hundreds; creating each through the API would only slow them down).
 */
export async function seedShipments(
  db: DataSource,
  count: number,
): Promise<{ carrierId: string; shipments: SeededShipment[] }> {
  const tag = unique(8);
  const [carrier] = await db.query(
    `INSERT INTO carriers (code, name, kind, modes, created_by, updated_by)
     VALUES ($1, 'Seeded Air', 'airline', '{air_cargo}', 'seed', 'seed') RETURNING id`,
    [`S${tag}`],
  );
  const [item] = await db.query(
    `INSERT INTO items (code, name, category, unit, created_by) VALUES ($1, 'Seeded kit', 'diagnostics', 'kit', 'seed') RETURNING id`,
    [`SEED-${tag}`],
  );
  const [request] = await db.query(
    `INSERT INTO requests (reference, recipient_country, organisation, destination, priority, kind, workflow_status,
                           status, received_at, created_by, updated_by)
     VALUES ($1, 'AF', 'Seed', 'AFKBL', 'urgent', 'donation', 'approved', 'in_fulfilment', '2020-03-20T00:00:00Z', 'seed', 'seed')
     RETURNING id`,
    [`REQ-SEED-${tag}`],
  );
  const [line] = await db.query(
    `INSERT INTO request_lines (request_id, line_no, item_id, quantity, allocated) VALUES ($1, 1, $2, $3, $3) RETURNING id`,
    [request.id, item.id, count],
  );
  const [order] = await db.query(
    `INSERT INTO orders (reference, request_id, source, workflow_status, status, created_by, updated_by)
     VALUES ($1, $2, 'Seed', 'confirmed', 'confirmed', 'seed', 'seed') RETURNING id`,
    [`ORD-SEED-${tag}`, request.id],
  );
  const [orderLine] = await db.query(
    `INSERT INTO order_lines (order_id, request_line_id, quantity, shipped) VALUES ($1, $2, $3, $3) RETURNING id`,
    [order.id, line.id, count],
  );
  const shipments: SeededShipment[] = await db.query(
    `INSERT INTO shipments (reference, carrier_id, mode, origin, destination, destination_country, tracking_reference,
                            created_by, updated_by)
     SELECT 'SHP-' || $2 || '-' || n, $1, 'air_cargo', 'CNCAN', 'AFKBL', 'AF', $2 || '-' || n, 'seed', 'seed'
       FROM generate_series(1, $3) AS n
     RETURNING id, tracking_reference AS "trackingReference"`,
    [carrier.id, tag, count],
  );
  await db.query(
    `INSERT INTO shipment_items (shipment_id, order_line_id, quantity, lot, expires_on)
     SELECT id, $1, 1, 'L1', '2030-01-01' FROM unnest($2::uuid[]) AS id`,
    [orderLine.id, shipments.map((s) => s.id)],
  );
  return { carrierId: carrier.id, shipments };
}

/** Ten facts of a true journey per shipment, by tracking reference, shuffled across shipments. */
export function journeyEvents(shipments: SeededShipment[]): object[] {
  const steps = ['dispatched', ...Array(7).fill('in_transit'), 'arrived', 'delivered'];
  const events = shipments.flatMap((s) =>
    steps.map((status, i) => ({
      trackingReference: s.trackingReference,
      status,
      occurredAt: new Date(Date.UTC(2020, 2, 21, i)).toISOString(),
      location: i === 0 ? 'CNCAN' : i >= 8 ? 'AFKBL' : 'AEDXB',
    })),
  );
  // A deterministic shuffle: feeds arrive out of order.
  for (let i = events.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1);
    [events[i], events[j]] = [events[j], events[i]];
  }
  return events;
}
