import type { ShipmentStatus } from './shipment-status';

export const EXCEPTION_REASONS = [
  'customs_delay',
  'customs_documentation',
  'weather_delay',
  'carrier_capacity',
  'damaged',
  'security',
  'regulatory_hold',
  'address_issue',
  'temperature_excursion',
  'mechanical',
  'other',
] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

/**
 * How each status reads in the common tracking taxonomies (documented in the API):
 * AfterShip tag, FHIR SupplyDelivery status, GS1 EPCIS business step.
 */
export const STATUS_MAPPING: Record<
  ShipmentStatus,
  { aftership: string; fhir: string; epcis: string }
> = {
  planned: { aftership: 'InfoReceived', fhir: 'in-progress', epcis: 'commissioning' },
  booked: { aftership: 'InfoReceived', fhir: 'in-progress', epcis: 'packing' },
  dispatched: { aftership: 'InTransit', fhir: 'in-progress', epcis: 'shipping' },
  in_transit: { aftership: 'InTransit', fhir: 'in-progress', epcis: 'departing' },
  arrived: { aftership: 'InTransit', fhir: 'in-progress', epcis: 'arriving' },
  customs_cleared: { aftership: 'InTransit', fhir: 'in-progress', epcis: 'inspecting' },
  out_for_delivery: { aftership: 'OutForDelivery', fhir: 'in-progress', epcis: 'transporting' },
  delivered: { aftership: 'Delivered', fhir: 'completed', epcis: 'receiving' },
  exception: { aftership: 'Exception', fhir: 'in-progress', epcis: 'holding' },
  on_hold: { aftership: 'Exception', fhir: 'in-progress', epcis: 'holding' },
  cancelled: { aftership: 'Expired', fhir: 'abandoned', epcis: 'void_shipping' },
  lost: { aftership: 'Exception', fhir: 'abandoned', epcis: 'destroying' },
  returned: { aftership: 'Exception', fhir: 'abandoned', epcis: 'receiving' },
};

export function statusMappingTable(): string {
  return Object.entries(STATUS_MAPPING)
    .map(([s, m]) => `| ${s} | ${m.aftership} | ${m.fhir} | ${m.epcis} |`)
    .join('\n');
}
