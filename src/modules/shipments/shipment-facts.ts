import {
  type ArrivalOutcome,
  classifyArrival,
  foldFacts,
  type FoldResult,
  type ShipmentStatus,
  type StatusFact,
} from './shipment-status';

/** A fact already stored for a shipment (voided ones excluded). */
export interface StandingFact extends StatusFact {
  outcome: string;
}

/** A fact as a client reports it (what decisions need of it). */
export interface ReportedFact {
  status: ShipmentStatus;
  occurredAt: Date;
  proofOfDelivery?: { lines: ProofLineInput[] };
}

export interface ProofLineInput {
  shipmentItemId: string;
  receivedGood: number;
  damaged: number;
  missing: number;
}

/** What a shipment item is, for checking a proof of delivery against it. */
export interface ShippedItem {
  id: string;
  quantity: number;
}

/** What becomes of one reported fact. */
export type FactDecision<F extends ReportedFact> =
  | { kind: 'store'; fact: F; outcome: Exclude<ArrivalOutcome, 'refused'> }
  | { kind: 'duplicate'; fact: F }
  | { kind: 'rejected'; reason: string; allowed?: ShipmentStatus[]; unprocessable?: boolean };

export interface ShipmentDecisions<F extends ReportedFact> {
  /** The fold before the reported facts. */
  before: FoldResult;
  /** The fold with the facts to store. */
  after: FoldResult;
  /** One decision per reported fact, in the order given. */
  decisions: FactDecision<F>[];
}

/** A fact's identity: the same status at the same instant is the same fact. */
export function factKey(status: string, occurredAt: Date): string {
  return `${status}@${occurredAt.getTime()}`;
}

/**
 * Decides what a shipment's reported facts are, against its standing facts, in the order
 * given: stored (applied, late or conflicting), a duplicate of a fact already known, or
 * rejected with the reason and the legal next statuses. Pure: the caller stores the facts and
 * the `after` fold. New facts get stand-in sequences above any stored one, so they fold in the
 * order they will be stored.
 */
export function decideFacts<F extends ReportedFact>(
  standing: StandingFact[],
  reported: F[],
  items: ShippedItem[] = [],
): ShipmentDecisions<F> {
  // A conflicting fact stays in the history (and is known, so a resend is a duplicate) but
  // never in the fold.
  const facts: StatusFact[] = standing.filter((f) => f.outcome !== 'conflicting');
  const before = foldFacts(facts);
  const known = new Set(standing.map((f) => factKey(f.status, f.occurredAt)));
  let sequence = Number.MAX_SAFE_INTEGER - 10_000_000;
  const decisions: FactDecision<F>[] = reported.map((fact) => {
    const key = factKey(fact.status, fact.occurredAt);
    if (known.has(key)) return { kind: 'duplicate', fact };
    const candidate: StatusFact = {
      status: fact.status,
      occurredAt: fact.occurredAt,
      sequence: sequence++,
    };
    const arrival = classifyArrival(facts, candidate);
    if (arrival.outcome === 'refused') {
      return {
        kind: 'rejected',
        reason: `A shipment that is ${describe(foldFacts(facts))} cannot become ${fact.status}; allowed: ${
          arrival.allowed?.join(', ') || 'nothing (terminal)'
        }.`,
        allowed: arrival.allowed,
      };
    }
    if (fact.proofOfDelivery) {
      const problem =
        arrival.outcome !== 'applied'
          ? 'A proof of delivery needs its delivered event to apply.'
          : proofProblem(fact.proofOfDelivery.lines, items);
      if (problem) return { kind: 'rejected', reason: problem, unprocessable: true };
    }
    if (arrival.outcome !== 'conflicting') facts.push(candidate);
    known.add(key);
    return { kind: 'store', fact, outcome: arrival.outcome };
  });
  return { before, after: foldFacts(facts), decisions };
}

function describe(fold: FoldResult): string {
  return fold.state.resumeStatus
    ? `${fold.state.status} (from ${fold.state.resumeStatus})`
    : fold.state.status;
}

/** Why a proof of delivery does not fit the shipment's items, if it does not. */
export function proofProblem(lines: ProofLineInput[], items: ShippedItem[]): string | undefined {
  const byId = new Map(items.map((i) => [i.id, i]));
  const seen = new Set<string>();
  for (const [i, line] of lines.entries()) {
    const item = byId.get(line.shipmentItemId);
    if (!item) return `proofOfDelivery.lines[${i}].shipmentItemId: not an item of this shipment`;
    if (seen.has(line.shipmentItemId)) return `proofOfDelivery.lines[${i}]: item listed twice`;
    seen.add(line.shipmentItemId);
    const total = line.receivedGood + line.damaged + line.missing;
    if (total !== item.quantity) {
      return `proofOfDelivery.lines[${i}]: received, damaged and missing add up to ${total}, not the ${item.quantity} shipped`;
    }
  }
  if (seen.size !== byId.size)
    return `proofOfDelivery: covers ${seen.size} of the shipment's ${byId.size} items`;
  return undefined;
}
