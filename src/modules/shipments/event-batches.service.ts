import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { OutboxService } from '../../common/queue/outbox.service';
import type { Principal } from '../auth/principal';
import {
  type BatchEventDto,
  type EventBatchAcceptedDto,
  type EventBatchResponseDto,
  ShipmentEventFieldsDto,
} from './dto/shipment-event.dto';
import { EventBatchesRepository, type NewBatchItem } from './event-batches.repository';
import { mayCancel, ShipmentEventsService } from './shipment-events.service';
import { ShipmentsRepository } from './shipments.repository';

/**
 * A stored batch event back as the fields of a fact. It was validated (class-validator) when
 * the batch was accepted, so only its date needs reviving.
 */
export function factFromPayload(payload: Record<string, unknown>): ShipmentEventFieldsDto {
  return {
    ...(payload as unknown as ShipmentEventFieldsDto),
    occurredAt: new Date(payload.occurredAt as string),
  };
}

type Settled = { idx: number; result: string; reason: string | null; eventId: string | null };

/** Shipments whose events one transaction applies (a few statements for all of them). */
const SHIPMENTS_PER_TRANSACTION = 100;

/** Events of one shipment stay in one part (applied in time order); parts run in parallel. */
const EVENTS_PER_PART = 1000;
const MAX_PARTS = 16;

export function partOf(key: string, parts: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % parts;
}

@Injectable()
export class EventBatchesService {
  constructor(
    private readonly batches: EventBatchesRepository,
    private readonly shipments: ShipmentsRepository,
    private readonly events: ShipmentEventsService,
    private readonly outbox: OutboxService,
  ) {}

  /** Stores a carrier feed's events and queues their application; answers at once. */
  async submit(events: BatchEventDto[], by: Principal): Promise<EventBatchAcceptedDto> {
    const parts = Math.min(MAX_PARTS, Math.max(1, Math.ceil(events.length / EVENTS_PER_PART)));
    const id = await this.batches.transaction(async (manager) => {
      const byTracking = events
        .map((e, idx) => ({ e, idx }))
        .filter(({ e }) => !e.shipmentId && e.trackingReference);
      const resolved = new Map<number, string[]>();
      if (byTracking.length > 0) {
        const found = await this.shipments.resolveTracking(
          manager,
          byTracking.map(({ e }) => ({
            trackingReference: e.trackingReference!,
            carrierId: by.carrierId ?? undefined,
            carrierCode: e.carrierCode,
          })),
        );
        for (const row of found) resolved.set(byTracking[Number(row.idx) - 1].idx, row.ids);
      }
      const items: NewBatchItem[] = events.map((e, idx) => {
        const { shipmentId, trackingReference, carrierCode: _carrierCode, ...fields } = e;
        let id = shipmentId ?? null;
        let reason: string | null = null;
        if (!id && !trackingReference)
          reason = 'names no shipment: give shipmentId or trackingReference';
        if (!id && trackingReference) {
          const ids = resolved.get(idx) ?? [];
          if (ids.length === 1) id = ids[0];
          else if (ids.length === 0)
            reason = `no shipment with tracking reference ${trackingReference}`;
          else
            reason = `tracking reference ${trackingReference} is used by several carriers: add carrierCode`;
        }
        const key = id ?? `unresolved-${idx}`;
        return {
          idx,
          part: partOf(key, parts),
          shipmentKey: key,
          shipmentId: id,
          occurredAt: fields.occurredAt.toISOString(),
          payload: fields,
          rejectedReason: reason,
        };
      });
      const batchId = await this.batches.insert(manager, by.keyId, by.carrierId, items);
      await this.outbox.enqueueMany(
        manager,
        Array.from({ length: parts }, (_, part) => ({
          item: { name: 'apply-event-batch' as const, data: { batchId, part } },
          jobId: `batch-${batchId}-${part}`,
        })),
      );
      return batchId;
    });
    return { id, status: 'processing', total: events.length };
  }

  /**
   * Applies one part of a batch, up to 100 shipments a transaction that records their events
   * and marks them done together, so a worker killed half-way leaves nothing applied twice.
   */
  async applyPart(batchId: string, part: number): Promise<{ shipments: number }> {
    const batch = await this.batches.find(batchId);
    if (!batch) return { shipments: 0 };
    const by: Principal = {
      keyId: batch.submitted_by,
      role: batch.carrier_id ? 'carrier' : 'operator',
      carrierId: batch.carrier_id,
    };
    const shipmentIds = await this.batches.pendingShipments(batchId, part);
    for (let from = 0; from < shipmentIds.length; from += SHIPMENTS_PER_TRANSACTION) {
      const chunk = shipmentIds.slice(from, from + SHIPMENTS_PER_TRANSACTION);
      await this.batches.transaction(async (manager) => {
        const { shipments: locked, facts } = await this.shipments.lockWithFacts(manager, chunk);
        const pending = await this.batches.pendingItems(manager, batchId, chunk);
        if (pending.length === 0) return;
        const visible = new Map(
          locked
            .filter((s) => !by.carrierId || s.carrier_id === by.carrierId)
            .map((s) => [s.id, s]),
        );
        const settled: Settled[] = [];
        const inputs = new Map<string, ShipmentEventFieldsDto[]>();
        const indexes = new Map<string, number[]>();
        for (const item of pending) {
          if (!visible.has(item.shipment_id)) {
            settled.push({
              idx: item.idx,
              result: 'rejected',
              reason: `no shipment ${item.shipment_id}`,
              eventId: null,
            });
            continue;
          }
          const input = factFromPayload(item.payload);
          try {
            this.events.checkInput(input, `events[${item.idx}]`);
            if (input.status === 'cancelled' && !mayCancel(by)) {
              throw new DomainError('forbidden', 'Only coordinators cancel shipments.');
            }
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            settled.push({
              idx: item.idx,
              result: 'rejected',
              reason: error.message,
              eventId: null,
            });
            continue;
          }
          inputs.set(item.shipment_id, [...(inputs.get(item.shipment_id) ?? []), input]);
          indexes.set(item.shipment_id, [...(indexes.get(item.shipment_id) ?? []), item.idx]);
        }
        const { results } = await this.events.recordFacts(
          manager,
          [...inputs.keys()].map((id) => visible.get(id)!),
          inputs,
          { by, batchId, standing: facts.filter((f) => inputs.has(f.shipment_id)) },
        );
        for (const [shipmentId, shipmentResults] of results) {
          const idx = indexes.get(shipmentId)!;
          shipmentResults.forEach((result, i) =>
            settled.push({
              idx: idx[i],
              result: result.outcome,
              reason: result.outcome === 'rejected' ? result.reason : null,
              eventId: result.outcome === 'rejected' ? null : result.event.id,
            }),
          );
        }
        await this.batches.settle(manager, batchId, settled);
      });
    }
    await this.batches.completeIfDone(batchId);
    return { shipments: shipmentIds.length };
  }

  /**
   * Queues again every part of a batch that should have finished by now. A part's job can be
   * lost with Redis's data after the outbox handed it over; applying a part twice changes
   * nothing, so re-queuing is always safe. Runs every minute (a job scheduler).
   */
  async resumeStalled(olderThanSeconds: number): Promise<{ parts: number }> {
    return this.batches.transaction(async (manager) => {
      const parts = await this.batches.stalledParts(manager, olderThanSeconds);
      const round = Math.floor(Date.now() / 60_000);
      await this.outbox.enqueueMany(
        manager,
        parts.map((p) => ({
          item: { name: 'apply-event-batch' as const, data: { batchId: p.batch_id, part: p.part } },
          jobId: `batch-${p.batch_id}-${p.part}-resumed-${round}`,
        })),
      );
      return { parts: parts.length };
    });
  }

  async get(id: string, by: Principal): Promise<EventBatchResponseDto> {
    const batch = await this.batches.find(id);
    if (!batch || (by.carrierId && batch.carrier_id !== by.carrierId)) {
      throw new DomainError('not_found', `Batch ${id} does not exist.`);
    }
    const [counts, rejections] = await Promise.all([
      this.batches.counts(id),
      this.batches.rejections(id, 1000),
    ]);
    const pending = counts.pending ?? 0;
    return {
      id,
      status: pending === 0 ? 'completed' : 'processing',
      total: batch.total,
      applied: counts.applied ?? 0,
      late: counts.late ?? 0,
      duplicate: counts.duplicate ?? 0,
      conflicting: counts.conflicting ?? 0,
      rejected: counts.rejected ?? 0,
      pending,
      submittedAt: batch.submitted_at.toISOString(),
      completedAt: batch.completed_at?.toISOString() ?? null,
      rejections: rejections.map((r) => ({ index: r.idx, reason: r.reason })),
    };
  }
}
