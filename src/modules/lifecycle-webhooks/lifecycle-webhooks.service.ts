import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import {
  OnDomainEvent,
  type RequestsMoved,
  type ShipmentsChanged,
} from '../../common/events/domain-events';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  approvedMessage,
  fulfilledMessage,
  type RequestSnapshot,
  shipmentMessages,
  statusSteps,
} from './lifecycle-messages';
import { LifecycleWebhooksRepository } from './lifecycle-webhooks.repository';

const SHIPMENT_TYPES = ['shipment.status_changed', 'shipment.delivered'];

/**
 * Tells webhook subscribers what happens to the goods: shipments' status changes and
 * deliveries, requests approved and fulfilled. Decided in the transaction of the change, their
 * bodies frozen there; sent, signed and retried by the webhook deliveries as alerts are, each
 * shipment's (or request's) in order, after the subscription's alerts.
 */
@Injectable()
export class LifecycleWebhooksService {
  constructor(
    private readonly lifecycle: LifecycleWebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly clock: Clock,
  ) {}

  @OnDomainEvent('shipments.changed')
  async onShipmentsChanged(event: ShipmentsChanged): Promise<void> {
    const { manager, changes, facts } = event;
    const moved = changes.filter((c) => statusSteps(c, facts).length > 0);
    if (moved.length === 0) return;
    // A carrier feed with nobody following it costs one cheap statement per transaction.
    const wanted = await this.webhooks.subscribedTypes(manager, SHIPMENT_TYPES);
    if (wanted.size === 0) return;
    const ids = moved.map((c) => c.shipment.id);
    const delivered = moved
      .filter((c) => c.after.status === 'delivered' && wanted.has('shipment.delivered'))
      .map((c) => c.shipment.id);
    const messages = shipmentMessages(
      { ...event, changes: moved },
      await this.lifecycle.shipmentContexts(manager, ids),
      await this.lifecycle.shipmentItems(manager, delivered),
      this.clock.now(),
    );
    await this.webhooks.publish(
      manager,
      messages.filter((m) => wanted.has(m.type)),
    );
  }

  @OnDomainEvent('requests.approved')
  async onRequestsApproved({ manager, requestIds }: RequestsMoved): Promise<void> {
    await this.publishRequests(manager, 'request.approved', requestIds, approvedMessage);
  }

  @OnDomainEvent('requests.fulfilled')
  async onRequestsFulfilled({ manager, requestIds }: RequestsMoved): Promise<void> {
    await this.publishRequests(manager, 'request.fulfilled', requestIds, fulfilledMessage);
  }

  private async publishRequests(
    manager: EntityManager,
    type: string,
    requestIds: string[],
    message: typeof approvedMessage,
  ): Promise<void> {
    if (requestIds.length === 0) return;
    if ((await this.webhooks.subscribedTypes(manager, [type])).size === 0) return;
    const now = this.clock.now();
    const requests: RequestSnapshot[] = await this.lifecycle.requests(manager, requestIds);
    await this.webhooks.publish(
      manager,
      requests.map((r) => message(r, now)),
    );
  }
}
