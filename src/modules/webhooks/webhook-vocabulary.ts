import { ALERT_EVENT_TYPES } from '../../common/vocabulary/alert-vocabulary';

/**
 * What happens to goods, for systems that follow them without polling: every applied status
 * change of a shipment, its delivery with the proof, a request approved, a request fulfilled.
 */
export const LIFECYCLE_EVENT_TYPES = [
  'shipment.status_changed',
  'shipment.delivered',
  'request.approved',
  'request.fulfilled',
] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** What a subscription may ask for: one event type per alert kind, and the lifecycle ones. */
export const SUBSCRIBABLE_EVENT_TYPES = [...ALERT_EVENT_TYPES, ...LIFECYCLE_EVENT_TYPES];
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];

/** Sent on request to one subscription, whatever its events, to check the receiver. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export function isLifecycleEvent(type: string): type is LifecycleEventType {
  return (LIFECYCLE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Which lane a delivery goes out on: 0 for alerts (and test messages), 1 for lifecycle
 * messages. Each lane has its own drain job on its own queue, so a carrier feed of thousands
 * of events does not hold back an SLA breach.
 */
export type DeliveryLane = 0 | 1;

export function deliveryPriority(type: string): DeliveryLane {
  return isLifecycleEvent(type) ? 1 : 0;
}
