import { decideFacts, proofProblem, type StandingFact } from './shipment-facts';
import type { ShipmentStatus } from './shipment-status';

const at = (hour: number) => new Date(Date.UTC(2020, 2, 23, hour));
const stored = (status: ShipmentStatus, hour: number, outcome = 'applied'): StandingFact => ({
  status,
  occurredAt: at(hour),
  sequence: hour,
  outcome,
});
const reported = (status: ShipmentStatus, hour: number) => ({ status, occurredAt: at(hour) });

describe('deciding reported facts', () => {
  it('stores a forward fact and folds it into the state after', () => {
    const { before, after, decisions } = decideFacts(
      [stored('dispatched', 1)],
      [reported('in_transit', 2)],
    );
    expect(before.state.status).toBe('dispatched');
    expect(after.state.status).toBe('in_transit');
    expect(decisions).toEqual([
      { kind: 'store', fact: reported('in_transit', 2), outcome: 'applied' },
    ]);
  });

  it('calls the same status at the same instant a duplicate, stored or sent twice at once', () => {
    const { decisions } = decideFacts(
      [stored('dispatched', 1)],
      [reported('dispatched', 1), reported('in_transit', 2), reported('in_transit', 2)],
    );
    expect(decisions.map((d) => d.kind)).toEqual(['duplicate', 'store', 'duplicate']);
  });

  it('rejects a status that goes backwards and names the legal next statuses', () => {
    const { after, decisions } = decideFacts([stored('in_transit', 2)], [reported('booked', 3)]);
    expect(after.state.status).toBe('in_transit');
    const [decision] = decisions;
    expect(decision.kind).toBe('rejected');
    if (decision.kind !== 'rejected') return;
    expect(decision.reason).toMatch(/in_transit cannot become booked/);
    expect(decision.allowed).toContain('arrived');
    expect(decision.allowed).not.toContain('booked');
  });

  it('keeps a late fact without moving the status, and dates the departure by it', () => {
    const { after, decisions } = decideFacts(
      [stored('in_transit', 5)],
      [reported('dispatched', 3)],
    );
    expect(decisions[0]).toMatchObject({ kind: 'store', outcome: 'late' });
    expect(after.state.status).toBe('in_transit');
    expect(after.dispatchedAt).toEqual(at(3));
  });

  it('leaves conflicting facts out of the fold but knows them, so a resend is a duplicate', () => {
    const { before, decisions } = decideFacts(
      [stored('dispatched', 1), stored('cancelled', 0, 'conflicting')],
      [reported('cancelled', 0)],
    );
    expect(before.state.status).toBe('dispatched');
    expect(decisions[0].kind).toBe('duplicate');
  });

  it('refuses a proof of delivery whose counts do not add up, as unprocessable', () => {
    const { decisions } = decideFacts(
      [stored('arrived', 1)],
      [
        {
          ...reported('delivered', 2),
          proofOfDelivery: {
            lines: [{ shipmentItemId: 'i1', receivedGood: 5, damaged: 1, missing: 0 }],
          },
        },
      ],
      [{ id: 'i1', quantity: 10 }],
    );
    expect(decisions[0]).toMatchObject({ kind: 'rejected', unprocessable: true });
  });
});

describe('checking a proof of delivery', () => {
  const items = [
    { id: 'a', quantity: 10 },
    { id: 'b', quantity: 4 },
  ];
  it('accepts lines that cover every item and add up', () => {
    expect(
      proofProblem(
        [
          { shipmentItemId: 'a', receivedGood: 8, damaged: 1, missing: 1 },
          { shipmentItemId: 'b', receivedGood: 4, damaged: 0, missing: 0 },
        ],
        items,
      ),
    ).toBeUndefined();
  });
  it('names an item left out, an unknown item and an item listed twice', () => {
    const a = { shipmentItemId: 'a', receivedGood: 10, damaged: 0, missing: 0 };
    expect(proofProblem([a], items)).toMatch(/covers 1 of the shipment's 2 items/);
    expect(proofProblem([{ ...a, shipmentItemId: 'x' }], items)).toMatch(/not an item/);
    expect(proofProblem([a, a], items)).toMatch(/listed twice/);
  });
});
