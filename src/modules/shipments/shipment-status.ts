/**
 * The shipment status machine (DESIGN.md "Shipment status machine"), as plain functions.
 *
 * planned -> booked -> dispatched -> in_transit -> arrived -> customs_cleared -> out_for_delivery -> delivered
 * Forward steps may be skipped; a repeated status is a tracking update. `exception` and `on_hold`
 * remember the status they left and return to it or move forward from it. `cancelled` only
 * before dispatch; `lost` and `returned` mean the goods had left (from an earlier status they
 * skip forward past dispatch). delivered, cancelled, lost, returned are terminal.
 */
export const PROGRESSION = [
  'planned',
  'booked',
  'dispatched',
  'in_transit',
  'arrived',
  'customs_cleared',
  'out_for_delivery',
  'delivered',
] as const;
export const SIDE_STATUSES = ['exception', 'on_hold'] as const;
export const TERMINAL_STATUSES = ['delivered', 'cancelled', 'lost', 'returned'] as const;
export const SHIPMENT_STATUSES = [
  ...PROGRESSION,
  ...SIDE_STATUSES,
  'cancelled',
  'lost',
  'returned',
] as const;

export type ProgressStatus = (typeof PROGRESSION)[number];
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Where a shipment stands: its status and, while in exception or on hold, the status it left. */
export interface ShipmentState {
  status: ShipmentStatus;
  /** Set only while status is `exception` or `on_hold`. */
  resumeStatus: ProgressStatus | null;
}

export const INITIAL_STATE: ShipmentState = { status: 'planned', resumeStatus: null };

const rank = (s: ProgressStatus) => PROGRESSION.indexOf(s);

export function isTerminal(status: ShipmentStatus): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export function isProgress(status: ShipmentStatus): status is ProgressStatus {
  return (PROGRESSION as readonly string[]).includes(status);
}

/** The progression status a state stands on (the one it left, while in exception or on hold). */
function base(state: ShipmentState): ProgressStatus | null {
  if (isProgress(state.status)) return state.status;
  return state.resumeStatus;
}

/** Goods of a shipment in this status have left their origin. */
export function impliesDispatch(status: ShipmentStatus): boolean {
  if (isProgress(status)) return rank(status) >= rank('dispatched');
  return status === 'lost' || status === 'returned';
}

/** Every status a shipment may move to from this state. */
export function allowedTransitions(state: ShipmentState): ShipmentStatus[] {
  if (isTerminal(state.status)) return [];
  const from = base(state);
  if (from === null) return [];
  const forward = PROGRESSION.filter((s) => rank(s) >= rank(from));
  const allowed: ShipmentStatus[] = [...forward];
  // A repeated exception or hold is an update of it; the other side status is reachable too.
  allowed.push('exception', 'on_hold');
  if (rank(from) < rank('dispatched')) allowed.push('cancelled');
  // Lost or returned goods had left: from before dispatch this skips forward past it.
  allowed.push('lost', 'returned');
  return allowed;
}

export type TransitionResult =
  { ok: true; state: ShipmentState; changed: boolean } | { ok: false; allowed: ShipmentStatus[] };

/** Applies one status to a state, or says which statuses would have been legal. */
export function transition(state: ShipmentState, next: ShipmentStatus): TransitionResult {
  const allowed = allowedTransitions(state);
  if (!allowed.includes(next)) return { ok: false, allowed };
  const from = base(state) as ProgressStatus;
  const nextState: ShipmentState =
    next === 'exception' || next === 'on_hold'
      ? { status: next, resumeStatus: from }
      : { status: next, resumeStatus: null };
  const changed =
    nextState.status !== state.status || nextState.resumeStatus !== state.resumeStatus;
  return { ok: true, state: nextState, changed };
}

export interface StatusFact {
  status: ShipmentStatus;
  occurredAt: Date;
  /** Tie-break for facts at the same instant: the order they were recorded in. */
  sequence: number;
}

export interface FoldResult {
  state: ShipmentState;
  /** occurredAt of the latest fact that moved or confirmed the status. */
  lastAppliedAt: Date | null;
  /** Earliest instant any fact says the goods had left (dispatch or later). */
  dispatchedAt: Date | null;
  /** When the shipment was delivered, if it is. */
  deliveredAt: Date | null;
  /** Its spells on hold (the open one last, with `to` null): SLA clocks pause during them. */
  holds: { from: Date; to: Date | null }[];
}

/**
 * The state that a set of facts establishes, whatever order they arrived in: facts in time
 * order, each applied when legal from the state before it and skipped otherwise. A status is
 * never recomputed from arrival order, so replaying the same facts in any order agrees.
 */
export function foldFacts(facts: StatusFact[]): FoldResult {
  const { applied: _applied, ...fold } = traceFold(facts);
  return fold;
}

/** The fold, and the sequences of the facts it applied. */
function traceFold(facts: StatusFact[]): FoldResult & { applied: Set<number> } {
  const applied = new Set<number>();
  const ordered = [...facts].sort(
    (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.sequence - b.sequence,
  );
  let state = INITIAL_STATE;
  let lastAppliedAt: Date | null = null;
  let dispatchedAt: Date | null = null;
  let deliveredAt: Date | null = null;
  const holds: { from: Date; to: Date | null }[] = [];
  for (const fact of ordered) {
    if (impliesDispatch(fact.status) && dispatchedAt === null) dispatchedAt = fact.occurredAt;
    const result = transition(state, fact.status);
    if (!result.ok) continue;
    if (state.status !== 'on_hold' && result.state.status === 'on_hold')
      holds.push({ from: fact.occurredAt, to: null });
    if (state.status === 'on_hold' && result.state.status !== 'on_hold')
      holds[holds.length - 1].to = fact.occurredAt;
    state = result.state;
    lastAppliedAt = fact.occurredAt;
    applied.add(fact.sequence);
    if (fact.status === 'delivered') deliveredAt = fact.occurredAt;
  }
  return { state, lastAppliedAt, dispatchedAt, deliveredAt, holds, applied };
}

export type ArrivalOutcome = 'applied' | 'late' | 'conflicting' | 'refused';

export interface Arrival {
  outcome: ArrivalOutcome;
  /** The state after the fact (unchanged unless applied; for a late fact, its history). */
  fold: FoldResult;
  /** For a refused fact: the statuses that were legal. */
  allowed?: ShipmentStatus[];
}

/**
 * How a new fact is treated, given the facts that currently establish the state:
 * - at or after the latest applied fact: applied if the machine allows it, else refused (409);
 * - older than it (late): kept in the history, never moving the status. If it fits the
 *   history at its place it joins the fold (it may tell when goods left, or which status a
 *   hold left); if it contradicts it (a `lost` before a later `in_transit`, a `cancelled`
 *   after the dispatch) it is kept as conflicting and moves nothing.
 */
export function classifyArrival(current: StatusFact[], fact: StatusFact): Arrival {
  const before = foldFacts(current);
  const lastAt = before.lastAppliedAt?.getTime();
  if (lastAt === undefined || fact.occurredAt.getTime() >= lastAt) {
    const result = transition(before.state, fact.status);
    if (!result.ok) return { outcome: 'refused', fold: before, allowed: result.allowed };
    return { outcome: 'applied', fold: foldFacts([...current, fact]) };
  }
  const { applied, ...after } = traceFold([...current, fact]);
  const fits =
    applied.has(fact.sequence) &&
    after.state.status === before.state.status &&
    after.lastAppliedAt?.getTime() === lastAt;
  return fits ? { outcome: 'late', fold: after } : { outcome: 'conflicting', fold: before };
}
