import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import type { Principal } from '../auth/principal';
import { FulfilmentRepository } from '../fulfilment/fulfilment.repository';
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
  | { outcome: 'rejected'; reason: string; allowed?: ShipmentStatus[] };

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
    const byKey = new Map(rows.map((r) => [`${r.status}@${r.occurred_at.getTime()}`, r]));
    const results: EventResult[] = [];
    let proof: ProofOfDeliveryDto | undefined;
    let nextSequence = Number.MAX_SAFE_INTEGER - 1_000_000;

    for (const input of inputs) {
      const existing = byKey.get(`${input.status}@${input.occurredAt.getTime()}`);
      if (existing) {
        results.push({ outcome: 'duplicate', event: existing });
        continue;
      }
      const candidate: StatusFact = {
        status: input.status,
        occurredAt: input.occurredAt,
        sequence: nextSequence++,
      };
      const arrival = classifyArrival(facts, candidate);
      if (arrival.outcome === 'refused') {
        results.push({
          outcome: 'rejected',
          reason: `A shipment that is ${this.describe(foldFacts(facts))} cannot become ${input.status}; allowed: ${
            arrival.allowed?.join(', ') || 'nothing (terminal)'
          }.`,
          allowed: arrival.allowed,
        });
        continue;
      }
      if (input.proofOfDelivery) {
        if (arrival.outcome !== 'applied') {
          results.push({
            outcome: 'rejected',
            reason: 'A proof of delivery needs its delivered event to apply.',
          });
          continue;
        }
        const problem = await this.checkProof(manager, shipment.id, input.proofOfDelivery);
        if (problem) {
          results.push({ outcome: 'rejected', reason: problem });
          continue;
        }
        proof = input.proofOfDelivery;
      }
      const event = await this.shipments.insertEvent(
        manager,
        shipment.id,
        {
          status: input.status,
          occurredAt: input.occurredAt,
          outcome: arrival.outcome,
          location: input.location ?? null,
          exceptionReason: input.exceptionReason ?? null,
          temperatureC: input.temperatureC ?? null,
          notes: input.notes ?? null,
        },
        by.keyId,
        batchId,
      );
      if (arrival.outcome !== 'conflicting') facts.push(toFact(event));
      byKey.set(`${event.status}@${event.occurred_at.getTime()}`, event);
      results.push({ outcome: arrival.outcome, event });
    }

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
      if (event.status === 'delivered' && fold.state.status !== 'delivered') {
        await this.shipments.clearProofOfDelivery(manager, shipmentId);
      }
      await this.saveState(manager, shipment, fold, by, undefined, true);
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
    if (proof) await this.shipments.recordProofOfDelivery(manager, proof.lines);
    const rollupNeeded =
      force ||
      proof !== undefined ||
      !sameInstant(fold.dispatchedAt, shipment.dispatched_at) ||
      !sameInstant(fold.deliveredAt, shipment.delivered_at) ||
      (fold.state.status === 'cancelled') !== (shipment.status === 'cancelled');
    if (rollupNeeded) {
      const requestIds = await this.fulfilment.requestIdsOfShipment(manager, shipment.id);
      await this.fulfilment.lockRequests(manager, requestIds);
      await this.fulfilment.rollup(manager, requestIds);
    }
  }
}
