import { ALERT_EVENT_TYPES } from '../../common/vocabulary/alert-vocabulary';
import {
  deliveryPriority,
  LIFECYCLE_EVENT_TYPES,
  SUBSCRIBABLE_EVENT_TYPES,
  WEBHOOK_TEST_EVENT,
} from './webhook-vocabulary';

describe('deliveryPriority', () => {
  it('leases every alert message before any lifecycle message', () => {
    const alerts = Math.max(...ALERT_EVENT_TYPES.map(deliveryPriority));
    const lifecycle = Math.min(...LIFECYCLE_EVENT_TYPES.map(deliveryPriority));
    expect(alerts).toBeLessThan(lifecycle);
  });

  it('ranks a test message with the alerts: someone is waiting for it', () => {
    expect(deliveryPriority(WEBHOOK_TEST_EVENT)).toBe(deliveryPriority('alert.sla_breach'));
  });
});

describe('SUBSCRIBABLE_EVENT_TYPES', () => {
  it('offers the alert types and the four lifecycle types, never the test message', () => {
    expect(SUBSCRIBABLE_EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'alert.sla_breach',
        'alert.resolved',
        'shipment.status_changed',
        'shipment.delivered',
        'request.approved',
        'request.fulfilled',
      ]),
    );
    expect(SUBSCRIBABLE_EVENT_TYPES).not.toContain(WEBHOOK_TEST_EVENT);
  });
});
