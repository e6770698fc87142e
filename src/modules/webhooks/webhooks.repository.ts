import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import type { DeliveryLane, DeliveryState } from './webhook-vocabulary';

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
  /** Lifecycle messages: one key's messages go out one at a time, in creation order. */
  orderingKey: string | null;
  /** Lifecycle messages: the cause, sent once per subscription and type. */
  messageKey: string | null;
  /** Leased lowest first (alerts 0, lifecycle 1). */
  priority: number;
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
/** One attempt's outcome, as the delivery records it. */
export interface SettledAttempt {
  id: string;
  attempt: number;
  state: DeliveryState;
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

export interface LeasedDelivery {
  id: string;
  subscription_id: string;
  /** The body to send, exactly as frozen. */
  payload: string;
  /** Attempts made before this one. */
  attempts: number;
  /** Set for lifecycle messages: sending it may free the next of its shipment or request. */
  ordering_key: string | null;
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
/** A pending delivery `p` with no earlier pending one of its ordering key (alerts have none). */
const HEAD_OF_ITS_KEY = `(p.ordering_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM webhook_deliveries e
   WHERE e.subscription_id = p.subscription_id AND e.ordering_key = p.ordering_key
     AND e.state = 'pending' AND e.seq < p.seq))`;
const DELIVERY_COLUMNS = `id, subscription_id, alert_id, type, payload::json AS payload, state, attempts, next_attempt_at,
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
   * for the same alert (or the same lifecycle cause) is skipped. Deliveries take their `seq` in
   * the order of `messages`. Returns the new deliveries.
   */
  insertForSubscribers(
    manager: EntityManager,
    messages: NewMessage[],
  ): Promise<{ id: string; subscription_id: string; priority: DeliveryLane }[]> {
    // No conflict target: an alert message conflicts on (subscription, alert, type), a
    // lifecycle one on (subscription, type, message_key); either is skipped.
    return manager.query(
      `INSERT INTO webhook_deliveries (subscription_id, alert_id, type, payload, priority, ordering_key,
                                       message_key, next_attempt_at)
       SELECT s.id, m.alert_id, m.type, m.payload, m.priority, m.ordering_key, m.message_key, now()
         FROM unnest($1::text[], $2::uuid[], $3::text[], $4::smallint[], $5::text[], $6::text[])
              WITH ORDINALITY AS m(type, alert_id, payload, priority, ordering_key, message_key, n)
         JOIN webhook_subscriptions s ON m.type = ANY (s.events)
        WHERE s.active AND s.deleted_at IS NULL
        ORDER BY m.n
       ON CONFLICT DO NOTHING
       RETURNING id, subscription_id, priority`,
      [
        messages.map((m) => m.type),
        messages.map((m) => m.alertId),
        messages.map((m) => m.payload),
        messages.map((m) => m.priority),
        messages.map((m) => m.orderingKey),
        messages.map((m) => m.messageKey),
      ],
    );
  }

  /** Which of `types` at least one active subscription asks for. */
  async subscribedTypes(manager: EntityManager, types: readonly string[]): Promise<Set<string>> {
    const rows: { type: string }[] = await manager.query(
      `SELECT DISTINCT t.type FROM unnest($1::text[]) AS t(type)
        WHERE EXISTS (SELECT 1 FROM webhook_subscriptions s
                       WHERE t.type = ANY (s.events) AND s.active AND s.deleted_at IS NULL)`,
      [types],
    );
    return new Set(rows.map((r) => r.type));
  }

  /** One delivery to one subscription, whatever events it asked for (the test message). */
  async insertDelivery(
    manager: EntityManager,
    subscriptionId: string,
    message: NewMessage,
  ): Promise<DeliveryRow> {
    const rows: DeliveryRow[] = await manager.query(
      `INSERT INTO webhook_deliveries (subscription_id, alert_id, type, payload, priority, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, now()) RETURNING ${DELIVERY_COLUMNS}`,
      [subscriptionId, message.alertId, message.type, message.payload, message.priority],
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
   * Leases up to `limit` of a subscription's deliveries that are due, so no other worker sends
   * them meanwhile; no connection is held while they are sent. Alerts come first (priority),
   * then the oldest due. Of a lifecycle key's pending messages only the oldest is leasable: the
   * next waits while it is sent or retried, so a receiver gets a shipment's messages in order.
   */
  leaseDue(
    subscriptionId: string,
    lane: DeliveryLane,
    limit: number,
    leaseSeconds: number,
  ): Promise<LeasedDelivery[]> {
    return returning<LeasedDelivery>(
      this.dataSource,
      `UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $3)
         FROM (SELECT id FROM webhook_deliveries p
                WHERE subscription_id = $1 AND state = 'pending' AND priority = $4
                  AND (lease_until IS NULL OR lease_until < now())
                  -- A second of slack for the clocks of BullMQ's delay and PostgreSQL.
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now() + interval '1 second')
                  AND ${HEAD_OF_ITS_KEY}
                ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) due,
              webhook_subscriptions s
        WHERE d.id = due.id AND s.id = d.subscription_id
       RETURNING d.id, d.subscription_id, d.payload, d.attempts, d.ordering_key, s.url, s.secret,
                 s.active AND s.deleted_at IS NULL AS deliverable`,
      [subscriptionId, limit, leaseSeconds, lane],
    );
  }

  async insertAttempts(manager: EntityManager, attempts: AttemptRecord[]): Promise<void> {
    if (attempts.length === 0) return;
    await manager.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[])`,
      [
        attempts.map((a) => a.deliveryId),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.startedAt),
        attempts.map((a) => a.durationMs),
        attempts.map((a) => a.statusCode),
        attempts.map((a) => a.error),
        attempts.map((a) => a.responseExcerpt),
      ],
    );
  }

  /**
   * Settles one attempt of each delivery and ends its lease: succeeded, failed, or pending until
   * its next attempt. Returns the ids settled: a delivery that moved on without us (its
   * subscription was disabled or deleted, or our lease ran out and another worker made the
   * attempt) is left alone.
   */
  async settleAttempts(manager: EntityManager, settled: SettledAttempt[]): Promise<Set<string>> {
    if (settled.length === 0) return new Set();
    const rows = await returning<{ id: string }>(
      manager,
      `UPDATE webhook_deliveries d SET state = x.state, attempts = x.attempt, last_status = x.status,
              last_error = x.error, next_attempt_at = x.next, lease_until = NULL,
              delivered_at = CASE WHEN x.state = 'succeeded' THEN now() END
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])
              AS x(id, attempt, state, status, error, next)
        WHERE d.id = x.id AND d.state = 'pending' AND d.attempts = x.attempt - 1
        RETURNING d.id`,
      [
        settled.map((a) => a.id),
        settled.map((a) => a.attempt),
        settled.map((a) => a.state),
        settled.map((a) => a.statusCode),
        settled.map((a) => a.error),
        settled.map((a) => a.nextAttemptAt),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Brings a subscription's run of failures up to date after a batch of attempts: a success
   * ends the run (the failures after it start a new one). Gives the run as it now stands;
   * nothing when there is no run (a no-op write is skipped: successes are frequent).
   */
  async recordRun(
    manager: EntityManager,
    subscriptionId: string,
    run: { succeeded: boolean; failures: number; firstFailureAt: Date | null },
  ): Promise<{ consecutive_failures: number; failing_since: Date } | undefined> {
    const rows = await returning<{ consecutive_failures: number; failing_since: Date }>(
      manager,
      `UPDATE webhook_subscriptions SET
              consecutive_failures = CASE WHEN $2 THEN $3 ELSE consecutive_failures + $3 END,
              failing_since = CASE WHEN $3 = 0 THEN NULL WHEN $2 THEN $4
                                   ELSE coalesce(failing_since, $4) END
        WHERE id = $1 AND NOT ($3 = 0 AND consecutive_failures = 0 AND failing_since IS NULL)
        RETURNING consecutive_failures, failing_since`,
      [subscriptionId, run.succeeded, run.failures, run.firstFailureAt],
    );
    return rows.find((r) => r.consecutive_failures > 0);
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
   * Subscriptions with pending deliveries more than `overdueSeconds` late and not leased: their
   * jobs were lost (Redis lost its data, say). A lifecycle message waiting behind an earlier one
   * of its key is not late: the earlier one's retry sends it.
   */
  overdueSubscriptions(
    manager: EntityManager,
    overdueSeconds: number,
  ): Promise<{ subscription_id: string; lane: DeliveryLane }[]> {
    return manager.query(
      `SELECT DISTINCT subscription_id, priority AS lane FROM webhook_deliveries p
        WHERE state = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
          AND (lease_until IS NULL OR lease_until < now())
          AND ${HEAD_OF_ITS_KEY}`,
      [overdueSeconds],
    );
  }
}
