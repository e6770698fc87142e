import type { ClockResponseDto } from '../sla/dto/sla-clock.dto';
import type { ShipmentEventResponseDto } from './dto/shipment-event.dto';
import type { ShipmentResponseDto } from './dto/shipment-response.dto';
import type { EventRow, LegRow, ShipmentItemRow, ShipmentRow } from './shipments.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const DAY_MS = 24 * 3600 * 1000;

export function mapEvent(row: EventRow, outcome = row.outcome): ShipmentEventResponseDto {
  return {
    id: row.id,
    shipmentId: row.shipment_id,
    status: row.status,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    recordedBy: row.recorded_by,
    applied: outcome === 'applied',
    outcome,
    location: row.location,
    exceptionReason: row.exception_reason,
    temperatureC: row.temperature_c === null ? null : Number(row.temperature_c),
    notes: row.notes,
    voidedAt: iso(row.voided_at),
    voidedBy: row.voided_by,
    voidReason: row.void_reason,
  };
}

export function mapShipment(
  row: ShipmentRow,
  items: ShipmentItemRow[],
  legs: LegRow[],
  slaClocks: ClockResponseDto[],
  history?: EventRow[],
): ShipmentResponseDto {
  const departure = (row.planned_departure_at ?? row.created_at).getTime();
  return {
    id: row.id,
    reference: row.reference,
    carrierId: row.carrier_id,
    mode: row.mode,
    origin: row.origin,
    destination: row.destination,
    destinationCountry: row.destination_country,
    trackingReference: row.tracking_reference,
    status: row.status,
    resumeStatus: row.resume_status,
    lastEventAt: iso(row.last_event_at),
    dispatchedAt: iso(row.dispatched_at),
    deliveredAt: iso(row.delivered_at),
    plannedDepartureAt: iso(row.planned_departure_at),
    estimatedArrivalAt: iso(row.estimated_arrival_at),
    notes: row.notes,
    packages: row.packages,
    packageMarks: row.package_marks ?? [],
    grossWeightKg: row.gross_weight_kg === null ? null : Number(row.gross_weight_kg),
    volumeM3: row.volume_m3 === null ? null : Number(row.volume_m3),
    declaredValue:
      row.declared_value === null
        ? null
        : { amount: Number(row.declared_value), currency: row.currency! },
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
    items: items.map((i) => ({
      id: i.id,
      orderLineId: i.order_line_id,
      orderId: i.order_id,
      requestId: i.request_id,
      itemCode: i.item_code,
      quantity: i.quantity,
      lot: i.lot,
      expiresOn: i.expires_on,
      shortShelfLife:
        Date.parse(`${i.expires_on}T00:00:00Z`) - departure < i.min_shelf_life_days * DAY_MS,
      receivedGood: i.received_good,
      damaged: i.damaged,
      missing: i.missing,
    })),
    // The first leg left when the goods did, the last arrived on delivery, unless a carrier
    // reported the leg's own actual times.
    legs: legs.map((l, i) => ({
      seq: l.seq,
      mode: l.mode,
      carrierId: l.carrier_id,
      from: l.from_location,
      to: l.to_location,
      departure: {
        planned: iso(l.departure_planned_at),
        estimated: iso(l.departure_estimated_at),
        actual: iso(l.departure_actual_at ?? (i === 0 ? row.dispatched_at : null)),
      },
      arrival: {
        planned: iso(l.arrival_planned_at),
        estimated: iso(l.arrival_estimated_at),
        actual: iso(l.arrival_actual_at ?? (i === legs.length - 1 ? row.delivered_at : null)),
      },
    })),
    slaClocks,
    ...(history ? { history: history.map((e) => mapEvent(e)) } : {}),
  };
}
