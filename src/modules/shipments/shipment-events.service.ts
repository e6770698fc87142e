import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import type { Principal } from '../auth/principal';
import { FulfilmentRepository, type LineDelta } from '../fulfilment/fulfilment.repository';
import { parseLocation } from '../reference/locations';
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
import { type EventRow, type ShipmentRow, ShipmentsRepository } from './shipments.repository';

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
    return this.shipments.transaction(async (manager) => {
      const shipment = this.visible(
        await this.shipments.findById(shipmentId, manager, true),
        by,
        shipmentId,
      );
      const [result] = await this.recordFacts(manager, shipment, [dto], by, null);
      if (result.outcome === 'rejected') {
        if (result.unprocessable) throw new DomainError('unprocessable', result.reason);
        throw new DomainError('conflict', result.reason, {
          currentStatus: shipment.status,
          allowedTransitions: result.allowed ?? [],
        });
      }
      const after = (await this.shipments.findById(shipmentId, manager))!;
      return { result, shipment: after };
    });
  }

  /** Checks what can be checked without the shipment; throws 400 naming the field. */
  checkInput(dto: FactInput, prefix: string): void {
    const field = (name: string) => (prefix === 'body' ? name : `${prefix}.${name}`);
    if (dto.occurredAt.getTime() > Date.now() + FUTURE_TOLERANCE_MS) {
      throw new DomainError(
        'validation_failed',
        `${field('occurredAt')}: must not be in the future`,
        {
          errors: [{ field: field('occurredAt'), messages: ['must not be in the future'] }],
        },
      );
    }
    if (dto.location !== undefined) {
      const location = parseLocation(dto.location);
      if ('error' in location) {
        throw new DomainError('validation_failed', `${field('location')}: ${location.error}`, {
          errors: [{ field: field('location'), messages: [location.error] }],
        });
      }
      dto.location = location.code;
    }
    if (dto.proofOfDelivery && dto.status !== 'delivered') {
      throw new DomainError(
        'validation_failed',
        `${field('proofOfDelivery')}: only a delivered event carries one`,
        {
          errors: [
            { field: field('proofOfDelivery'), messages: ['only a delivered event carries one'] },
          ],
        },
      );
    }
  }

  /**
   * Records facts about one locked shipment, in time order, and brings the shipment, its
   * orders and requests up to date. Facts the machine refuses come back as `rejected`;
   * a fact already recorded (same status and instant) comes back as `duplicate`.
   */
  async recordFacts(
    manager: EntityManager,
    shipment: ShipmentRow,
    inputs: FactInput[],
    by: Principal,
    batchId: string | null,
  ): Promise<EventResult[]> {
    const rows = await this.shipments.liveFacts(manager, shipment.id);
    const facts = rows.map(toFact);
    const key = (status: string, at: Date) => `${status}@${at.getTime()}`;
    const known = new Map(rows.map((r) => [key(r.status, r.occurred_at), r]));
    // Decide every fact in memory first (pure), then store them in one statement.
    const decided: ({ input: FactInput; outcome: ArrivalOutcome } | EventResult)[] = [];
    const accepted = new Set<string>();
    let proof: ProofOfDeliveryDto | undefined;
    let nextSequence = Number.MAX_SAFE_INTEGER - 1_000_000;

    for (const input of inputs) {
      const k = key(input.status, input.occurredAt);
      const existing = known.get(k);
      if (existing) {
        decided.push({ outcome: 'duplicate', event: existing });
        continue;
      }
      if (accepted.has(k)) {
        decided.push({ input, outcome: 'duplicate' as ArrivalOutcome });
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
        proof = input.proofOfDelivery;
      }
      if (arrival.outcome !== 'conflicting') facts.push(candidate);
      accepted.add(k);
      decided.push({ input, outcome: arrival.outcome });
    }

    const toStore = decided.filter(
      (d): d is { input: FactInput; outcome: ArrivalOutcome } =>
        'input' in d && d.outcome !== ('duplicate' as ArrivalOutcome),
    );
    const stored = await this.shipments.insertEvents(
      manager,
      shipment.id,
      toStore.map(({ input, outcome }) => ({
        status: input.status,
        occurredAt: input.occurredAt,
        outcome,
        location: input.location ?? null,
        exceptionReason: input.exceptionReason ?? null,
        temperatureC: input.temperatureC ?? null,
        notes: input.notes ?? null,
      })),
      by.keyId,
      batchId,
    );
    for (const row of stored) known.set(key(row.status, row.occurred_at), row);

    const results: EventResult[] = decided.map((d) => {
      if (!('input' in d)) return d;
      const event = known.get(key(d.input.status, d.input.occurredAt))!;
      return {
        outcome: d.outcome === ('duplicate' as ArrivalOutcome) ? 'duplicate' : d.outcome,
        event,
      };
    });
    // The candidates' stand-in sequences order like the stored ones, so this fold is the stored one.
    await this.saveState(manager, shipment, foldFacts(facts), by, proof);
    return results;
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
      const voided = await this.shipments.voidEvent(manager, eventId, by.keyId, reason);
      const facts = (await this.shipments.liveFacts(manager, shipmentId)).map(toFact);
      const fold = foldFacts(facts);
      await this.saveState(manager, shipment, fold, by, undefined, true);
      // After the rollup, which took back what the proof of delivery had counted.
      if (shipment.status === 'delivered' && fold.state.status !== 'delivered') {
        await this.shipments.clearProofOfDelivery(manager, shipmentId);
      }
      return { event: voided, shipment: (await this.shipments.findById(shipmentId, manager))! };
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

  private async saveState(
    manager: EntityManager,
    shipment: ShipmentRow,
    fold: FoldResult,
    by: Principal,
    proof: ProofOfDeliveryDto | undefined,
    force = false,
  ): Promise<void> {
    const changed =
      force ||
      fold.state.status !== shipment.status ||
      fold.state.resumeStatus !== shipment.resume_status ||
      !sameInstant(fold.lastAppliedAt, shipment.last_event_at) ||
      !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
      !sameInstant(fold.deliveredAt, shipment.delivered_at);
    if (!changed && !proof) return;
    await this.shipments.saveFold(
      manager,
      shipment.id,
      {
        status: fold.state.status,
        resumeStatus: fold.state.resumeStatus,
        lastEventAt: fold.lastAppliedAt,
        dispatchedAt: fold.dispatchedAt,
        deliveredAt: fold.deliveredAt,
      },
      by.keyId,
    );
    const contributionMoved =
      proof !== undefined ||
      !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
      (fold.state.status === 'delivered') !== (shipment.status === 'delivered') ||
      (fold.state.status === 'cancelled') !== (shipment.status === 'cancelled');
    if (!contributionMoved) return;

    // What this shipment adds to each order line, before and after: the difference rolls up.
    const items = await this.shipments.itemQuantities(manager, shipment.id);
    const proofOf = new Map(proof?.lines.map((l) => [l.shipmentItemId, l]) ?? []);
    const deltas = new Map<string, LineDelta>();
    for (const item of items) {
      const storedArrived =
        item.received_good === null ? item.quantity : item.received_good + (item.damaged ?? 0);
      const line = proofOf.get(item.id);
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
    }
    if (proof) await this.shipments.recordProofOfDelivery(manager, proof.lines);
    const requestIds = await this.fulfilment.requestIdsOfShipment(manager, shipment.id);
    await this.fulfilment.lockRequests(manager, requestIds);
    await this.fulfilment.applyShipmentDeltas(manager, requestIds, [...deltas.values()], {
      before: shipment.dispatched_at,
      after: fold.dispatchedAt,
    });
  }
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
