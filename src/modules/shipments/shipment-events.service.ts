import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock, sameInstant } from '../../common/clock';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import {
  DomainEvents,
  type RecordedFact,
  type ShipmentChange,
  type ShipmentRef,
  type ShipmentState,
  type ShipmentsChanged,
} from '../../common/events/domain-events';
import type { Principal } from '../auth/principal';
import { parseLocation } from '../reference/locations';
import { SlaClocksService } from '../sla/sla-clocks.service';
import type {
  CreateShipmentEventDto,
  ProofOfDeliveryDto,
  ShipmentEventFieldsDto,
} from './dto/shipment-event.dto';
import { decideFacts, factKey, type StandingFact } from './shipment-facts';
import {
  type ArrivalOutcome,
  foldFacts,
  type FoldResult,
  type ShipmentStatus,
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
  | { outcome: Exclude<ArrivalOutcome, 'refused'> | 'duplicate'; event: EventRow }
  | { outcome: 'rejected'; reason: string; allowed?: ShipmentStatus[]; unprocessable?: boolean };

export interface FactInput extends ShipmentEventFieldsDto {
  proofOfDelivery?: ProofOfDeliveryDto;
}

function standing(row: EventRow): StandingFact {
  return {
    status: row.status as ShipmentStatus,
    occurredAt: row.occurred_at,
    sequence: Number(row.sequence),
    outcome: row.outcome,
  };
}

/** The fold of a shipment's live facts: conflicting ones stay in the history, not in the fold. */
function foldOf(rows: EventRow[]): FoldResult {
  return foldFacts(rows.filter((r) => r.outcome !== 'conflicting').map(standing));
}

/** Rows grouped by the shipment they belong to. */
function byShipment<T extends { shipment_id: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.shipment_id);
    if (group) group.push(row);
    else groups.set(row.shipment_id, [row]);
  }
  return groups;
}

function refOf(s: ShipmentRow): ShipmentRef {
  return {
    id: s.id,
    reference: s.reference,
    mode: s.mode,
    country: s.destination_country,
    carrierId: s.carrier_id,
  };
}

function stateOf(fold: FoldResult): ShipmentState {
  return {
    status: fold.state.status,
    resumeStatus: fold.state.resumeStatus,
    dispatchedAt: fold.dispatchedAt,
    deliveredAt: fold.deliveredAt,
    holds: fold.holds,
  };
}

/** A fold's state as the shipment's row stored it, with the holds its facts gave. */
function storedState(s: ShipmentRow, holds: ShipmentState['holds']): ShipmentState {
  return {
    status: s.status,
    resumeStatus: s.resume_status,
    dispatchedAt: s.dispatched_at,
    deliveredAt: s.delivered_at,
    holds,
  };
}

function moved(a: ShipmentState, b: ShipmentState): boolean {
  return (
    a.status !== b.status ||
    a.resumeStatus !== b.resumeStatus ||
    !sameInstant(a.dispatchedAt, b.dispatchedAt) ||
    !sameInstant(a.deliveredAt, b.deliveredAt) ||
    JSON.stringify(a.holds) !== JSON.stringify(b.holds)
  );
}

/**
 * Where a shipment changes status. Every fact about a shipment goes through `recordFacts`:
 * with the shipment's row locked it decides the facts (pure, shipment-facts.ts), stores them
 * and the new fold in one statement, then announces `shipments.changed` in the transaction;
 * SLA clocks, alerts and fulfilment roll-ups follow in their own modules.
 */
@Injectable()
export class ShipmentEventsService {
  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly events: DomainEvents,
    private readonly sla: SlaClocksService,
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
        { by, standing: locked.facts },
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
   * Records facts about locked shipments, each shipment's in time order, in a few set-based
   * statements however many shipments there are, and announces the change. Facts the machine
   * refuses come back as `rejected`; a fact already recorded (same status and instant) comes
   * back as `duplicate`. `standing` are the shipments' live facts, when the caller read them.
   */
  async recordFacts(
    manager: EntityManager,
    locked: ShipmentRow[],
    inputs: Map<string, FactInput[]>,
    options: { by: Principal; batchId?: string | null; standing?: EventRow[] },
  ): Promise<{ results: Map<string, EventResult[]>; shipments: Map<string, ShipmentRow> }> {
    const ids = locked.map((s) => s.id);
    const rows = options.standing ?? (await this.shipments.liveFacts(manager, ids));
    const withProof = ids.filter((id) => inputs.get(id)?.some((i) => i.proofOfDelivery));
    const items = byShipment(
      withProof.length > 0 ? await this.shipments.itemsOf(withProof, manager) : [],
    );
    const facts = byShipment(rows);
    const decided = new Map(
      locked.map((s) => [
        s.id,
        decideFacts(
          (facts.get(s.id) ?? []).map(standing),
          inputs.get(s.id) ?? [],
          items.get(s.id) ?? [],
        ),
      ]),
    );
    const toStore: (NewEvent & { shipmentId: string })[] = [];
    for (const [shipmentId, { decisions }] of decided) {
      for (const d of decisions) {
        if (d.kind !== 'store') continue;
        toStore.push({
          shipmentId,
          status: d.fact.status,
          occurredAt: d.fact.occurredAt,
          outcome: d.outcome,
          location: d.fact.location ?? null,
          exceptionReason: d.fact.exceptionReason ?? null,
          temperatureC: d.fact.temperatureC ?? null,
          notes: d.fact.notes ?? null,
        });
      }
    }
    const { shipments, events } = await this.saveStates(
      manager,
      locked.map((shipment) => ({
        shipment,
        before: decided.get(shipment.id)!.before,
        after: decided.get(shipment.id)!.after,
      })),
      options.by,
      { events: toStore, batchId: options.batchId ?? null, inputs },
    );

    const known = new Map(
      rows.map((r) => [`${r.shipment_id}/${factKey(r.status, r.occurred_at)}`, r]),
    );
    for (const row of events)
      known.set(`${row.shipment_id}/${factKey(row.status, row.occurred_at)}`, row);
    const results = new Map<string, EventResult[]>();
    for (const [shipmentId, { decisions }] of decided) {
      results.set(
        shipmentId,
        decisions.map((d): EventResult => {
          if (d.kind === 'rejected') return { outcome: 'rejected', ...d };
          const event = known.get(`${shipmentId}/${factKey(d.fact.status, d.fact.occurredAt)}`)!;
          return { outcome: d.kind === 'store' ? d.outcome : 'duplicate', event };
        }),
      );
    }
    return { results, shipments };
  }

  /**
   * Starts the SLA clocks of dispatched shipments older than SLA clocks (the migration that
   * created them queues this once) and of requests, a batch per transaction: each shipment's
   * facts folded and announced as recomputed. Returns how many clocks it started: none when
   * run again, even for a shipment whose facts hold no dispatch.
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
        const facts = byShipment(locked.facts);
        const changes = locked.shipments.map((shipment) => {
          const fold = foldOf(facts.get(shipment.id) ?? []);
          return { shipment: refOf(shipment), before: stateOf(fold), after: stateOf(fold) };
        });
        await this.announce(manager, { changes, recomputed: true });
        return ids.length - (await this.sla.withoutClocks(manager, ids)).length;
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
      const facts = await this.shipments.liveFacts(manager, [shipmentId]);
      const voided = await this.shipments.voidEvent(manager, eventId, by.keyId, reason);
      const { shipments: saved } = await this.saveStates(
        manager,
        [{ shipment, before: foldOf(facts), after: foldOf(facts.filter((f) => f.id !== eventId)) }],
        by,
        { recomputed: true, voidedFactIds: [eventId] },
      );
      // After the roll-up, which took back what the proof of delivery had counted.
      if (shipment.status === 'delivered' && saved.get(shipmentId)!.status !== 'delivered') {
        await this.shipments.clearProofOfDelivery(manager, shipmentId);
      }
      return { event: voided, shipment: saved.get(shipmentId)! };
    });
  }

  /**
   * Stores new facts and the folds of the shipments whose state changed (one statement),
   * records proofs of delivery, and announces the change. Returns every shipment's current row.
   */
  private async saveStates(
    manager: EntityManager,
    states: { shipment: ShipmentRow; before: FoldResult; after: FoldResult }[],
    by: Principal,
    options: {
      events?: (NewEvent & { shipmentId: string })[];
      batchId?: string | null;
      inputs?: Map<string, FactInput[]>;
      recomputed?: boolean;
      voidedFactIds?: string[];
    },
  ): Promise<{ shipments: Map<string, ShipmentRow>; events: EventRow[] }> {
    const recomputed = options.recomputed ?? false;
    const current = new Map(states.map(({ shipment }) => [shipment.id, shipment]));
    const rowMoved = states.filter(
      ({ shipment, after }) =>
        recomputed ||
        after.state.status !== shipment.status ||
        after.state.resumeStatus !== shipment.resume_status ||
        !sameInstant(after.lastAppliedAt, shipment.last_event_at) ||
        !sameInstant(after.dispatchedAt, shipment.dispatched_at) ||
        !sameInstant(after.deliveredAt, shipment.delivered_at),
    );
    const stored = await this.shipments.storeFactsAndFolds(
      manager,
      options.events ?? [],
      rowMoved.map(({ shipment, after }) => ({
        id: shipment.id,
        status: after.state.status,
        resumeStatus: after.state.resumeStatus,
        lastEventAt: after.lastAppliedAt,
        dispatchedAt: after.dispatchedAt,
        deliveredAt: after.deliveredAt,
      })),
      by.keyId,
      options.batchId ?? null,
    );
    for (const row of stored.shipments) current.set(row.id, row);

    // A proof of delivery is stored with its delivered fact, before anything rolls it up.
    const proofs = stored.events.flatMap((e) => {
      const input = options.inputs
        ?.get(e.shipment_id)
        ?.find((i) => i.status === e.status && i.occurredAt.getTime() === e.occurred_at.getTime());
      return input?.proofOfDelivery
        ? [
            {
              factId: e.id,
              receivedBy: input.proofOfDelivery.receivedBy ?? null,
              lines: input.proofOfDelivery.lines,
            },
          ]
        : [];
    });
    await this.shipments.recordProofOfDelivery(
      manager,
      proofs.flatMap((p) => p.lines),
    );

    const changes: ShipmentChange[] = states
      .map(({ shipment, before, after }) => ({
        shipment: refOf(shipment),
        before: storedState(shipment, before.holds),
        after: stateOf(after),
      }))
      .filter((c) => recomputed || moved(c.before, c.after));
    const facts: RecordedFact[] = stored.events.map((e) => ({
      id: e.id,
      sequence: Number(e.sequence),
      shipment: refOf(current.get(e.shipment_id)!),
      status: e.status,
      outcome: e.outcome,
      occurredAt: e.occurred_at,
      location: e.location,
      exceptionReason: e.exception_reason,
      temperatureC: e.temperature_c === null ? null : Number(e.temperature_c),
    }));
    await this.announce(manager, {
      changes,
      facts,
      proofs,
      voidedFactIds: options.voidedFactIds,
      recomputed,
    });
    return { shipments: current, events: stored.events };
  }

  private async announce(
    manager: EntityManager,
    change: {
      changes: ShipmentChange[];
      facts?: RecordedFact[];
      proofs?: ShipmentsChanged['proofs'];
      voidedFactIds?: string[];
      recomputed: boolean;
    },
  ): Promise<void> {
    const { changes, facts = [], proofs = [], voidedFactIds = [], recomputed } = change;
    if (changes.length === 0 && facts.length === 0 && voidedFactIds.length === 0) return;
    await this.events.emit('shipments.changed', {
      manager,
      changes,
      facts,
      proofs,
      voidedFactIds,
      recomputed,
    });
  }
}

/** Cancelling a shipment gives its goods back to the orders: a coordinator's decision. */
export function mayCancel(by: Principal): boolean {
  return by.role === 'admin' || by.role === 'coordinator';
}
