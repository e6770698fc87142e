import { Injectable } from '@nestjs/common';
import { sameInstant } from '../../common/clock';
import {
  DomainEvents,
  OnDomainEvent,
  type RequestsChanged,
  type ShipmentState,
  type ShipmentsChanged,
} from '../../common/events/domain-events';
import {
  FulfilmentRepository,
  type LineDelta,
  type RequestDispatch,
} from './fulfilment.repository';

/** What one shipment item adds to its order line in a given state. */
export function contribution(state: ShipmentState, quantity: number, arrived: number) {
  const live = state.status !== 'cancelled';
  return {
    shipped: live ? quantity : 0,
    dispatched: live && state.dispatchedAt ? quantity : 0,
    delivered: state.status === 'delivered' ? arrived : 0,
  };
}

/**
 * Rolls what shipments carry up into order lines, request lines, orders and requests, in the
 * transaction of the change: by difference when shipments' facts change, from scratch when
 * orders or a request's workflow change. Then announces the requests it touched, and those
 * that became fulfilled.
 */
@Injectable()
export class FulfilmentService {
  constructor(
    private readonly fulfilment: FulfilmentRepository,
    private readonly events: DomainEvents,
  ) {}

  /** Orders or a request's workflow changed: recompute before the clocks read it. */
  @OnDomainEvent('requests.changed', 0)
  async onRequestsChanged({ manager, requestIds, rollUp }: RequestsChanged): Promise<void> {
    if (!rollUp) return;
    const { fulfilled } = await this.fulfilment.rollup(manager, requestIds);
    if (fulfilled.length > 0)
      await this.events.emit('requests.fulfilled', { manager, requestIds: fulfilled });
  }

  /**
   * Shipments moved (dispatched, delivered, cancelled, or a voided fact took that back): what
   * each of their items contributes, before and after, rolls up as a difference.
   */
  @OnDomainEvent('shipments.changed', 20)
  async onShipmentsChanged({ manager, changes }: ShipmentsChanged): Promise<void> {
    const moved = new Map(
      changes
        .filter(
          ({ before, after }) =>
            !sameInstant(before.dispatchedAt, after.dispatchedAt) ||
            (before.status === 'delivered') !== (after.status === 'delivered') ||
            (before.status === 'cancelled') !== (after.status === 'cancelled'),
        )
        .map((c) => [c.shipment.id, c]),
    );
    if (moved.size === 0) return;
    // Proofs of delivery are stored by now: what arrived is what the items say.
    const items = await this.fulfilment.lockRequestsOfItems(manager, [...moved.keys()]);
    const deltas = new Map<string, LineDelta>();
    const requests = new Map<string, RequestDispatch>();
    for (const item of items) {
      const { before, after } = moved.get(item.shipment_id)!;
      const arrived =
        item.received_good === null ? item.quantity : item.received_good + (item.damaged ?? 0);
      const was = contribution(before, item.quantity, arrived);
      const is = contribution(after, item.quantity, arrived);
      const delta = deltas.get(item.order_line_id) ?? {
        orderLineId: item.order_line_id,
        shipped: 0,
        dispatched: 0,
        delivered: 0,
      };
      delta.shipped += is.shipped - was.shipped;
      delta.dispatched += is.dispatched - was.dispatched;
      delta.delivered += is.delivered - was.delivered;
      deltas.set(item.order_line_id, delta);

      const request = requests.get(item.request_id) ?? {
        requestId: item.request_id,
        earliestDispatch: null,
        recomputeDispatch: false,
      };
      const leftAt = after.status === 'cancelled' ? null : after.dispatchedAt;
      if (leftAt && (!request.earliestDispatch || leftAt < request.earliestDispatch))
        request.earliestDispatch = leftAt;
      const leftBefore = before.status === 'cancelled' ? null : before.dispatchedAt;
      if (leftBefore && (!leftAt || leftAt.getTime() > leftBefore.getTime()))
        request.recomputeDispatch = true;
      requests.set(item.request_id, request);
    }
    const { fulfilled } = await this.fulfilment.applyShipmentDeltas(
      manager,
      [...deltas.values()],
      [...requests.values()],
    );
    await this.events.emit('requests.changed', {
      manager,
      requestIds: [...requests.keys()],
      rollUp: false,
    });
    if (fulfilled.length > 0)
      await this.events.emit('requests.fulfilled', { manager, requestIds: fulfilled });
  }
}
