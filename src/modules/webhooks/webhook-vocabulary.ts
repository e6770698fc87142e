import { ALERT_EVENT_TYPES, type AlertEventType } from '../../common/vocabulary/alert-vocabulary';

/** What a subscription may ask for: one event type per alert kind. */
export const SUBSCRIBABLE_EVENT_TYPES = ALERT_EVENT_TYPES;
export type SubscribableEventType = AlertEventType;

/** Sent on request to one subscription, whatever its events, to check the receiver. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
