import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { EntityManager } from 'typeorm';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import type { Principal } from '../auth/principal';
import {
  FulfilmentRepository,
  type LineDelta,
  type RequestDispatch,
} from '../fulfilment/fulfilment.repository';
import { discrepancyAlert, eventAlerts, type ShipmentFacts } from '../alerts/alert-rules';
import type { NewAlert } from '../alerts/alerts.repository';
import { AlertsService } from '../alerts/alerts.service';
import { parseLocation } from '../reference/locations';
import { type ShipmentClockInput, SlaClocksService } from '../sla/sla-clocks.service';
import type {
  CreateShipmentEventDto,
  ProofOfDeliveryDto,
  ShipmentEventFieldsDto,
} from './dto/shipment-event.dto';
import {
  type ArrivalOutcome,
  classifyArrival,
  foldFacts,
  type FoldResult,
  type ShipmentStatus,
  type StatusFact,
} from './shipment-status';
import {
  type EventRow,
  type NewEvent,
  type ShipmentRow,
  ShipmentsRepository,
} from './shipments.repository';

/** Events may be back-dated, not dated ahead (5 minutes of clock skew allowed). */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export type EventResult =
  | { outcome: ArrivalOutcome | 'duplicate'; event: EventRow }
  | { outcome: 'rejected'; reason: string; allowed?: ShipmentStatus[]; unprocessable?: boolean };

export interface FactInput extends ShipmentEventFieldsDto {
  proofOfDelivery?: ProofOfDeliveryDto;
}

function toFact(row: EventRow): StatusFact {
  return {
    status: row.status as ShipmentStatus,
    occurredAt: row.occurred_at,
    sequence: Number(row.sequence),
  };
}

function sameInstant(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

/**
 * Where a shipment changes status. Every fact about a shipment goes through `recordFacts`,
 * which holds the shipment's row lock, stores each fact, folds the live facts into the
 * shipment's state (see shipment-status.ts), and rolls the result up into orders and
 * requests, all in one transaction.
 */
@Injectable()
export class ShipmentEventsService {
  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly fulfilment: FulfilmentRepository,
    private readonly sla: SlaClocksService,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
  ) {}

  /** A carrier key may act on its own carrier's shipments only: others do not exist to it. */
  visible(shipment: ShipmentRow | undefined, by: Principal, id: string): ShipmentRow {
    if (!shipment || (by.carrierId && shipment.carrier_id !== by.carrierId)) {
      throw new DomainError('not_found', `Shipment ${id} does not exist.`);
    }
    return shipment;
  }

  /** POST /shipments/{id}/events: one fact, refused with 409 if the machine forbids it. */
  async record(
    shipmentId: string,
    dto: CreateShipmentEventDto,
    by: Principal,
  ): Promise<{ result: EventResult & { event: EventRow }; shipment: ShipmentRow }> {
    this.checkInput(dto, 'body');
    if (dto.status === 'cancelled' && !mayCancel(by)) {
      throw new DomainError('forbidden', 'Only coordinators cancel shipments.');
    }
    return this.shipments.transaction(async (manager) => {
      const locked = await this.shipments.lockWithFacts(manager, [shipmentId]);
      const shipment = this.visible(locked.shipments[0], by, shipmentId);
      const { results, shipments } = await this.recordFacts(
        manager,
        [shipment],
        new Map([[shipment.id, [dto]]]),
        by,
        null,
        locked.facts,
      );
      const [result] = results.get(shipment.id)!;
      if (result.outcome === 'rejected') {
        if (result.unprocessable) throw new DomainError('unprocessable', result.reason);
        throw new DomainError('conflict', result.reason, {
          currentStatus: shipment.status,
          allowedTransitions: result.allowed ?? [],
        });
      }
      return { result, shipment: shipments.get(shipment.id)! };
    });
  }

  /** Checks what can be checked without the shipment; throws 400 naming the field. */
  checkInput(dto: FactInput, prefix: string): void {
    const field = (name: string) => (prefix === 'body' ? name : `${prefix}.${name}`);
    if (dto.occurredAt.getTime() > this.clock.now().getTime() + FUTURE_TOLERANCE_MS) {
      throw fieldError(field('occurredAt'), 'must not be in the future');
    }
    if (dto.location !== undefined && dto.location !== null) {
      const location = parseLocation(dto.location);
      if ('error' in location) {
        throw fieldError(field('location'), location.error);
      }
      dto.location = location.code;
    }
    if (typeof dto.temperatureC === 'number')
      dto.temperatureC = Math.round(dto.temperatureC * 100) / 100;
    if (dto.proofOfDelivery && dto.status !== 'delivered') {
      throw fieldError(field('proofOfDelivery'), 'only a delivered event carries one');
    }
  }

  /**
   * Records facts about locked shipments, each shipment's in time order, and brings the
   * shipments, their orders and requests up to date, in a few set-based statements however
   * many shipments there are. Facts the machine refuses come back as `rejected`; a fact
   * already recorded (same status and instant) comes back as `duplicate`.
   */
  async recordFacts(
    manager: EntityManager,
    locked: ShipmentRow[],
    inputs: Map<string, FactInput[]>,
    by: Principal,
    batchId: string | null,
    standing?: EventRow[],
  ): Promise<{ results: Map<string, EventResult[]>; shipments: Map<string, ShipmentRow> }> {
    const key = (shipmentId: string, status: string, at: Date) =>
      `${shipmentId}/${status}@${at.getTime()}`;
    const rows =
      standing ??
      (await this.shipments.liveFacts(
        manager,
        locked.map((s) => s.id),
      ));
    const known = new Map(rows.map((r) => [key(r.shipment_id, r.status, r.occurred_at), r]));
    const factsOf = new Map<string, StatusFact[]>(locked.map((s) => [s.id, []]));
    for (const row of rows) {
      // A conflicting fact stays in the history (and is known, so a resend is a duplicate)
      // but never in the fold.
      if (row.outcome !== 'conflicting') factsOf.get(row.shipment_id)!.push(toFact(row));
    }

    // What the clocks measured before these facts: a late hold changes them, not the status.
    const holdsBefore = new Map(
      locked.map((s) => [s.id, JSON.stringify(foldFacts(factsOf.get(s.id)!).holds)]),
    );

    // Decide every fact in memory (pure), then store them all in one statement.
    type Decision = { input: FactInput; outcome: ArrivalOutcome | 'duplicate' } | EventResult;
    const decisions = new Map<string, Decision[]>();
    const proofs = new Map<string, ProofOfDeliveryDto>();
    const toStore: (NewEvent & { shipmentId: string })[] = [];
    let nextSequence = Number.MAX_SAFE_INTEGER - 10_000_000;
    for (const shipment of locked) {
      const facts = factsOf.get(shipment.id)!;
      const decided: Decision[] = [];
      const accepted = new Set<string>();
      for (const input of inputs.get(shipment.id) ?? []) {
        const k = key(shipment.id, input.status, input.occurredAt);
        const existing = known.get(k);
        if (existing) {
          decided.push({ outcome: 'duplicate', event: existing });
          continue;
        }
        if (accepted.has(k)) {
          decided.push({ input, outcome: 'duplicate' });
          continue;
        }
        const candidate: StatusFact = {
          status: input.status,
          occurredAt: input.occurredAt,
          sequence: nextSequence++,
        };
        const arrival = classifyArrival(facts, candidate);
        if (arrival.outcome === 'refused') {
          decided.push({
            outcome: 'rejected',
            reason: `A shipment that is ${this.describe(foldFacts(facts))} cannot become ${input.status}; allowed: ${
              arrival.allowed?.join(', ') || 'nothing (terminal)'
            }.`,
            allowed: arrival.allowed,
          });
          continue;
        }
        if (input.proofOfDelivery) {
          const problem =
            arrival.outcome !== 'applied'
              ? 'A proof of delivery needs its delivered event to apply.'
              : await this.checkProof(manager, shipment.id, input.proofOfDelivery);
          if (problem) {
            decided.push({ outcome: 'rejected', reason: problem, unprocessable: true });
            continue;
          }
          proofs.set(shipment.id, input.proofOfDelivery);
        }
        if (arrival.outcome !== 'conflicting') facts.push(candidate);
        accepted.add(k);
        decided.push({ input, outcome: arrival.outcome });
        toStore.push({
          shipmentId: shipment.id,
          status: input.status,
          occurredAt: input.occurredAt,
          outcome: arrival.outcome,
          location: input.location ?? null,
          exceptionReason: input.exceptionReason ?? null,
          temperatureC: input.temperatureC ?? null,
          notes: input.notes ?? null,
        });
      }
      decisions.set(shipment.id, decided);
    }
    // The candidates' stand-in sequences order like the stored ones, so these folds are the
    // stored ones; facts and folds are written in one statement.
    const { shipments, events } = await this.saveStates(
      manager,
      locked.map((s) => ({ shipment: s, fold: foldFacts(factsOf.get(s.id)!) })),
      by,
      proofs,
      { events: toStore, batchId, holdsBefore },
    );
    for (const row of events) known.set(key(row.shipment_id, row.status, row.occurred_at), row);
    const results = new Map<string, EventResult[]>();
    for (const [shipmentId, decided] of decisions) {
      results.set(
        shipmentId,
        decided.map((d) =>
          'input' in d
            ? ({
                outcome: d.outcome,
                event: known.get(key(shipmentId, d.input.status, d.input.occurredAt))!,
              } as EventResult)
            : d,
        ),
      );
    }
    return { results, shipments };
  }

  /**
   * Starts the SLA clocks of requests and dispatched shipments older than SLA clocks (the
   * migration that created them queues this once), shipments folded from their facts as any
   * event would, a batch per transaction. Returns how many clocks it started: none when run
   * again, even for a shipment whose facts hold no dispatch.
   */
  async backfillClocks(batch = 200): Promise<{ requests: number; shipments: number }> {
    const requests = await this.sla.backfillRequests(batch);
    let after = '00000000-0000-0000-0000-000000000000';
    let shipments = 0;
    for (;;) {
      const ids = await this.sla.shipmentsWithoutClocks(after, batch);
      if (ids.length === 0) return { requests, shipments };
      shipments += await this.shipments.transaction(async (manager) => {
        const locked = await this.shipments.lockWithFacts(manager, ids);
        return this.sla.syncShipments(
          manager,
          locked.shipments.map((shipment) => {
            const fold = foldFacts(
              locked.facts
                .filter((f) => f.shipment_id === shipment.id && f.outcome !== 'conflicting')
                .map(toFact),
            );
            return clockInput(shipment, fold);
          }),
        );
      });
      after = ids[ids.length - 1];
    }
  }

  /** Voids a mistaken event; the shipment's state is recomputed from the remaining facts. */
  async void(
    shipmentId: string,
    eventId: string,
    reason: string,
    by: Principal,
  ): Promise<{ event: EventRow; shipment: ShipmentRow }> {
    return this.shipments.transaction(async (manager) => {
      const shipment = this.visible(
        await this.shipments.findById(shipmentId, manager, true),
        by,
        shipmentId,
      );
      const event = await this.shipments.findEvent(manager, shipmentId, eventId);
      if (!event)
        throw new DomainError(
          'not_found',
          `Event ${eventId} of shipment ${shipment.reference} does not exist.`,
        );
      if (event.voided_at)
        throw new DomainError('conflict', `Event ${eventId} was already voided.`);
      if (event.status === 'cancelled' && event.outcome === 'applied') {
        // Its goods went back to their orders and may be on other shipments since.
        throw new DomainError('conflict', 'A cancellation is final: plan a new shipment instead.');
      }
      const voided = await this.shipments.voidEvent(manager, eventId, by.keyId, reason);
      await this.alerts.resolve(manager, { eventIds: [eventId] }, 'event voided');
      const facts = (await this.shipments.liveFacts(manager, [shipmentId]))
        .filter((e) => e.outcome !== 'conflicting')
        .map(toFact);
      const fold = foldFacts(facts);
      const { shipments: saved } = await this.saveStates(
        manager,
        [{ shipment, fold }],
        by,
        new Map(),
        {
          force: true,
        },
      );
      // After the rollup, which took back what the proof of delivery had counted.
      if (shipment.status === 'delivered' && fold.state.status !== 'delivered') {
        await this.shipments.clearProofOfDelivery(manager, shipmentId);
      }
      return { event: voided, shipment: saved.get(shipmentId)! };
    });
  }

  private describe(fold: FoldResult): string {
    return fold.state.resumeStatus
      ? `${fold.state.status} (from ${fold.state.resumeStatus})`
      : fold.state.status;
  }

  private async checkProof(
    manager: EntityManager,
    shipmentId: string,
    proof: ProofOfDeliveryDto,
  ): Promise<string | undefined> {
    const items = new Map(
      (await this.shipments.itemsOf([shipmentId], manager)).map((i) => [i.id, i]),
    );
    const seen = new Set<string>();
    for (const [i, line] of proof.lines.entries()) {
      const item = items.get(line.shipmentItemId);
      if (!item) return `proofOfDelivery.lines[${i}].shipmentItemId: not an item of this shipment`;
      if (seen.has(line.shipmentItemId)) return `proofOfDelivery.lines[${i}]: item listed twice`;
      seen.add(line.shipmentItemId);
      const total = line.receivedGood + line.damaged + line.missing;
      if (total !== item.quantity) {
        return `proofOfDelivery.lines[${i}]: received, damaged and missing add up to ${total}, not the ${item.quantity} shipped`;
      }
    }
    if (seen.size !== items.size)
      return `proofOfDelivery: covers ${seen.size} of the shipment's ${items.size} items`;
    return undefined;
  }

  /**
   * Saves the shipments whose folded state changed and rolls the change of what they
   * contribute up into order lines, request lines, orders and requests. Returns every
   * shipment's current row.
   */
  private async saveStates(
    manager: EntityManager,
    states: { shipment: ShipmentRow; fold: FoldResult }[],
    by: Principal,
    proofs: Map<string, ProofOfDeliveryDto>,
    options: {
      force?: boolean;
      events?: (NewEvent & { shipmentId: string })[];
      batchId?: string | null;
      /** Each shipment's holds before this change (JSON); unknown means "may have changed". */
      holdsBefore?: Map<string, string>;
    } = {},
  ): Promise<{ shipments: Map<string, ShipmentRow>; events: EventRow[] }> {
    const force = options.force ?? false;
    const current = new Map(states.map(({ shipment }) => [shipment.id, shipment]));
    const changed = states.filter(
      ({ shipment, fold }) =>
        force ||
        proofs.has(shipment.id) ||
        fold.state.status !== shipment.status ||
        fold.state.resumeStatus !== shipment.resume_status ||
        !sameInstant(fold.lastAppliedAt, shipment.last_event_at) ||
        !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
        !sameInstant(fold.deliveredAt, shipment.delivered_at),
    );
    const stored = await this.shipments.storeFactsAndFolds(
      manager,
      options.events ?? [],
      changed.map(({ shipment, fold }) => ({
        id: shipment.id,
        status: fold.state.status,
        resumeStatus: fold.state.resumeStatus,
        lastEventAt: fold.lastAppliedAt,
        dispatchedAt: fold.dispatchedAt,
        deliveredAt: fold.deliveredAt,
      })),
      by.keyId,
      options.batchId ?? null,
    );
    const saved = stored.shipments;
    for (const row of saved) current.set(row.id, row);
    await this.followUp(manager, states, changed, current, stored.events, proofs, options);

    const moved = changed.filter(
      ({ shipment, fold }) =>
        proofs.has(shipment.id) ||
        !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
        (fold.state.status === 'delivered') !== (shipment.status === 'delivered') ||
        (fold.state.status === 'cancelled') !== (shipment.status === 'cancelled'),
    );
    if (moved.length === 0) return { shipments: current, events: stored.events };

    // What each shipment adds to its order lines, before and after: the difference rolls up.
    const items = await this.shipments.itemContributions(
      manager,
      moved.map((m) => m.shipment.id),
    );
    const byShipment = new Map(moved.map((m) => [m.shipment.id, m]));
    const deltas = new Map<string, LineDelta>();
    const requests = new Map<string, RequestDispatch>();
    for (const item of items) {
      const { shipment, fold } = byShipment.get(item.shipment_id)!;
      const storedArrived =
        item.received_good === null ? item.quantity : item.received_good + (item.damaged ?? 0);
      const line = proofs.get(shipment.id)?.lines.find((l) => l.shipmentItemId === item.id);
      const before = contribution(
        shipment.status,
        shipment.dispatched_at,
        item.quantity,
        storedArrived,
      );
      const after = contribution(
        fold.state.status,
        fold.dispatchedAt,
        item.quantity,
        line
          ? line.receivedGood + line.damaged
          : fold.state.status === 'delivered'
            ? storedArrived
            : item.quantity,
      );
      const delta = deltas.get(item.order_line_id) ?? {
        orderLineId: item.order_line_id,
        shipped: 0,
        dispatched: 0,
        delivered: 0,
      };
      delta.shipped += after.shipped - before.shipped;
      delta.dispatched += after.dispatched - before.dispatched;
      delta.delivered += after.delivered - before.delivered;
      deltas.set(item.order_line_id, delta);

      const request = requests.get(item.request_id) ?? {
        requestId: item.request_id,
        earliestDispatch: null,
        recomputeDispatch: false,
      };
      const leftAt = fold.state.status === 'cancelled' ? null : fold.dispatchedAt;
      if (leftAt && (!request.earliestDispatch || leftAt < request.earliestDispatch))
        request.earliestDispatch = leftAt;
      const leftBefore = shipment.status === 'cancelled' ? null : shipment.dispatched_at;
      if (leftBefore && (!leftAt || leftAt.getTime() > leftBefore.getTime()))
        request.recomputeDispatch = true;
      requests.set(item.request_id, request);
    }
    await this.shipments.recordProofOfDelivery(
      manager,
      [...proofs.values()].flatMap((p) => p.lines),
    );
    await this.fulfilment.lockRequests(manager, [...requests.keys()]);
    await this.fulfilment.applyShipmentDeltas(
      manager,
      [...deltas.values()],
      [...requests.values()],
    );
    await this.sla.syncRequests(manager, [...requests.keys()]);
    return { shipments: current, events: stored.events };
  }

  /**
   * What a change means beyond the shipment: its SLA clock (started at dispatch, paused on
   * hold, stopped at delivery), the alerts its events raise, and the exception alerts that
   * end when the shipment leaves exception.
   */
  private async followUp(
    manager: EntityManager,
    states: { shipment: ShipmentRow; fold: FoldResult }[],
    changed: { shipment: ShipmentRow; fold: FoldResult }[],
    current: Map<string, ShipmentRow>,
    events: EventRow[],
    proofs: Map<string, ProofOfDeliveryDto>,
    options: { force?: boolean; holdsBefore?: Map<string, string> },
  ): Promise<void> {
    const clockMoved = states.filter(({ shipment, fold }) => {
      const wasDispatched = shipment.dispatched_at !== null;
      if (!wasDispatched && fold.dispatchedAt === null) return false;
      return (
        options.force ||
        !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
        !sameInstant(fold.deliveredAt, shipment.delivered_at) ||
        CLOCK_STATUS(fold.state.status) !== CLOCK_STATUS(shipment.status as ShipmentStatus) ||
        options.holdsBefore?.get(shipment.id) !== JSON.stringify(fold.holds)
      );
    });
    await this.sla.syncShipments(
      manager,
      clockMoved.map(({ shipment, fold }) => clockInput(shipment, fold)),
    );

    const leftException = changed
      .filter(
        ({ shipment, fold }) =>
          shipment.status === 'exception' && fold.state.status !== 'exception',
      )
      .map(({ shipment }) => shipment.id);
    await this.alerts.resolve(
      manager,
      { shipmentIds: leftException, kinds: ['shipment_exception'] },
      'shipment left exception',
    );

    const alerting = events.filter(
      (e) =>
        e.temperature_c !== null ||
        ['exception', 'lost', 'returned'].includes(e.status) ||
        (e.status === 'delivered' && proofs.has(e.shipment_id)),
    );
    if (alerting.length === 0) return;
    const coldChain = await this.shipments.coldChain(manager, [
      ...new Set(alerting.filter((e) => e.temperature_c !== null).map((e) => e.shipment_id)),
    ]);
    const facts = new Map<string, ShipmentFacts>();
    for (const e of alerting) {
      const s = current.get(e.shipment_id)!;
      facts.set(s.id, {
        id: s.id,
        reference: s.reference,
        country: s.destination_country,
        carrierId: s.carrier_id,
        coldChain: coldChain.has(s.id),
      });
    }
    const raised: NewAlert[] = eventAlerts(
      alerting.map((e) => ({
        id: e.id,
        shipmentId: e.shipment_id,
        status: e.status,
        outcome: e.outcome,
        occurredAt: e.occurred_at,
        location: e.location,
        exceptionReason: e.exception_reason,
        temperatureC: e.temperature_c === null ? null : Number(e.temperature_c),
      })),
      facts,
    );
    for (const e of alerting) {
      const proof = e.status === 'delivered' ? proofs.get(e.shipment_id) : undefined;
      if (!proof) continue;
      const alert = discrepancyAlert(
        facts.get(e.shipment_id)!,
        { id: e.id, occurredAt: e.occurred_at },
        proof.lines,
      );
      if (alert) raised.push(alert);
    }
    await this.alerts.raise(manager, raised);
  }
}

/** What a shipment's SLA clock needs to know of it. */
function clockInput(shipment: ShipmentRow, fold: FoldResult): ShipmentClockInput {
  return {
    id: shipment.id,
    reference: shipment.reference,
    mode: shipment.mode,
    country: shipment.destination_country,
    carrierId: shipment.carrier_id,
    status: fold.state.status,
    dispatchedAt: fold.dispatchedAt,
    deliveredAt: fold.deliveredAt,
    holds: fold.holds,
  };
}

/** What of a status matters to an SLA clock: stopped, cancelled, paused or running. */
function CLOCK_STATUS(status: ShipmentStatus): string {
  if (status === 'delivered' || status === 'on_hold' || status === 'cancelled') return status;
  return status === 'lost' || status === 'returned' ? 'lost' : 'running';
}

/** Cancelling a shipment gives its goods back to the orders: a coordinator's decision. */
export function mayCancel(by: Principal): boolean {
  return by.role === 'admin' || by.role === 'coordinator';
}

/** What one shipment item adds to its order line in a given state. */
function contribution(
  status: string,
  dispatchedAt: Date | null,
  quantity: number,
  arrived: number,
) {
  const live = status !== 'cancelled';
  return {
    shipped: live ? quantity : 0,
    dispatched: live && dispatchedAt ? quantity : 0,
    delivered: status === 'delivered' ? arrived : 0,
  };
}
