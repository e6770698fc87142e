import fc from 'fast-check';
import {
  allowedTransitions,
  classifyArrival,
  foldFacts,
  INITIAL_STATE,
  PROGRESSION,
  SHIPMENT_STATUSES,
  type ShipmentState,
  type ShipmentStatus,
  type StatusFact,
  transition,
} from './shipment-status';

const at = (hour: number) => new Date(Date.UTC(2020, 2, 23, hour));
const fact = (status: ShipmentStatus, hour: number, sequence = hour): StatusFact => ({
  status,
  occurredAt: at(hour),
  sequence,
});

function walk(statuses: ShipmentStatus[]): ShipmentState {
  let state = INITIAL_STATE;
  for (const status of statuses) {
    const result = transition(state, status);
    if (!result.ok) throw new Error(`${state.status} -> ${status} refused`);
    state = result.state;
  }
  return state;
}

describe('shipment status machine', () => {
  it('moves forward, skipping steps: dispatched straight to delivered', () => {
    expect(walk(['dispatched', 'delivered']).status).toBe('delivered');
  });

  it('refuses going backwards and names the legal transitions', () => {
    const result = transition(walk(['in_transit']), 'booked');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.allowed).toEqual(
      expect.arrayContaining([
        'in_transit',
        'arrived',
        'delivered',
        'exception',
        'on_hold',
        'lost',
      ]),
    );
    expect(result.allowed).not.toContain('booked');
    expect(result.allowed).not.toContain('cancelled');
  });

  it('cancels only before dispatch', () => {
    expect(transition(walk(['booked']), 'cancelled').ok).toBe(true);
    expect(transition(walk(['dispatched']), 'cancelled').ok).toBe(false);
  });

  it('takes lost or returned as goods that had left, skipping forward past dispatch', () => {
    expect(transition(walk(['arrived']), 'returned').ok).toBe(true);
    expect(transition(walk(['booked']), 'lost').ok).toBe(true);
    expect(foldFacts([fact('booked', 1), fact('lost', 5)]).dispatchedAt).toEqual(at(5));
  });

  it.each(['delivered', 'cancelled', 'lost', 'returned'] as const)(
    'lets nothing out of %s',
    (terminal) => {
      const path: ShipmentStatus[] =
        terminal === 'cancelled' ? ['cancelled'] : ['dispatched', terminal];
      expect(allowedTransitions(walk(path))).toEqual([]);
      for (const next of SHIPMENT_STATUSES) expect(transition(walk(path), next).ok).toBe(false);
    },
  );

  it('returns from exception to the status it left, or forward from it, never backwards', () => {
    const held = walk(['dispatched', 'in_transit', 'exception']);
    expect(held).toEqual({ status: 'exception', resumeStatus: 'in_transit' });
    expect(transition(held, 'in_transit').ok).toBe(true);
    expect(transition(held, 'arrived').ok).toBe(true);
    expect(transition(held, 'dispatched').ok).toBe(false);
  });

  it('keeps the status a hold left across an exception during it', () => {
    expect(walk(['arrived', 'on_hold', 'exception'])).toEqual({
      status: 'exception',
      resumeStatus: 'arrived',
    });
  });

  it('treats a repeated status as a tracking update that changes nothing', () => {
    const result = transition(walk(['in_transit']), 'in_transit');
    expect(result).toEqual({
      ok: true,
      state: { status: 'in_transit', resumeStatus: null },
      changed: false,
    });
  });
});

describe('facts arriving late and out of order', () => {
  it('keeps a late fact without moving the status', () => {
    const current = [fact('dispatched', 10), fact('delivered', 12)];
    const arrival = classifyArrival(current, fact('in_transit', 11));
    expect(arrival.outcome).toBe('late');
    expect(arrival.fold.state.status).toBe('delivered');
  });

  it('keeps a contradicting late fact as conflicting, moving nothing', () => {
    const current = [fact('dispatched', 10), fact('in_transit', 12)];
    const arrival = classifyArrival(current, fact('lost', 11));
    expect(arrival.outcome).toBe('conflicting');
    expect(arrival.fold.state.status).toBe('in_transit');
  });

  it('keeps a late fact that breaks the machine at its place as conflicting', () => {
    const arrival = classifyArrival(
      [fact('dispatched', 10), fact('in_transit', 12)],
      fact('cancelled', 11),
    );
    expect(arrival.outcome).toBe('conflicting');
    expect(arrival.fold.state.status).toBe('in_transit');
  });

  it('refuses a fact at or after the latest that goes backwards', () => {
    const arrival = classifyArrival([fact('in_transit', 10)], fact('booked', 11));
    expect(arrival.outcome).toBe('refused');
    expect(arrival.allowed).toContain('arrived');
  });

  it('learns when goods left from a late dispatch fact', () => {
    const arrival = classifyArrival([fact('in_transit', 12)], fact('dispatched', 9));
    expect(arrival.outcome).toBe('late');
    expect(arrival.fold.dispatchedAt).toEqual(at(9));
  });

  it('dates the dispatch by the earliest fact that implies it, even without a dispatched event', () => {
    expect(foldFacts([fact('in_transit', 14), fact('delivered', 20)]).dispatchedAt).toEqual(at(14));
  });

  /** A true history: a legal walk with strictly increasing times. */
  const history = fc
    .array(fc.constantFrom(...SHIPMENT_STATUSES), { minLength: 1, maxLength: 14 })
    .map((wanted) => {
      const facts: StatusFact[] = [];
      let state = INITIAL_STATE;
      for (const status of wanted) {
        const result = transition(state, status);
        if (!result.ok) continue;
        state = result.state;
        facts.push(fact(status, facts.length + 1, facts.length));
      }
      return facts;
    })
    .filter((facts) => facts.length > 0);

  it('reaches the same end state whatever order a true history arrives in', () => {
    fc.assert(
      fc.property(
        history.chain((facts) =>
          fc.tuple(fc.constant(facts), fc.shuffledSubarray(facts, { minLength: facts.length })),
        ),
        ([facts, arrivalOrder]) => {
          const expected = foldFacts(facts);
          const stored: StatusFact[] = [];
          for (const f of arrivalOrder) {
            const arrival = classifyArrival(stored, f);
            expect(arrival.outcome === 'applied' || arrival.outcome === 'late').toBe(true);
            stored.push(f);
          }
          const end = foldFacts(stored);
          expect(end).toEqual(expected);
          expect(end.state.status).toBe(facts[facts.length - 1].status);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never moves the status backwards with a late fact, whatever it says', () => {
    fc.assert(
      fc.property(
        history,
        fc.constantFrom(...SHIPMENT_STATUSES),
        fc.nat(),
        (facts, status, pick) => {
          const lastHour = facts.length;
          if (lastHour < 2) return;
          // Strictly between two facts of the history, so older than the latest.
          const late: StatusFact = {
            status,
            occurredAt: new Date(at(1).getTime() + ((pick % (lastHour - 1)) + 0.5) * 3600_000),
            sequence: 1000,
          };
          const arrival = classifyArrival(facts, late);
          expect(['late', 'conflicting']).toContain(arrival.outcome);
          expect(arrival.fold.state.status).toBe(foldFacts(facts).state.status);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lists only progression statuses at or after where a shipment stands', () => {
    const allowed = allowedTransitions(walk(['arrived']));
    const progression = allowed.filter((s) => (PROGRESSION as readonly string[]).includes(s));
    expect(progression).toEqual(['arrived', 'customs_cleared', 'out_for_delivery', 'delivered']);
  });
});
