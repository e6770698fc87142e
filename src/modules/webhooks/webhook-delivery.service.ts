import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Agent } from 'undici';
import { OutboxService } from '../../common/queue/outbox.service';
import { Env } from '../../config/env';
import { disableReason, retryDelayMs } from './retry-schedule';
import { deliveryAgent, postMessage, type SendOutcome } from './webhook-sender';
import { messageId, signatureHeaders } from './webhook-signature';
import { targetProblem } from './webhook-target';
import { type LeasedDelivery, WebhooksRepository } from './webhooks.repository';

/** Longer than an attempt can take (address check, 10 s send), so a lease never ends mid-send. */
const LEASE_SECONDS = 60;

/** Deliveries one sweep queues again at most; the next sweep takes the rest. */
const RESUME_BATCH = 5_000;

/** The job of one attempt. Each attempt has its own id: BullMQ skips an id it still holds. */
export function deliveryJob(deliveryId: string, attempt: number, runAt?: Date) {
  return {
    item: { name: 'deliver-webhook' as const, data: { deliveryId } },
    jobId: `webhook-${deliveryId}-${attempt}`,
    runAt,
  };
}

export type DeliveryResult =
  | { outcome: 'skipped' }
  | { outcome: 'succeeded' | 'retrying' | 'failed'; attempt: number; statusCode: number | null };

@Injectable()
export class WebhookDeliveryService implements OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly agent: Agent;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly outbox: OutboxService,
    private readonly env: Env,
  ) {
    this.agent = deliveryAgent(env.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Makes one attempt at a delivery: leases it, checks the target's addresses, POSTs the frozen
   * body signed for this attempt, then records the attempt and schedules the next (or gives up,
   * or disables the subscription) in one transaction.
   */
  async deliver(deliveryId: string): Promise<DeliveryResult> {
    const leased = await this.webhooks.lease(deliveryId, LEASE_SECONDS);
    if (!leased) return { outcome: 'skipped' };
    if (!leased.deliverable) {
      // Disabled or deleted after this delivery was created, in a transaction that did not see it.
      await this.webhooks.transaction((manager) =>
        this.webhooks.failPending(manager, leased.subscription_id, 'The subscription is disabled.'),
      );
      return { outcome: 'skipped' };
    }
    const attempt = leased.attempts + 1;
    const startedAt = new Date();
    const sent = await this.send(leased, startedAt);
    const durationMs = Date.now() - startedAt.getTime();
    const succeeded = sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
    const delay = succeeded ? undefined : retryDelayMs(attempt, this.env.WEBHOOK_RETRY_SCALE);
    const nextAttemptAt = delay === undefined ? null : new Date(Date.now() + delay);
    const state = succeeded ? 'succeeded' : nextAttemptAt ? 'pending' : 'failed';

    const settled = await this.webhooks.transaction(async (manager) => {
      const mine = await this.webhooks.settleAttempt(manager, leased.id, attempt, {
        state,
        statusCode: sent.statusCode,
        error: sent.error,
        nextAttemptAt,
      });
      if (!mine) return false;
      await this.webhooks.insertAttempt(manager, {
        deliveryId: leased.id,
        attempt,
        startedAt,
        durationMs,
        ...sent,
      });
      if (succeeded) {
        await this.webhooks.recordSuccess(manager, leased.subscription_id);
        return true;
      }
      const run = await this.webhooks.recordFailure(manager, leased.subscription_id, startedAt);
      const reason =
        run &&
        disableReason({
          statusCode: sent.statusCode,
          consecutiveFailures: run.consecutive_failures,
          failingSince: run.failing_since,
          now: new Date(),
          scale: this.env.WEBHOOK_RETRY_SCALE,
        });
      if (reason) {
        this.logger.warn(`Webhook ${leased.subscription_id} disabled: ${reason}`);
        await this.webhooks.disable(manager, leased.subscription_id, reason);
        await this.webhooks.failPending(manager, leased.subscription_id, reason);
      } else if (nextAttemptAt) {
        await this.outbox.enqueueMany(manager, [
          deliveryJob(leased.id, attempt + 1, nextAttemptAt),
        ]);
      }
      return true;
    });
    if (!settled) return { outcome: 'skipped' };
    return {
      outcome: succeeded ? 'succeeded' : state === 'pending' ? 'retrying' : 'failed',
      attempt,
      statusCode: sent.statusCode,
    };
  }

  /**
   * Queues again the deliveries whose attempt is overdue and unclaimed: their job was lost with
   * Redis's data. The job id changes only when the delivery was claimed since the last revival,
   * so a slow queue is not flooded with copies of jobs that merely wait their turn.
   */
  async resumeOverdue(overdueSeconds: number): Promise<{ deliveries: number }> {
    return this.webhooks.transaction(async (manager) => {
      const overdue = await this.webhooks.overdue(manager, overdueSeconds, RESUME_BATCH);
      await this.outbox.enqueueMany(
        manager,
        overdue.map((d) => ({
          item: { name: 'deliver-webhook' as const, data: { deliveryId: d.id } },
          jobId: `webhook-${d.id}-${d.attempts + 1}-resumed-${d.lease_until?.getTime() ?? 0}`,
        })),
      );
      return { deliveries: overdue.length };
    });
  }

  private async send(leased: LeasedDelivery, at: Date): Promise<SendOutcome> {
    const refused = await targetProblem(leased.url, this.env.WEBHOOK_ALLOW_PRIVATE_TARGETS);
    if (refused) return { statusCode: null, error: `url ${refused}`, responseExcerpt: null };
    const { type, timestamp, data } = leased.payload;
    // PostgreSQL's jsonb reorders keys; the body keeps the documented order, the same each time.
    const body = JSON.stringify({ type, timestamp, data });
    const headers = signatureHeaders(leased.secret, messageId(leased.id), at, body);
    return postMessage(leased.url, headers, body, this.agent);
  }
}
