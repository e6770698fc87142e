import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { assertIfMatch } from '../../common/http/etag';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import { OutboxService } from '../../common/queue/outbox.service';
import { Env } from '../../config/env';
import type { Principal } from '../auth/principal';
import type { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto';
import { drainJob } from './webhook-delivery.service';
import { generateSecret } from './webhook-signature';
import { targetProblem } from './webhook-target';
import { deliveryPriority, type DeliveryState, WEBHOOK_TEST_EVENT } from './webhook-vocabulary';
import {
  type AttemptRow,
  type DeliveryRow,
  type NewMessage,
  type SubscriptionRow,
  WebhooksRepository,
} from './webhooks.repository';

/** A message for subscribers, as the alerts and lifecycle code raise it. */
export interface WebhookMessage {
  /** `alert.sla_breach`, ... : only subscriptions that asked for it receive it. */
  type: string;
  /** The alert behind it: a subscription gets one message per alert and type, however often sent. */
  alertId: string | null;
  timestamp: Date;
  data: object;
  /**
   * Lifecycle messages: the shipment's (or request's) id. A subscription receives the messages
   * of one key in the order they were created, the next waiting while one is retried.
   */
  orderingKey?: string;
  /** Lifecycle messages: the cause (a fact, a request); one message per subscription, type and cause. */
  messageKey?: string;
}

/** The body every attempt of a delivery sends, fixed when the delivery is created. */
function frozen(message: WebhookMessage): NewMessage {
  return {
    type: message.type,
    alertId: message.alertId,
    orderingKey: message.orderingKey ?? null,
    messageKey: message.messageKey ?? null,
    priority: deliveryPriority(message.type),
    payload: JSON.stringify({
      type: message.type,
      timestamp: message.timestamp.toISOString(),
      data: message.data,
    }),
  };
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly outbox: OutboxService,
    private readonly env: Env,
  ) {}

  /**
   * Queues `messages` for every active subscription that asked for their type, inside the
   * caller's transaction: the deliveries exist exactly when what raised them was committed.
   * Messages of one ordering key are delivered in the order given here.
   */
  async publish(manager: EntityManager, messages: WebhookMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const created = await this.webhooks.insertForSubscribers(manager, messages.map(frozen));
    // One drain per subscription and lane sends the lot, however many messages.
    const lanes = new Map(created.map((d) => [`${d.subscription_id}/${d.priority}`, d]));
    await this.outbox.enqueueMany(
      manager,
      [...lanes.values()].map((d) => drainJob(d.subscription_id, d.priority)),
    );
  }

  /** Which of `types` an active subscription asks for: nothing to build for the others. */
  subscribedTypes(manager: EntityManager, types: readonly string[]): Promise<Set<string>> {
    return this.webhooks.subscribedTypes(manager, types);
  }

  async create(dto: CreateWebhookDto, by: Principal): Promise<SubscriptionRow> {
    await this.assertTarget(dto.url);
    return this.webhooks.insertSubscription(
      {
        url: dto.url,
        events: dto.events,
        secret: dto.secret ?? generateSecret(),
        description: dto.description ?? null,
      },
      by.keyId,
    );
  }

  async get(id: string): Promise<SubscriptionRow> {
    const subscription = await this.webhooks.findSubscription(id);
    if (!subscription) throw new DomainError('not_found', `Webhook ${id} does not exist.`);
    return subscription;
  }

  async list(limit: number, cursor?: string): Promise<Page<SubscriptionRow>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.webhooks.listSubscriptions(
      limit + 1,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.created_at.toISOString(), r.id],
    );
  }

  /**
   * Changes a subscription; If-Match must carry the version last read. `active: true` turns a
   * disabled one back on with a clean slate; `active: false` gives up its pending deliveries.
   */
  async update(
    id: string,
    dto: UpdateWebhookDto,
    ifMatch: string | undefined,
    by: Principal,
  ): Promise<SubscriptionRow> {
    const current = await this.get(id);
    assertIfMatch(ifMatch, current.version);
    if (dto.url !== undefined) await this.assertTarget(dto.url);
    const offReason = `Disabled by ${by.keyId}.`;
    const updated = await this.webhooks.transaction(async (manager) => {
      const row = await this.webhooks.updateSubscription(
        manager,
        id,
        current.version,
        dto,
        offReason,
        by.keyId,
      );
      if (row && !row.active) await this.webhooks.failPending(manager, id, offReason);
      return row;
    });
    if (!updated) {
      // Changed between our read and our write: as stale as a wrong If-Match.
      throw new DomainError(
        'precondition_failed',
        `Webhook ${id} changed meanwhile: read it again.`,
      );
    }
    return updated;
  }

  /** Deletes a subscription: it receives nothing more, and its pending deliveries are given up. */
  async remove(id: string, by: Principal): Promise<void> {
    await this.webhooks.transaction(async (manager) => {
      if (!(await this.webhooks.deleteSubscription(manager, id, by.keyId))) {
        throw new DomainError('not_found', `Webhook ${id} does not exist.`);
      }
      await this.webhooks.failPending(manager, id, 'The subscription was deleted.');
    });
  }

  /** Queues a `webhook.test` message to one subscription, whatever events it asked for. */
  async sendTest(id: string): Promise<DeliveryRow> {
    return this.webhooks.transaction(async (manager) => {
      const subscription = await this.webhooks.findSubscription(id, manager);
      if (!subscription) throw new DomainError('not_found', `Webhook ${id} does not exist.`);
      if (!subscription.active) {
        throw new DomainError(
          'conflict',
          `Webhook ${id} is disabled (${subscription.disabled_reason ?? 'no reason given'}): PATCH it with active true first.`,
        );
      }
      const delivery = await this.webhooks.insertDelivery(
        manager,
        id,
        frozen({
          type: WEBHOOK_TEST_EVENT,
          alertId: null,
          timestamp: new Date(),
          data: { subscriptionId: id, message: 'Lifeline test' },
        }),
      );
      await this.outbox.enqueueMany(manager, [drainJob(id)]);
      return delivery;
    });
  }

  async deliveries(
    subscriptionId: string,
    limit: number,
    state?: DeliveryState,
    cursor?: string,
  ): Promise<Page<DeliveryRow>> {
    await this.get(subscriptionId);
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.webhooks.listDeliveries(
      subscriptionId,
      limit + 1,
      state,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.created_at.toISOString(), r.id],
    );
  }

  async delivery(
    subscriptionId: string,
    id: string,
  ): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] }> {
    await this.get(subscriptionId);
    const delivery = await this.webhooks.findDelivery(subscriptionId, id);
    if (!delivery) throw new DomainError('not_found', `Delivery ${id} does not exist.`);
    return { delivery, attempts: await this.webhooks.attempts(id) };
  }

  private async assertTarget(url: string): Promise<void> {
    const problem = await targetProblem(url, this.env.WEBHOOK_ALLOW_PRIVATE_TARGETS);
    if (problem) throw fieldError('url', problem);
  }
}
