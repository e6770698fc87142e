import type { AlertKind, AlertSeverity } from '../../common/vocabulary/alert-vocabulary';

/** An alert to raise. `dedupeKey` names its cause: a second alert for it is never stored. */
export interface NewAlert {
  kind: AlertKind;
  dedupeKey: string;
  severity: AlertSeverity;
  /** The request's or shipment's reference. */
  reference: string;
  title: string;
  details: Record<string, unknown>;
  clockId?: string | null;
  requestId?: string | null;
  shipmentId?: string | null;
  eventId?: string | null;
  country?: string | null;
  carrierId?: string | null;
  causeAt: Date;
}

/**
 * Which shipment facts raise alerts, as plain functions. Cold-chain goods (vaccines, reagents)
 * keep to 2-8 °C, the WHO range for the medical cold chain.
 */
export const COLD_CHAIN_RANGE_C = { min: 2, max: 8 } as const;

/** Statuses in which goods are on their way and should be heard of. */
export const MOVING_STATUSES = [
  'dispatched',
  'in_transit',
  'arrived',
  'customs_cleared',
  'out_for_delivery',
  'exception',
] as const;

/** Statuses (or statuses left for exception / on hold) in which goods have not arrived yet. */
export const NOT_ARRIVED_STATUSES = ['planned', 'booked', 'dispatched', 'in_transit'] as const;

export interface EventFacts {
  id: string;
  shipmentId: string;
  status: string;
  outcome: string;
  occurredAt: Date;
  location: string | null;
  exceptionReason: string | null;
  temperatureC: number | null;
}

export interface ShipmentFacts {
  id: string;
  reference: string;
  country: string | null;
  carrierId: string;
  coldChain: boolean;
}

function about(shipment: ShipmentFacts) {
  return {
    reference: shipment.reference,
    shipmentId: shipment.id,
    country: shipment.country,
    carrierId: shipment.carrierId,
  };
}

/**
 * Alerts that stored events raise: an exception, lost or returned status that applied, and
 * any reading outside the cold-chain range (late readings too: the goods still felt it).
 */
export function eventAlerts(
  events: EventFacts[],
  shipments: Map<string, ShipmentFacts>,
): NewAlert[] {
  const alerts: NewAlert[] = [];
  for (const event of events) {
    const shipment = shipments.get(event.shipmentId);
    if (!shipment || event.outcome === 'conflicting') continue;
    const where = event.location ? ` at ${event.location}` : '';
    if (
      event.outcome === 'applied' &&
      (event.status === 'exception' || event.status === 'lost' || event.status === 'returned')
    ) {
      const reason = event.exceptionReason ? `: ${event.exceptionReason}` : '';
      alerts.push({
        kind: 'shipment_exception',
        dedupeKey: `shipment_exception:${event.id}`,
        severity: event.status === 'lost' ? 'critical' : 'warning',
        title: `${shipment.reference} ${event.status}${reason}${where}`,
        details: {
          status: event.status,
          exceptionReason: event.exceptionReason,
          location: event.location,
        },
        eventId: event.id,
        causeAt: event.occurredAt,
        ...about(shipment),
      });
    }
    const t = event.temperatureC;
    if (
      shipment.coldChain &&
      t !== null &&
      (t < COLD_CHAIN_RANGE_C.min || t > COLD_CHAIN_RANGE_C.max)
    ) {
      alerts.push({
        kind: 'temperature_excursion',
        dedupeKey: `temperature_excursion:${event.id}`,
        severity: 'critical',
        title: `${shipment.reference} cold chain at ${t} °C${where} (allowed ${COLD_CHAIN_RANGE_C.min}-${COLD_CHAIN_RANGE_C.max} °C)`,
        details: {
          temperatureC: t,
          allowedMinC: COLD_CHAIN_RANGE_C.min,
          allowedMaxC: COLD_CHAIN_RANGE_C.max,
          location: event.location,
        },
        eventId: event.id,
        causeAt: event.occurredAt,
        ...about(shipment),
      });
    }
  }
  return alerts;
}

/** A proof of delivery that counts damaged or missing goods raises a shipment exception. */
export function discrepancyAlert(
  shipment: ShipmentFacts,
  event: { id: string; occurredAt: Date },
  lines: { shipmentItemId: string; receivedGood: number; damaged: number; missing: number }[],
): NewAlert | undefined {
  const damaged = lines.reduce((sum, l) => sum + l.damaged, 0);
  const missing = lines.reduce((sum, l) => sum + l.missing, 0);
  if (damaged === 0 && missing === 0) return undefined;
  return {
    kind: 'shipment_exception',
    dedupeKey: `delivery_discrepancy:${event.id}`,
    severity: 'warning',
    title: `${shipment.reference} delivered with ${damaged} damaged and ${missing} missing`,
    details: {
      status: 'delivered',
      discrepancy: { damaged, missing },
      lines: lines.filter((l) => l.damaged > 0 || l.missing > 0),
    },
    eventId: event.id,
    causeAt: event.occurredAt,
    ...about(shipment),
  };
}
