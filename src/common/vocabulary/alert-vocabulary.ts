export const ALERT_KINDS = [
  'sla_warning',
  'sla_breach',
  'shipment_exception',
  'tracking_stale',
  'eta_overdue',
  'temperature_excursion',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Webhook event types: one per alert kind raised (`alert.sla_breach`), and any resolved. */
export const ALERT_EVENT_TYPES = [
  ...ALERT_KINDS.map((kind) => `alert.${kind}` as const),
  'alert.resolved' as const,
];
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];
