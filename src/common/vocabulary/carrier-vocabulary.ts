export const CARRIER_KINDS = [
  'airline',
  'charter_operator',
  'freight_forwarder',
  'shipping_line',
  'trucking',
  'courier',
  'government',
] as const;
export type CarrierKind = (typeof CARRIER_KINDS)[number];

export const TRANSPORT_MODES = ['air_charter', 'air_cargo', 'sea', 'road', 'rail'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];
