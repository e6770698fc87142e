import { discrepancyAlert, eventAlerts, type EventFacts, type ShipmentFacts } from './alert-rules';

const shipment: ShipmentFacts = {
  id: 's1',
  reference: 'SH-000001',
  country: 'AF',
  carrierId: 'c1',
  coldChain: true,
};
const dry = { ...shipment, id: 's2', coldChain: false };
const shipments = new Map([
  ['s1', shipment],
  ['s2', dry],
]);
const at = new Date('2020-03-24T10:00:00Z');

function event(over: Partial<EventFacts>): EventFacts {
  return {
    id: 'e1',
    shipmentId: 's1',
    status: 'in_transit',
    outcome: 'applied',
    occurredAt: at,
    location: 'AFKBL',
    exceptionReason: null,
    temperatureC: null,
    ...over,
  };
}

describe('eventAlerts', () => {
  it('raises a shipment exception for an applied exception, lost or returned event', () => {
    const alerts = eventAlerts(
      [
        event({ id: 'a', status: 'exception', exceptionReason: 'customs_delay' }),
        event({ id: 'b', status: 'lost' }),
        event({ id: 'c', status: 'returned', shipmentId: 's2' }),
      ],
      shipments,
    );
    expect(alerts.map((a) => [a.kind, a.dedupeKey, a.severity])).toEqual([
      ['shipment_exception', 'shipment_exception:a', 'warning'],
      ['shipment_exception', 'shipment_exception:b', 'critical'],
      ['shipment_exception', 'shipment_exception:c', 'warning'],
    ]);
    expect(alerts[0]).toMatchObject({
      title: 'SH-000001 exception: customs_delay at AFKBL',
      shipmentId: 's1',
      country: 'AF',
      carrierId: 'c1',
      eventId: 'a',
      causeAt: at,
    });
  });

  it('raises nothing for late or conflicting exceptions, nor for ordinary statuses', () => {
    expect(
      eventAlerts(
        [
          event({ status: 'exception', outcome: 'late' }),
          event({ status: 'lost', outcome: 'conflicting' }),
          event({ status: 'in_transit' }),
        ],
        shipments,
      ),
    ).toEqual([]);
  });

  it('raises a temperature excursion for cold-chain goods outside 2-8 °C, late readings too', () => {
    const alerts = eventAlerts(
      [
        event({ id: 'hot', temperatureC: 8.01 }),
        event({ id: 'cold', temperatureC: 1.99, outcome: 'late' }),
        event({ id: 'edge', temperatureC: 8 }),
        event({ id: 'dry', temperatureC: 30, shipmentId: 's2' }),
      ],
      shipments,
    );
    expect(alerts.map((a) => a.dedupeKey)).toEqual([
      'temperature_excursion:hot',
      'temperature_excursion:cold',
    ]);
    expect(alerts[0].details).toMatchObject({ temperatureC: 8.01, allowedMinC: 2, allowedMaxC: 8 });
  });
});

describe('discrepancyAlert', () => {
  it('raises one exception naming what was damaged or missing, none for a clean delivery', () => {
    const lines = [
      { shipmentItemId: 'i1', receivedGood: 90, damaged: 6, missing: 4 },
      { shipmentItemId: 'i2', receivedGood: 10, damaged: 0, missing: 0 },
    ];
    const alert = discrepancyAlert(shipment, { id: 'e9', occurredAt: at }, lines);
    expect(alert).toMatchObject({
      kind: 'shipment_exception',
      dedupeKey: 'delivery_discrepancy:e9',
      details: { discrepancy: { damaged: 6, missing: 4 }, lines: [lines[0]] },
    });
    expect(discrepancyAlert(shipment, { id: 'e9', occurredAt: at }, [lines[1]])).toBeUndefined();
  });
});
