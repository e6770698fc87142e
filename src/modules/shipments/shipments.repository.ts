import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import { nextReferenceNumber } from '../../common/db/reference';

export interface ShipmentRow {
  id: string;
  reference: string;
  carrier_id: string;
  mode: string;
  origin: string;
  destination: string;
  destination_country: string | null;
  tracking_reference: string;
  status: string;
  resume_status: string | null;
  last_event_at: Date | null;
  dispatched_at: Date | null;
  delivered_at: Date | null;
  planned_departure_at: Date | null;
  estimated_arrival_at: Date | null;
  notes: string | null;
  packages: number | null;
  package_marks: string[] | null;
  /** numeric: node-postgres gives it as text. */
  gross_weight_kg: string | null;
  volume_m3: string | null;
  declared_value: string | null;
  currency: string | null;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface ShipmentItemRow {
  id: string;
  shipment_id: string;
  order_line_id: string;
  order_id: string;
  request_id: string;
  item_code: string;
  min_shelf_life_days: number;
  quantity: number;
  lot: string;
  expires_on: string;
  received_good: number | null;
  damaged: number | null;
  missing: number | null;
}

export interface LegRow {
  id: string;
  shipment_id: string;
  seq: number;
  mode: string;
  carrier_id: string | null;
  from_location: string;
  to_location: string;
  departure_planned_at: Date | null;
  departure_estimated_at: Date | null;
  departure_actual_at: Date | null;
  arrival_planned_at: Date | null;
  arrival_estimated_at: Date | null;
  arrival_actual_at: Date | null;
}

export interface EventRow {
  id: string;
  sequence: string;
  shipment_id: string;
  status: string;
  occurred_at: Date;
  recorded_at: Date;
  recorded_by: string;
  outcome: string;
  location: string | null;
  exception_reason: string | null;
  temperature_c: string | null;
  notes: string | null;
  batch_id: string | null;
  voided_at: Date | null;
  voided_by: string | null;
  void_reason: string | null;
}

export interface NewLeg {
  mode: string;
  carrierId: string | null;
  from: string;
  to: string;
  departure: { planned?: Date; estimated?: Date; actual?: Date };
  arrival: { planned?: Date; estimated?: Date; actual?: Date };
}

export interface NewEvent {
  status: string;
  occurredAt: Date;
  outcome: string;
  location: string | null;
  exceptionReason: string | null;
  temperatureC: number | null;
  notes: string | null;
}

export interface ShipmentFilter {
  status?: string;
  carrierId?: string;
  destinationCountry?: string;
  mode?: string;
  requestId?: string;
}

export interface ShipmentFold {
  status: string;
  resumeStatus: string | null;
  lastEventAt: Date | null;
  dispatchedAt: Date | null;
  deliveredAt: Date | null;
}

const at = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

/** An event row read back from JSON (to_jsonb): dates revived, the sequence as the driver gives it. */
function eventFromJson(e: Record<string, unknown>): EventRow {
  return {
    ...(e as unknown as EventRow),
    sequence: String(e.sequence),
    temperature_c: e.temperature_c === null ? null : String(e.temperature_c),
    occurred_at: at(e.occurred_at)!,
    recorded_at: at(e.recorded_at)!,
    voided_at: at(e.voided_at),
  };
}

function shipmentFromJson(s: Record<string, unknown>): ShipmentRow {
  return {
    ...(s as unknown as ShipmentRow),
    last_event_at: at(s.last_event_at),
    dispatched_at: at(s.dispatched_at),
    delivered_at: at(s.delivered_at),
    planned_departure_at: at(s.planned_departure_at),
    estimated_arrival_at: at(s.estimated_arrival_at),
    created_at: at(s.created_at)!,
    updated_at: at(s.updated_at)!,
  };
}

/** The only place that speaks SQL about shipments, their items, legs and events. */
@Injectable()
export class ShipmentsRepository {
  constructor(readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // --- shipments -------------------------------------------------------------------------

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<ShipmentRow | undefined> {
    const rows: ShipmentRow[] = await manager.query(
      `SELECT * FROM shipments WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  async insert(
    manager: EntityManager,
    s: {
      carrierId: string;
      mode: string;
      origin: string;
      destination: string;
      destinationCountry: string | null;
      trackingReference: string;
      plannedDepartureAt: Date | null;
      estimatedArrivalAt: Date | null;
      notes: string | null;
      packages: number | null;
      packageMarks: string[] | null;
      grossWeightKg: number | null;
      volumeM3: number | null;
      declaredValue: number | null;
      currency: string | null;
    },
    by: string,
  ): Promise<string | undefined> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO shipments (reference, carrier_id, mode, origin, destination, destination_country,
                              tracking_reference, planned_departure_at, estimated_arrival_at, notes,
                              created_by, updated_by, packages, package_marks, gross_weight_kg,
                              volume_m3, declared_value, currency)
       VALUES ('SHP-' || ${nextReferenceNumber('shipment_reference_seq')},
               $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (carrier_id, tracking_reference) DO NOTHING RETURNING id`,
      [
        s.carrierId,
        s.mode,
        s.origin,
        s.destination,
        s.destinationCountry,
        s.trackingReference,
        s.plannedDepartureAt,
        s.estimatedArrivalAt,
        s.notes,
        by,
        s.packages,
        s.packageMarks,
        s.grossWeightKg,
        s.volumeM3,
        s.declaredValue,
        s.currency,
      ],
    );
    return rows[0]?.id;
  }

  async insertItems(
    manager: EntityManager,
    shipmentId: string,
    items: { orderLineId: string; quantity: number; lot: string; expiresOn: string }[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO shipment_items (shipment_id, order_line_id, quantity, lot, expires_on)
       SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::text[], $5::date[])`,
      [
        shipmentId,
        items.map((i) => i.orderLineId),
        items.map((i) => i.quantity),
        items.map((i) => i.lot),
        items.map((i) => i.expiresOn),
      ],
    );
  }

  async replaceLegs(manager: EntityManager, shipmentId: string, legs: NewLeg[]): Promise<void> {
    await manager.query(`DELETE FROM legs WHERE shipment_id = $1`, [shipmentId]);
    if (legs.length === 0) return;
    const iso = (d?: Date) => d?.toISOString() ?? null;
    await manager.query(
      `INSERT INTO legs (shipment_id, seq, mode, carrier_id, from_location, to_location,
                         departure_planned_at, departure_estimated_at, departure_actual_at,
                         arrival_planned_at, arrival_estimated_at, arrival_actual_at)
       SELECT $1, n, mode, carrier_id, f, t2, dp, de, da, ap, ae, aa
         FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],
                     $7::timestamptz[], $8::timestamptz[], $9::timestamptz[],
                     $10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS t(
         mode, carrier_id, f, t2, dp, de, da, ap, ae, aa, n)`,
      [
        shipmentId,
        legs.map((l) => l.mode),
        legs.map((l) => l.carrierId),
        legs.map((l) => l.from),
        legs.map((l) => l.to),
        legs.map((l) => iso(l.departure.planned)),
        legs.map((l) => iso(l.departure.estimated)),
        legs.map((l) => iso(l.departure.actual)),
        legs.map((l) => iso(l.arrival.planned)),
        legs.map((l) => iso(l.arrival.estimated)),
        legs.map((l) => iso(l.arrival.actual)),
      ],
    );
  }

  async updatePlanned(
    manager: EntityManager,
    id: string,
    patch: { plannedDepartureAt?: Date; estimatedArrivalAt?: Date; notes?: string },
    by: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE shipments SET
         planned_departure_at = CASE WHEN $2 THEN $3::timestamptz ELSE planned_departure_at END,
         estimated_arrival_at = CASE WHEN $4 THEN $5::timestamptz ELSE estimated_arrival_at END,
         notes = CASE WHEN $6 THEN $7 ELSE notes END,
         version = version + 1, updated_at = date_trunc('milliseconds', now()), updated_by = $8
       WHERE id = $1`,
      [
        id,
        patch.plannedDepartureAt !== undefined,
        patch.plannedDepartureAt ?? null,
        patch.estimatedArrivalAt !== undefined,
        patch.estimatedArrivalAt ?? null,
        patch.notes !== undefined,
        patch.notes ?? null,
        by,
      ],
    );
  }

  /**
   * Locks shipments in id order (so concurrent writers never deadlock), then reads them and
   * their standing facts, in one round trip. Two statements on purpose, inside the function
   * `shipments_locked_with_facts`: a statement that waited for a lock still reads with the
   * snapshot it started with, so facts read in the locking statement could miss those of the
   * transaction it waited for.
   */
  async lockWithFacts(
    manager: EntityManager,
    ids: string[],
  ): Promise<{ shipments: ShipmentRow[]; facts: EventRow[] }> {
    const [row]: { shipments: Record<string, unknown>[]; facts: Record<string, unknown>[] }[] =
      await manager.query(`SELECT * FROM shipments_locked_with_facts($1::uuid[])`, [ids]);
    return { shipments: row.shipments.map(shipmentFromJson), facts: row.facts.map(eventFromJson) };
  }

  /** Stores new facts and the shipments' new folded state in one statement. */
  async storeFactsAndFolds(
    manager: EntityManager,
    events: (NewEvent & { shipmentId: string })[],
    folds: (ShipmentFold & { id: string })[],
    by: string,
    batchId: string | null,
  ): Promise<{ events: EventRow[]; shipments: ShipmentRow[] }> {
    if (events.length === 0 && folds.length === 0) return { events: [], shipments: [] };
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const [row] = await manager.query(
      `WITH ins AS (
         INSERT INTO shipment_events (shipment_id, status, occurred_at, recorded_by, outcome, location,
                                      exception_reason, temperature_c, notes, batch_id)
         SELECT shipment_id, status, occurred_at, $1, outcome, location, reason, temperature, notes, $2
           FROM unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
                       $9::numeric[], $10::text[])
                WITH ORDINALITY AS t(shipment_id, status, occurred_at, outcome, location, reason, temperature, notes, n)
          ORDER BY n
         RETURNING *),
       upd AS (
         UPDATE shipments s SET status = f.status, resume_status = f.resume_status, last_event_at = f.last_event_at,
                dispatched_at = f.dispatched_at, delivered_at = f.delivered_at, version = s.version + 1,
                updated_at = date_trunc('milliseconds', now()), updated_by = $1
           FROM unnest($11::uuid[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[],
                       $16::timestamptz[]) AS f(id, status, resume_status, last_event_at, dispatched_at, delivered_at)
          WHERE s.id = f.id RETURNING s.*)
       SELECT (SELECT coalesce(jsonb_agg(to_jsonb(ins)), '[]'::jsonb) FROM ins) AS events,
              (SELECT coalesce(jsonb_agg(to_jsonb(upd)), '[]'::jsonb) FROM upd) AS shipments`,
      [
        by,
        batchId,
        events.map((e) => e.shipmentId),
        events.map((e) => e.status),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => e.outcome),
        events.map((e) => e.location),
        events.map((e) => e.exceptionReason),
        events.map((e) => e.temperatureC),
        events.map((e) => e.notes),
        folds.map((f) => f.id),
        folds.map((f) => f.status),
        folds.map((f) => f.resumeStatus),
        folds.map((f) => iso(f.lastEventAt)),
        folds.map((f) => iso(f.dispatchedAt)),
        folds.map((f) => iso(f.deliveredAt)),
      ],
    );
    return {
      events: (row.events as Record<string, unknown>[]).map(eventFromJson),
      shipments: (row.shipments as Record<string, unknown>[]).map(shipmentFromJson),
    };
  }

  list(
    limit: number,
    f: ShipmentFilter & { onlyCarrierId?: string },
    after?: { createdAt: string; id: string },
  ): Promise<ShipmentRow[]> {
    return this.dataSource.query(
      `SELECT * FROM shipments s
        WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR carrier_id = $2)
          AND ($3::text IS NULL OR destination_country = $3) AND ($4::text IS NULL OR mode = $4)
          AND ($5::uuid IS NULL OR EXISTS (
                SELECT 1 FROM shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
                  JOIN orders o ON o.id = ol.order_id WHERE si.shipment_id = s.id AND o.request_id = $5))
          AND ($6::uuid IS NULL OR carrier_id = $6)
          AND ($7::timestamptz IS NULL OR (created_at, id) < ($7, $8::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $9`,
      [
        f.status ?? null,
        f.carrierId ?? null,
        f.destinationCountry ?? null,
        f.mode ?? null,
        f.requestId ?? null,
        f.onlyCarrierId ?? null,
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }

  /** Shipment ids by tracking reference (optionally within one carrier, by id or code). */
  resolveTracking(
    manager: EntityManager,
    refs: { trackingReference: string; carrierId?: string; carrierCode?: string }[],
  ): Promise<{ idx: number; ids: string[] }[]> {
    return manager.query(
      `SELECT t.idx, coalesce(array_agg(s.id) FILTER (WHERE s.id IS NOT NULL), '{}') AS ids
         FROM unnest($1::text[], $2::uuid[], $3::text[]) WITH ORDINALITY AS t(ref, carrier_id, carrier_code, idx)
         LEFT JOIN carriers c ON t.carrier_code IS NOT NULL AND c.code = t.carrier_code
         LEFT JOIN shipments s ON s.tracking_reference = t.ref
              AND (t.carrier_id IS NULL OR s.carrier_id = t.carrier_id)
              AND (t.carrier_code IS NULL OR s.carrier_id = c.id)
        GROUP BY t.idx ORDER BY t.idx`,
      [
        refs.map((r) => r.trackingReference),
        refs.map((r) => r.carrierId ?? null),
        refs.map((r) => r.carrierCode ?? null),
      ],
    );
  }

  // --- items and legs --------------------------------------------------------------------

  itemsOf(
    shipmentIds: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ShipmentItemRow[]> {
    return manager.query(
      `SELECT si.*, to_char(si.expires_on, 'YYYY-MM-DD') AS expires_on, ol.order_id, o.request_id,
              i.code AS item_code, i.min_shelf_life_days
         FROM shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
         JOIN orders o ON o.id = ol.order_id JOIN request_lines rl ON rl.id = ol.request_line_id
         JOIN items i ON i.id = rl.item_id
        WHERE si.shipment_id = ANY($1::uuid[]) ORDER BY si.shipment_id, si.id`,
      [shipmentIds],
    );
  }

  legsOf(shipmentIds: string[]): Promise<LegRow[]> {
    return this.dataSource.query(
      `SELECT * FROM legs WHERE shipment_id = ANY($1::uuid[]) ORDER BY shipment_id, seq`,
      [shipmentIds],
    );
  }

  /** Order lines with their order and request, for shipping goods from them. */
  orderLines(
    manager: EntityManager,
    ids: string[],
  ): Promise<
    {
      id: string;
      quantity: number;
      order_status: string;
      order_reference: string;
      request_id: string;
    }[]
  > {
    return manager.query(
      `SELECT ol.id, ol.quantity, o.workflow_status AS order_status, o.reference AS order_reference, o.request_id
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE ol.id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** What live shipments already carry of each order line (the caller holds the request locks). */
  async shippedOf(manager: EntityManager, orderLineIds: string[]): Promise<Map<string, number>> {
    const rows: { order_line_id: string; shipped: number }[] = await manager.query(
      `SELECT si.order_line_id, sum(si.quantity)::int AS shipped FROM shipment_items si
         JOIN shipments s ON s.id = si.shipment_id
        WHERE si.order_line_id = ANY($1::uuid[]) AND s.status <> 'cancelled' GROUP BY si.order_line_id`,
      [orderLineIds],
    );
    return new Map(rows.map((r) => [r.order_line_id, r.shipped]));
  }

  async recordProofOfDelivery(
    manager: EntityManager,
    lines: { shipmentItemId: string; receivedGood: number; damaged: number; missing: number }[],
  ): Promise<void> {
    if (lines.length === 0) return;
    await manager.query(
      `UPDATE shipment_items si SET received_good = t.g, damaged = t.d, missing = t.m
         FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[]) AS t(id, g, d, m) WHERE si.id = t.id`,
      [
        lines.map((l) => l.shipmentItemId),
        lines.map((l) => l.receivedGood),
        lines.map((l) => l.damaged),
        lines.map((l) => l.missing),
      ],
    );
  }

  async clearProofOfDelivery(manager: EntityManager, shipmentId: string): Promise<void> {
    await manager.query(
      `UPDATE shipment_items SET received_good = NULL, damaged = NULL, missing = NULL WHERE shipment_id = $1`,
      [shipmentId],
    );
  }

  // --- events ----------------------------------------------------------------------------

  /** Shipments' facts that stand (not voided), conflicting ones included: they fold without those. */
  liveFacts(manager: EntityManager, shipmentIds: string[]): Promise<EventRow[]> {
    return manager.query(
      `SELECT * FROM shipment_events
        WHERE shipment_id = ANY($1::uuid[]) AND voided_at IS NULL
        ORDER BY shipment_id, occurred_at, sequence`,
      [shipmentIds],
    );
  }

  async findEvent(
    manager: EntityManager,
    shipmentId: string,
    eventId: string,
  ): Promise<EventRow | undefined> {
    const rows: EventRow[] = await manager.query(
      `SELECT * FROM shipment_events WHERE id = $1 AND shipment_id = $2`,
      [eventId, shipmentId],
    );
    return rows[0];
  }

  async voidEvent(
    manager: EntityManager,
    eventId: string,
    by: string,
    reason: string,
  ): Promise<EventRow> {
    const [row] = await returning<EventRow>(
      manager,
      `UPDATE shipment_events SET voided_at = clock_timestamp(), voided_by = $2, void_reason = $3
        WHERE id = $1 RETURNING *`,
      [eventId, by, reason],
    );
    return row;
  }

  history(shipmentIds: string[]): Promise<EventRow[]> {
    return this.dataSource.query(
      `SELECT * FROM shipment_events WHERE shipment_id = ANY($1::uuid[]) ORDER BY shipment_id, occurred_at, sequence`,
      [shipmentIds],
    );
  }
}
