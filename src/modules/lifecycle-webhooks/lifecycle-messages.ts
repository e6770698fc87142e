import type {
  RecordedFact,
  ShipmentChange,
  ShipmentsChanged,
} from '../../common/events/domain-events';
import type { WebhookMessage } from '../webhooks/webhooks.service';

/** One status a shipment left for another. */
export interface StatusStep {
  previousStatus: string;
  status: string;
  /** The applied fact that moved it; null when a fact was voided and the status went back. */
  fact: RecordedFact | null;
}

/**
 * A shipment's status changes in one change, in the order they applied: each applied fact
 * whose status differs from the one before it (a repeated status is a tracking update, not a
 * change), then, if the shipment does not stand where the last of them left it, the step to
 * where it stands (a voided fact took a status back).
 */
export function statusSteps(change: ShipmentChange, facts: RecordedFact[]): StatusStep[] {
  const applied = facts
    .filter((f) => f.shipment.id === change.shipment.id && f.outcome === 'applied')
    .sort((a, b) => a.sequence - b.sequence);
  const steps: StatusStep[] = [];
  let current = change.before.status;
  for (const fact of applied) {
    if (fact.status === current) continue;
    steps.push({ previousStatus: current, status: fact.status, fact });
    current = fact.status;
  }
  if (current !== change.after.status) {
    steps.push({ previousStatus: current, status: change.after.status, fact: null });
  }
  return steps;
}

/** What a receiver learns of a shipment beside its change, read in the same transaction. */
export interface ShipmentContext {
  trackingReference: string;
  origin: string;
  destination: string;
  carrier: { id: string; code: string; name: string };
  /** The requests whose goods it carries. */
  requests: { id: string; reference: string }[];
}

/** A shipment item, for the lines of a proof of delivery. */
export interface ShippedItem {
  id: string;
  itemCode: string;
  itemName: string;
  quantity: number;
  lot: string;
}

export type ShipmentChanges = Pick<
  ShipmentsChanged,
  'changes' | 'facts' | 'proofs' | 'voidedFactIds'
>;

/**
 * The lifecycle messages of a shipments.changed event, each shipment's in the order its
 * statuses changed: `shipment.status_changed` per step, and `shipment.delivered` (with the
 * proof, when one was recorded) after the step to delivered. `now` dates a step without a fact.
 */
export function shipmentMessages(
  event: ShipmentChanges,
  contexts: Map<string, ShipmentContext>,
  items: Map<string, ShippedItem>,
  now: Date,
): WebhookMessage[] {
  const proofs = new Map(event.proofs.map((p) => [p.factId, p]));
  const messages: WebhookMessage[] = [];
  for (const change of event.changes) {
    const s = change.shipment;
    const context = contexts.get(s.id);
    const shipment = {
      shipmentId: s.id,
      reference: s.reference,
      trackingReference: context?.trackingReference ?? null,
      mode: s.mode,
      origin: context?.origin ?? null,
      destination: context?.destination ?? null,
      destinationCountry: s.country,
      carrier: context?.carrier ?? { id: s.carrierId },
      requests: context?.requests ?? [],
    };
    for (const step of statusSteps(change, event.facts)) {
      const { fact } = step;
      messages.push({
        type: 'shipment.status_changed',
        alertId: null,
        timestamp: fact?.occurredAt ?? now,
        orderingKey: s.id,
        messageKey: fact ? fact.id : `voided:${[...event.voidedFactIds].sort().join(',')}`,
        data: {
          ...shipment,
          previousStatus: step.previousStatus,
          status: step.status,
          cause: fact ? 'event' : 'event_voided',
          eventId: fact?.id ?? null,
          voidedEventIds: fact ? [] : event.voidedFactIds,
          occurredAt: fact?.occurredAt.toISOString() ?? null,
          location: fact?.location ?? null,
          exceptionReason: fact?.exceptionReason ?? null,
        },
      });
      if (!fact || fact.status !== 'delivered') continue;
      const proof = proofs.get(fact.id);
      messages.push({
        type: 'shipment.delivered',
        alertId: null,
        timestamp: fact.occurredAt,
        orderingKey: s.id,
        messageKey: fact.id,
        data: {
          ...shipment,
          eventId: fact.id,
          deliveredAt: fact.occurredAt.toISOString(),
          location: fact.location,
          proofOfDelivery: proof
            ? {
                receivedBy: proof.receivedBy,
                lines: proof.lines.map((line) => {
                  const item = items.get(line.shipmentItemId);
                  return {
                    shipmentItemId: line.shipmentItemId,
                    itemCode: item?.itemCode ?? null,
                    itemName: item?.itemName ?? null,
                    lot: item?.lot ?? null,
                    quantity: item?.quantity ?? line.receivedGood + line.damaged + line.missing,
                    receivedGood: line.receivedGood,
                    damaged: line.damaged,
                    missing: line.missing,
                  };
                }),
              }
            : null,
        },
      });
    }
  }
  return messages;
}

/** A request as lifecycle messages show it, read in the transaction that moved it. */
export interface RequestSnapshot {
  id: string;
  reference: string;
  recipientCountry: string;
  organisation: string;
  destination: string;
  priority: string;
  kind: string;
  status: string;
  receivedAt: Date;
  neededBy: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  firstDispatchAt: Date | null;
  deliveredAt: Date | null;
  lines: {
    lineNo: number;
    itemCode: string;
    itemName: string;
    quantity: number;
    dispatched: number;
    delivered: number;
  }[];
}

function requestData(r: RequestSnapshot) {
  return {
    requestId: r.id,
    reference: r.reference,
    recipientCountry: r.recipientCountry,
    organisation: r.organisation,
    destination: r.destination,
    priority: r.priority,
    kind: r.kind,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    neededBy: r.neededBy?.toISOString() ?? null,
  };
}

/** `request.approved`: who approved it, when, and what was asked. Once per request. */
export function approvedMessage(r: RequestSnapshot, now: Date): WebhookMessage {
  return {
    type: 'request.approved',
    alertId: null,
    timestamp: r.decidedAt ?? now,
    orderingKey: r.id,
    messageKey: r.id,
    data: {
      ...requestData(r),
      approvedAt: (r.decidedAt ?? now).toISOString(),
      approvedBy: r.decidedBy,
      lines: r.lines.map((l) => ({
        lineNo: l.lineNo,
        itemCode: l.itemCode,
        itemName: l.itemName,
        quantity: l.quantity,
      })),
    },
  };
}

/** `request.fulfilled`: every line delivered, and when. Once per request. */
export function fulfilledMessage(r: RequestSnapshot, now: Date): WebhookMessage {
  return {
    type: 'request.fulfilled',
    alertId: null,
    timestamp: r.deliveredAt ?? now,
    orderingKey: r.id,
    messageKey: r.id,
    data: {
      ...requestData(r),
      firstDispatchAt: r.firstDispatchAt?.toISOString() ?? null,
      deliveredAt: (r.deliveredAt ?? now).toISOString(),
      lines: r.lines,
    },
  };
}
