import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import type { DeliveryState } from './webhook-vocabulary';

export interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  secret: string;
  description: string | null;
  active: boolean;
  disabled_at: Date | null;
  disabled_reason: string | null;
  consecutive_failures: number;
  failing_since: Date | null;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface SubscriptionPatch {
  url?: string;
  events?: string[];
  description?: string;
  active?: boolean;
}

/** One message to subscribers: its type, the alert behind it (for deduplication), its body. */
export interface NewMessage {
  type: string;
  alertId: string | null;
  /** The JSON body, frozen: every attempt sends exactly this. */
  payload: string;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  alert_id: string | null;
  type: string;
  payload: { type: string; timestamp: string; data: object };
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export interface AttemptRow {
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** A delivery leased for one attempt, with where and how to send it. */
export interface LeasedDelivery {
  id: string;
  subscription_id: string;
  payload: DeliveryRow['payload'];
  /** Attempts made before this one. */
  attempts: number;
  url: string;
  secret: string;
  /** False once the subscription was disabled or deleted. */
  deliverable: boolean;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

const SUBSCRIPTION_COLUMNS = `id, url, events, secret, description, active, disabled_at, disabled_reason,
  consecutive_failures, failing_since, version, created_at, created_by, updated_at, updated_by`;
const DELIVERY_COLUMNS = `id, subscription_id, alert_id, type, payload, state, attempts, next_attempt_at,
  last_status, last_error, created_at, delivered_at`;

@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insertSubscription(
    s: Pick<SubscriptionRow, 'url' | 'events' | 'secret' | 'description'>,
    by: string,
  ): Promise<SubscriptionRow> {
    const rows: SubscriptionRow[] = await this.dataSource.query(
      `INSERT INTO webhook_subscriptions (url, events, secret, description, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.url, s.events, s.secret, s.description, by],
    );
    return rows[0];
  }

  /** A subscription that was not deleted. */
  async findSubscription(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SubscriptionRow | undefined> {
    const rows: SubscriptionRow[] = await manager.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0];
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  listSubscriptions(
    limit: number,
    after?: { createdAt: string; id: string },
  ): Promise<SubscriptionRow[]> {
    return this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
        WHERE deleted_at IS NULL
          AND ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  /**
   * Updates the subscription if it is still at `version`; undefined if it changed meanwhile.
   * Turning it on clears why it was off and its failure run; turning it off records `offReason`.
   */
  async updateSubscription(
    manager: EntityManager,
    id: string,
    version: number,
    patch: SubscriptionPatch,
    offReason: string,
    by: string,
  ): Promise<SubscriptionRow | undefined> {
    const rows = await returning<SubscriptionRow>(
      manager,
      `UPDATE webhook_subscriptions SET
         url = coalesce($2, url), events = coalesce($3, events),
         description = coalesce($4, description), active = coalesce($5, active),
         disabled_at = CASE WHEN $5 THEN NULL WHEN NOT $5 THEN coalesce(disabled_at, now()) ELSE disabled_at END,
         disabled_reason = CASE WHEN $5 THEN NULL WHEN NOT $5 THEN coalesce(disabled_reason, $6) ELSE disabled_reason END,
         consecutive_failures = CASE WHEN $5 THEN 0 ELSE consecutive_failures END,
         failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END,
         updated_at = date_trunc('milliseconds', now()), updated_by = $7, version = version + 1
       WHERE id = $1 AND version = $8 AND deleted_at IS NULL RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [
        id,
        patch.url ?? null,
        patch.events ?? null,
        patch.description ?? null,
        patch.active ?? null,
        offReason,
        by,
        version,
      ],
    );
    return rows[0];
  }

  /** Soft-deletes a subscription; false when it does not exist or is already deleted. */
  async deleteSubscription(manager: EntityManager, id: string, by: string): Promise<boolean> {
    const rows = await returning(
      manager,
      `UPDATE webhook_subscriptions SET deleted_at = now(), active = false,
         updated_at = date_trunc('milliseconds', now()), updated_by = $2, version = version + 1
       WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id, by],
    );
    return rows.length > 0;
  }

  /**
   * One delivery per message and active subscription that asked for its type, in one statement
   * however many messages an alert storm brings. A message already delivered to a subscription
   * for the same alert is skipped. Returns the new deliveries' ids.
   */
  async insertForSubscribers(manager: EntityManager, messages: NewMessage[]): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO webhook_deliveries (subscription_id, alert_id, type, payload, next_attempt_at)
       SELECT s.id, m.alert_id, m.type, m.payload, now()
         FROM unnest($1::text[], $2::uuid[], $3::jsonb[]) AS m(type, alert_id, payload)
         JOIN webhook_subscriptions s ON m.type = ANY (s.events)
        WHERE s.active AND s.deleted_at IS NULL
       ON CONFLICT (subscription_id, alert_id, type) DO NOTHING
       RETURNING id`,
      [messages.map((m) => m.type), messages.map((m) => m.alertId), messages.map((m) => m.payload)],
    );
    return rows.map((r) => r.id);
  }

  /** One delivery to one subscription, whatever events it asked for (the test message). */
  async insertDelivery(
    manager: EntityManager,
    subscriptionId: string,
    message: NewMessage,
  ): Promise<DeliveryRow> {
    const rows: DeliveryRow[] = await manager.query(
      `INSERT INTO webhook_deliveries (subscription_id, alert_id, type, payload, next_attempt_at)
       VALUES ($1, $2, $3, $4, now()) RETURNING ${DELIVERY_COLUMNS}`,
      [subscriptionId, message.alertId, message.type, message.payload],
    );
    return rows[0];
  }

  async findDelivery(subscriptionId: string, id: string): Promise<DeliveryRow | undefined> {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2`,
      [id, subscriptionId],
    );
    return rows[0];
  }

  /** A subscription's deliveries, newest first, keyset-paginated on (created_at, id). */
  listDeliveries(
    subscriptionId: string,
    limit: number,
    state?: DeliveryState,
    after?: { createdAt: string; id: string },
  ): Promise<DeliveryRow[]> {
    return this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE subscription_id = $1 AND ($2::text IS NULL OR state = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [subscriptionId, state ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  attempts(deliveryId: string): Promise<AttemptRow[]> {
    return this.dataSource.query(
      `SELECT attempt, started_at, duration_ms, status_code, error, response_excerpt
         FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
  }

  /**
   * Claims a due, pending delivery for one attempt until the lease ends, so two workers never
   * send it at once and no connection is held while the receiver answers. Undefined when it is
   * settled, leased by another worker, or not due yet (a stray duplicate job).
   */
  async lease(deliveryId: string, leaseSeconds: number): Promise<LeasedDelivery | undefined> {
    const rows = await returning<LeasedDelivery>(
      this.dataSource,
      `UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $2)
         FROM webhook_subscriptions s
        WHERE d.id = $1 AND s.id = d.subscription_id AND d.state = 'pending'
          AND (d.lease_until IS NULL OR d.lease_until < now())
          -- A second of slack for the clocks of BullMQ's delay and PostgreSQL.
          AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now() + interval '1 second')
       RETURNING d.id, d.subscription_id, d.payload, d.attempts, s.url, s.secret,
                 s.active AND s.deleted_at IS NULL AS deliverable`,
      [deliveryId, leaseSeconds],
    );
    return rows[0];
  }

  async insertAttempt(manager: EntityManager, a: AttemptRecord): Promise<void> {
    await manager.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        a.deliveryId,
        a.attempt,
        a.startedAt,
        a.durationMs,
        a.statusCode,
        a.error,
        a.responseExcerpt,
      ],
    );
  }

  /**
   * Settles attempt `attempt` of a delivery and ends its lease: succeeded, failed, or pending
   * until `nextAttemptAt`. False when the delivery moved on without us (its subscription was
   * disabled or deleted, or our lease ran out and another worker made the attempt).
   */
  async settleAttempt(
    manager: EntityManager,
    id: string,
    attempt: number,
    outcome: {
      state: DeliveryState;
      statusCode: number | null;
      error: string | null;
      nextAttemptAt: Date | null;
    },
  ): Promise<boolean> {
    const rows = await returning(
      manager,
      `UPDATE webhook_deliveries SET state = $3, attempts = $2, last_status = $4, last_error = $5,
         next_attempt_at = $6, lease_until = NULL,
         delivered_at = CASE WHEN $3 = 'succeeded' THEN now() END
       WHERE id = $1 AND state = 'pending' AND attempts = $2 - 1 RETURNING id`,
      [id, attempt, outcome.state, outcome.statusCode, outcome.error, outcome.nextAttemptAt],
    );
    return rows.length > 0;
  }

  /** Ends a subscription's run of failures (a no-op write is skipped: successes are frequent). */
  async recordSuccess(manager: EntityManager, subscriptionId: string): Promise<void> {
    await manager.query(
      `UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL
        WHERE id = $1 AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
      [subscriptionId],
    );
  }

  /** Counts one more failure in the subscription's run; gives the run as it now stands. */
  async recordFailure(
    manager: EntityManager,
    subscriptionId: string,
    at: Date,
  ): Promise<{ consecutive_failures: number; failing_since: Date } | undefined> {
    const rows = await returning<{ consecutive_failures: number; failing_since: Date }>(
      manager,
      `UPDATE webhook_subscriptions
          SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, $2)
        WHERE id = $1 RETURNING consecutive_failures, failing_since`,
      [subscriptionId, at],
    );
    return rows[0];
  }

  /**
   * Turns an active subscription off for `reason`. Its version moves, so a client holding the
   * old ETag cannot silently turn it back on.
   */
  async disable(manager: EntityManager, subscriptionId: string, reason: string): Promise<void> {
    await manager.query(
      `UPDATE webhook_subscriptions SET active = false, disabled_at = now(), disabled_reason = $2,
         updated_at = date_trunc('milliseconds', now()), updated_by = 'system', version = version + 1
        WHERE id = $1 AND active`,
      [subscriptionId, reason],
    );
  }

  /** Gives up every pending delivery of a subscription that will send no more. */
  async failPending(manager: EntityManager, subscriptionId: string, reason: string): Promise<void> {
    await manager.query(
      `UPDATE webhook_deliveries SET state = 'failed', last_error = $2, next_attempt_at = NULL,
         lease_until = NULL
        WHERE subscription_id = $1 AND state = 'pending'`,
      [subscriptionId, reason],
    );
  }

  /**
   * Pending deliveries whose attempt is more than `overdueSeconds` late and not leased: their
   * job was lost (Redis lost its data, say). The lease end is returned so the job id of each
   * revival is new exactly when the delivery was claimed again since.
   */
  overdue(
    manager: EntityManager,
    overdueSeconds: number,
    limit: number,
  ): Promise<{ id: string; attempts: number; lease_until: Date | null }[]> {
    return manager.query(
      `SELECT id, attempts, lease_until FROM webhook_deliveries
        WHERE state = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_attempt_at LIMIT $2`,
      [overdueSeconds, limit],
    );
  }
}
