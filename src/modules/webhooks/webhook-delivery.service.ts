import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Agent } from 'undici';
import { OutboxService } from '../../common/queue/outbox.service';
import { Env } from '../../config/env';
import { disableReason, retryDelayMs } from './retry-schedule';
import { deliveryAgent, postMessage, type SendOutcome } from './webhook-sender';
import { messageId, signatureHeaders } from './webhook-signature';
import { targetProblem } from './webhook-target';
import type { DeliveryLane, DeliveryState } from './webhook-vocabulary';
import { type AttemptRecord, type LeasedDelivery, WebhooksRepository } from './webhooks.repository';

/** Longer than an attempt can take (address check, 10 s send), so a lease never ends mid-send. */
const LEASE_SECONDS = 60;

/** Deliveries one job sends at once: an alert storm goes out in batches, not one job each. */
const BATCH = 100;

/** The job that sends a subscription's due deliveries of one lane, now or at `runAt`. */
export function drainJob(
  subscriptionId: string,
  lane: DeliveryLane = 0,
  runAt?: Date,
  jobId?: string,
) {
  const name = lane === 0 ? ('deliver-webhooks' as const) : ('deliver-lifecycle-webhooks' as const);
  return { item: { name, data: { subscriptionId } }, runAt, jobId };
}

interface Attempt extends AttemptRecord {
  /** A lifecycle message: later ones of its key wait for it. */
  ordered: boolean;
  finishedAt: number;
  succeeded: boolean;
  state: DeliveryState;
  nextAttemptAt: Date | null;
}

export interface DrainResult {
  sent: number;
  succeeded: number;
}

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
   * Sends a subscription's due deliveries, a leased batch at a time: each POSTed (signed for
   * this attempt) at once, then all attempts recorded, the next ones scheduled (or given up, or
   * the subscription disabled) in one transaction per batch. Two workers draining the same
   * subscription share the work: a leased delivery is not theirs. A batch holds a
   * subscription's alerts first, and at most one message per shipment or request (the lease
   * decides both), so sending a batch at once never reorders a shipment's messages.
   */
  async deliverDue(subscriptionId: string, lane: DeliveryLane = 0): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, succeeded: 0 };
    for (;;) {
      const leased = await this.webhooks.leaseDue(subscriptionId, lane, BATCH, LEASE_SECONDS);
      if (leased.length === 0) return result;
      if (!leased[0].deliverable) {
        // Disabled or deleted after these were created, in a transaction that did not see them.
        await this.webhooks.transaction((manager) =>
          this.webhooks.failPending(manager, subscriptionId, 'The subscription is disabled.'),
        );
        return result;
      }
      const refused = await targetProblem(leased[0].url, this.env.WEBHOOK_ALLOW_PRIVATE_TARGETS);
      const attempts = await Promise.all(leased.map((d) => this.attempt(d, refused)));
      await this.settle(subscriptionId, lane, attempts);
      result.sent += attempts.length;
      result.succeeded += attempts.filter((a) => a.succeeded).length;
      // A lifecycle message sent (or given up) lets the next of its shipment or request go.
      const freed = attempts.some((a) => a.ordered && a.state !== 'pending');
      if (leased.length < BATCH && !freed) return result;
    }
  }

  private async attempt(leased: LeasedDelivery, refused: string | undefined): Promise<Attempt> {
    const attempt = leased.attempts + 1;
    const startedAt = new Date();
    const sent: SendOutcome = refused
      ? { statusCode: null, error: `url ${refused}`, responseExcerpt: null }
      : await this.send(leased, startedAt);
    const finishedAt = Date.now();
    const succeeded = sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
    const delay = succeeded ? undefined : retryDelayMs(attempt, this.env.WEBHOOK_RETRY_SCALE);
    const nextAttemptAt = delay === undefined ? null : new Date(finishedAt + delay);
    return {
      deliveryId: leased.id,
      ordered: leased.ordering_key !== null,
      attempt,
      startedAt,
      durationMs: finishedAt - startedAt.getTime(),
      finishedAt,
      ...sent,
      succeeded,
      state: succeeded ? 'succeeded' : nextAttemptAt ? 'pending' : 'failed',
      nextAttemptAt,
    };
  }

  /** Records a batch of attempts and what follows from them, in one transaction. */
  private async settle(
    subscriptionId: string,
    lane: DeliveryLane,
    attempts: Attempt[],
  ): Promise<void> {
    await this.webhooks.transaction(async (manager) => {
      const mine = await this.webhooks.settleAttempts(
        manager,
        attempts.map((a) => ({ ...a, id: a.deliveryId })),
      );
      const settled = attempts.filter((a) => mine.has(a.deliveryId));
      if (settled.length === 0) return;
      await this.webhooks.insertAttempts(manager, settled);
      // The run of failures, in the order the attempts ended: a success ends it.
      const ordered = [...settled].sort((a, b) => a.finishedAt - b.finishedAt);
      const lastSuccess = ordered.map((a) => a.succeeded).lastIndexOf(true);
      const trailing = ordered.slice(lastSuccess + 1);
      const run = await this.webhooks.recordRun(manager, subscriptionId, {
        succeeded: lastSuccess >= 0,
        failures: trailing.length,
        firstFailureAt: trailing[0]?.startedAt ?? null,
      });
      const gone = settled.find((a) => a.statusCode === 410);
      const reason =
        run &&
        disableReason({
          statusCode: gone ? 410 : (trailing[trailing.length - 1]?.statusCode ?? null),
          consecutiveFailures: run.consecutive_failures,
          failingSince: run.failing_since,
          now: new Date(),
          scale: this.env.WEBHOOK_RETRY_SCALE,
        });
      if (reason) {
        this.logger.warn(`Webhook ${subscriptionId} disabled: ${reason}`);
        await this.webhooks.disable(manager, subscriptionId, reason);
        await this.webhooks.failPending(manager, subscriptionId, reason);
        return;
      }
      // Each retry wakes a drain at its own (jittered) instant; its id is its attempt's.
      await this.outbox.enqueueMany(
        manager,
        settled
          .filter((a) => a.state === 'pending' && a.nextAttemptAt)
          .map((a) =>
            drainJob(
              subscriptionId,
              lane,
              a.nextAttemptAt!,
              `webhook-${a.deliveryId}-${a.attempt + 1}`,
            ),
          ),
      );
    });
  }

  /**
   * Queues a drain for every subscription with deliveries overdue and unclaimed: their jobs
   * were lost with Redis's data. A drain that finds nothing due does nothing.
   */
  async resumeOverdue(overdueSeconds: number): Promise<{ subscriptions: number }> {
    return this.webhooks.transaction(async (manager) => {
      const subscriptions = await this.webhooks.overdueSubscriptions(manager, overdueSeconds);
      await this.outbox.enqueueMany(
        manager,
        subscriptions.map((s) => drainJob(s.subscription_id, s.lane)),
      );
      return { subscriptions: subscriptions.length };
    });
  }

  private async send(leased: LeasedDelivery, at: Date): Promise<SendOutcome> {
    const body = leased.payload;
    const headers = signatureHeaders(leased.secret, messageId(leased.id), at, body);
    return postMessage(leased.url, headers, body, this.agent);
  }
}
