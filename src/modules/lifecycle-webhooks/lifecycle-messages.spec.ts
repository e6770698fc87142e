import type {
  RecordedFact,
  ShipmentChange,
  ShipmentRef,
  ShipmentState,
} from '../../common/events/domain-events';
import {
  approvedMessage,
  fulfilledMessage,
  type RequestSnapshot,
  type ShipmentContext,
  shipmentMessages,
  statusSteps,
} from './lifecycle-messages';

const shipment: ShipmentRef = {
  id: 's1',
  reference: 'SHP-2020-000001',
  mode: 'air_charter',
  country: 'AF',
  carrierId: 'c1',
};
const at = (minute: number) => new Date(Date.UTC(2020, 2, 24, 10, minute));
const now = new Date('2020-03-25T00:00:00Z');

function state(status: string): ShipmentState {
  return { status, resumeStatus: null, dispatchedAt: null, deliveredAt: null, holds: [] };
}

function change(before: string, after: string, ref = shipment): ShipmentChange {
  return { shipment: ref, before: state(before), after: state(after) };
}

let sequence = 0;
function fact(status: string, over: Partial<RecordedFact> = {}): RecordedFact {
  sequence += 1;
  return {
    id: `e${sequence}`,
    sequence,
    shipment,
    status,
    outcome: 'applied',
    occurredAt: at(sequence),
    location: 'AFKBL',
    exceptionReason: null,
    temperatureC: null,
    ...over,
  };
}

const context: ShipmentContext = {
  trackingReference: 'TR-1',
  origin: 'CNCAN',
  destination: 'AFKBL',
  carrier: { id: 'c1', code: 'CHARTER', name: 'Charter Co' },
  requests: [{ id: 'r1', reference: 'REQ-2020-000001' }],
};

describe('statusSteps', () => {
  it('gives one step per applied fact that moves the status, in the order they applied', () => {
    const dispatched = fact('dispatched');
    const inTransit = fact('in_transit');
    const arrived = fact('arrived');
    // Listed out of order: the sequence says how they applied.
    const steps = statusSteps(change('booked', 'arrived'), [arrived, dispatched, inTransit]);
    expect(steps.map((s) => [s.previousStatus, s.status, s.fact?.id])).toEqual([
      ['booked', 'dispatched', dispatched.id],
      ['dispatched', 'in_transit', inTransit.id],
      ['in_transit', 'arrived', arrived.id],
    ]);
  });

  it('skips tracking updates of the same status, late and conflicting facts, and other shipments', () => {
    const other = { ...shipment, id: 's2' };
    const steps = statusSteps(change('in_transit', 'arrived'), [
      fact('in_transit'),
      fact('dispatched', { outcome: 'late' }),
      fact('lost', { outcome: 'conflicting' }),
      fact('arrived', { shipment: other }),
      fact('arrived'),
    ]);
    expect(steps.map((s) => `${s.previousStatus}>${s.status}`)).toEqual(['in_transit>arrived']);
  });

  it('counts a move between exception and hold, not a repeated exception', () => {
    const steps = statusSteps(change('in_transit', 'on_hold'), [
      fact('exception'),
      fact('exception'),
      fact('on_hold'),
    ]);
    expect(steps.map((s) => s.status)).toEqual(['exception', 'on_hold']);
  });

  it('gives a step without a fact when a voided fact takes the status back', () => {
    expect(statusSteps(change('delivered', 'out_for_delivery'), [])).toEqual([
      { previousStatus: 'delivered', status: 'out_for_delivery', fact: null },
    ]);
  });

  it('gives nothing when the status did not move (a recomputation, a tracking update)', () => {
    expect(statusSteps(change('in_transit', 'in_transit'), [fact('in_transit')])).toEqual([]);
  });
});

describe('shipmentMessages', () => {
  it('frames each step as shipment.status_changed, ordered and keyed by the shipment', () => {
    const dispatched = fact('dispatched', { location: 'CNCAN' });
    const messages = shipmentMessages(
      {
        changes: [change('booked', 'dispatched')],
        facts: [dispatched],
        proofs: [],
        voidedFactIds: [],
      },
      new Map([['s1', context]]),
      new Map(),
      now,
    );
    expect(messages).toEqual([
      {
        type: 'shipment.status_changed',
        alertId: null,
        timestamp: dispatched.occurredAt,
        orderingKey: 's1',
        messageKey: dispatched.id,
        data: {
          shipmentId: 's1',
          reference: 'SHP-2020-000001',
          trackingReference: 'TR-1',
          mode: 'air_charter',
          origin: 'CNCAN',
          destination: 'AFKBL',
          destinationCountry: 'AF',
          carrier: context.carrier,
          requests: context.requests,
          previousStatus: 'booked',
          status: 'dispatched',
          cause: 'event',
          eventId: dispatched.id,
          voidedEventIds: [],
          occurredAt: dispatched.occurredAt.toISOString(),
          location: 'CNCAN',
          exceptionReason: null,
        },
      },
    ]);
  });

  it('follows the step to delivered with shipment.delivered carrying the proof, line by line', () => {
    const delivered = fact('delivered');
    const messages = shipmentMessages(
      {
        changes: [change('out_for_delivery', 'delivered')],
        facts: [delivered],
        proofs: [
          {
            factId: delivered.id,
            receivedBy: 'Dr. A. Rahimi',
            lines: [{ shipmentItemId: 'i1', receivedGood: 90, damaged: 6, missing: 4 }],
          },
        ],
        voidedFactIds: [],
      },
      new Map([['s1', context]]),
      new Map([
        ['i1', { id: 'i1', itemCode: 'N95', itemName: 'N95 respirator', quantity: 100, lot: 'L1' }],
      ]),
      now,
    );
    expect(messages.map((m) => m.type)).toEqual(['shipment.status_changed', 'shipment.delivered']);
    expect(messages[1]).toMatchObject({
      timestamp: delivered.occurredAt,
      orderingKey: 's1',
      messageKey: delivered.id,
      data: {
        shipmentId: 's1',
        eventId: delivered.id,
        deliveredAt: delivered.occurredAt.toISOString(),
        proofOfDelivery: {
          receivedBy: 'Dr. A. Rahimi',
          lines: [
            {
              shipmentItemId: 'i1',
              itemCode: 'N95',
              itemName: 'N95 respirator',
              lot: 'L1',
              quantity: 100,
              receivedGood: 90,
              damaged: 6,
              missing: 4,
            },
          ],
        },
      },
    });
  });

  it('says a delivery without a proof has none', () => {
    const delivered = fact('delivered');
    const [, message] = shipmentMessages(
      {
        changes: [change('arrived', 'delivered')],
        facts: [delivered],
        proofs: [],
        voidedFactIds: [],
      },
      new Map([['s1', context]]),
      new Map(),
      now,
    );
    expect(message.data).toMatchObject({ proofOfDelivery: null });
  });

  it('dates a step back from a voided fact now, naming the voided event', () => {
    const [message] = shipmentMessages(
      {
        changes: [change('delivered', 'out_for_delivery')],
        facts: [],
        proofs: [],
        voidedFactIds: ['e9'],
      },
      new Map([['s1', context]]),
      new Map(),
      now,
    );
    expect(message).toMatchObject({
      type: 'shipment.status_changed',
      timestamp: now,
      messageKey: 'voided:e9',
      data: {
        previousStatus: 'delivered',
        status: 'out_for_delivery',
        cause: 'event_voided',
        eventId: null,
        voidedEventIds: ['e9'],
        occurredAt: null,
      },
    });
  });
});

describe('request messages', () => {
  const request: RequestSnapshot = {
    id: 'r1',
    reference: 'REQ-2020-000001',
    recipientCountry: 'AF',
    organisation: 'Ministry of Public Health',
    destination: 'AFKBL',
    priority: 'urgent',
    kind: 'donation',
    status: 'delivered',
    receivedAt: new Date('2020-03-20T08:00:00Z'),
    neededBy: null,
    decidedAt: new Date('2020-03-20T09:00:00Z'),
    decidedBy: 'coordinator-1',
    firstDispatchAt: new Date('2020-03-22T08:00:00Z'),
    deliveredAt: new Date('2020-03-24T08:00:00Z'),
    lines: [
      {
        lineNo: 1,
        itemCode: 'N95',
        itemName: 'N95 respirator',
        quantity: 100,
        dispatched: 100,
        delivered: 100,
      },
    ],
  };

  it('dates request.approved at the decision and names who approved, once per request', () => {
    const message = approvedMessage(request, now);
    expect(message).toMatchObject({
      type: 'request.approved',
      timestamp: request.decidedAt,
      orderingKey: 'r1',
      messageKey: 'r1',
      data: {
        requestId: 'r1',
        reference: 'REQ-2020-000001',
        recipientCountry: 'AF',
        approvedAt: '2020-03-20T09:00:00.000Z',
        approvedBy: 'coordinator-1',
        lines: [{ lineNo: 1, itemCode: 'N95', itemName: 'N95 respirator', quantity: 100 }],
      },
    });
  });

  it('dates request.fulfilled at the last delivery, with what each line received', () => {
    const message = fulfilledMessage(request, now);
    expect(message).toMatchObject({
      type: 'request.fulfilled',
      timestamp: request.deliveredAt,
      orderingKey: 'r1',
      messageKey: 'r1',
      data: {
        requestId: 'r1',
        deliveredAt: '2020-03-24T08:00:00.000Z',
        firstDispatchAt: '2020-03-22T08:00:00.000Z',
        lines: request.lines,
      },
    });
  });
});
