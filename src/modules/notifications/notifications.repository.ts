import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import type { AlertKind } from '../../common/vocabulary/alert-vocabulary';
import type { MessagePurpose, MessageState } from './notification-vocabulary';

export interface RuleRow {
  id: string;
  name: string;
  channel: 'email';
  recipients: string[];
  kinds: AlertKind[];
  countries: string[];
  priorities: string[];
  carrier_ids: string[];
  escalate_after: string | null;
  escalate_after_seconds: number | null;
  escalate_to: string[];
  digest_at: string | null;
  notify_resolved: boolean;
  last_digest_on: string | null;
  last_failure_at: Date | null;
  last_failure: string | null;
  version: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export type RuleFields = Pick<
  RuleRow,
  | 'name'
  | 'recipients'
  | 'kinds'
  | 'countries'
  | 'priorities'
  | 'carrier_ids'
  | 'escalate_after'
  | 'escalate_after_seconds'
  | 'escalate_to'
  | 'digest_at'
  | 'notify_resolved'
>;

export interface MessageRow {
  id: string;
  rule_id: string;
  alert_id: string | null;
  purpose: MessagePurpose;
  digest_on: string | null;
  recipient: string;
  message_id: string;
  in_reply_to: string | null;
  subject: string;
  text_body: string;
  html_body: string;
  state: MessageState;
  due_at: Date;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  last_error: string | null;
  smtp_response: string | null;
  sent_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  message_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  smtp_code: number | null;
  error: string | null;
}

export interface NewMessage {
  id: string;
  ruleId: string;
  alertId: string | null;
  purpose: MessagePurpose;
  digestOn: string | null;
  recipient: string;
  messageId: string;
  inReplyTo: string | null;
  subject: string;
  text: string;
  html: string;
  dueAt: Date;
}

/** A raised alert and a rule that wants it, with the names its message needs. */
export interface MatchRow {
  alert_id: string;
  rule_id: string;
  rule_name: string;
  recipients: string[];
  escalate_after_seconds: number | null;
  escalate_to: string[];
  carrier_name: string | null;
}

/** A rule's scope as SQL over an alert `a`: empty lists match everything. */
const ALERT_IN_SCOPE = `
      (cardinality(r.countries) = 0 OR a.country::text = ANY (r.countries))
  AND (cardinality(r.carrier_ids) = 0 OR a.carrier_id = ANY (r.carrier_ids))
  AND (cardinality(r.priorities) = 0
       OR a.details->>'priority' = ANY (r.priorities)
       OR EXISTS (SELECT 1 FROM requests q WHERE q.id = a.request_id AND q.priority = ANY (r.priorities))
       OR EXISTS (SELECT 1 FROM shipment_items si
                    JOIN order_lines ol ON ol.id = si.order_line_id
                    JOIN orders o ON o.id = ol.order_id
                    JOIN requests q ON q.id = o.request_id
                   WHERE si.shipment_id = a.shipment_id AND q.priority = ANY (r.priorities)))`;

/** The same scope over an SLA clock `c`. */
const CLOCK_IN_SCOPE = `
      (cardinality(r.countries) = 0 OR c.country::text = ANY (r.countries))
  AND (cardinality(r.carrier_ids) = 0 OR c.carrier_id = ANY (r.carrier_ids))
  AND (cardinality(r.priorities) = 0 OR c.priority = ANY (r.priorities))`;

/** A message's columns, of table alias `m`. */
const MESSAGE_COLUMNS = `m.id, m.rule_id, m.alert_id, m.purpose, m.digest_on::text AS digest_on,
  m.recipient, m.message_id, m.in_reply_to, m.subject, m.text_body, m.html_body, m.state,
  m.due_at, m.attempts, m.next_attempt_at, m.lease_until, m.last_error, m.smtp_response,
  m.sent_at, m.created_at`;

const RULE_COLUMNS = `id, name, channel, recipients, kinds, countries, priorities, carrier_ids,
  escalate_after, escalate_after_seconds, escalate_to, digest_at, notify_resolved,
  last_digest_on::text AS last_digest_on, last_failure_at, last_failure, version, created_by,
  created_at, updated_at`;

/** A rule's writable fields, in the order of the INSERT and UPDATE below. */
function ruleParams(fields: RuleFields, lastDigestOn: string | null): unknown[] {
  return [
    fields.name,
    fields.recipients,
    fields.kinds,
    fields.countries,
    fields.priorities,
    fields.carrier_ids,
    fields.escalate_after,
    fields.escalate_after_seconds,
    fields.escalate_to,
    fields.digest_at,
    fields.notify_resolved,
    lastDigestOn,
  ];
}

@Injectable()
export class NotificationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // ---- Rules ------------------------------------------------------------------------------

  async insertRule(fields: RuleFields, lastDigestOn: string | null, by: string): Promise<RuleRow> {
    const rows: RuleRow[] = await this.dataSource.query(
      `INSERT INTO notification_rules (name, channel, recipients, kinds, countries, priorities,
              carrier_ids, escalate_after, escalate_after_seconds, escalate_to, digest_at,
              notify_resolved, last_digest_on, created_by)
       VALUES ($1, 'email', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       RETURNING ${RULE_COLUMNS}`,
      [...ruleParams(fields, lastDigestOn), by],
    );
    return rows[0];
  }

  async findRule(id: string): Promise<RuleRow | undefined> {
    const rows: RuleRow[] = await this.dataSource.query(
      `SELECT ${RULE_COLUMNS} FROM notification_rules WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0];
  }

  listRules(limit: number, after?: { createdAt: string; id: string }): Promise<RuleRow[]> {
    return this.dataSource.query(
      `SELECT ${RULE_COLUMNS} FROM notification_rules
        WHERE deleted_at IS NULL
          AND ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  /** Writes a rule if it is still at `version`; undefined when it moved on meanwhile. */
  async updateRule(
    id: string,
    version: number,
    fields: RuleFields,
    lastDigestOn: string | null,
  ): Promise<RuleRow | undefined> {
    const rows = await returning<RuleRow>(
      this.dataSource,
      `UPDATE notification_rules
          SET name = $3, recipients = $4, kinds = $5, countries = $6, priorities = $7,
              carrier_ids = $8, escalate_after = $9, escalate_after_seconds = $10,
              escalate_to = $11, digest_at = $12, notify_resolved = $13, last_digest_on = $14,
              version = version + 1, updated_at = now()
        WHERE id = $1 AND version = $2 AND deleted_at IS NULL
        RETURNING ${RULE_COLUMNS}`,
      [id, version, ...ruleParams(fields, lastDigestOn)],
    );
    return rows[0];
  }

  /** Deletes a rule (kept for its messages' history) and gives up its unsent messages. */
  async deleteRule(manager: EntityManager, id: string): Promise<boolean> {
    const rows = await returning<{ id: string }>(
      manager,
      `UPDATE notification_rules SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id],
    );
    if (rows.length === 0) return false;
    await manager.query(
      `UPDATE notification_messages SET state = 'cancelled', last_error = 'The rule was deleted.'
        WHERE rule_id = $1 AND state = 'pending'`,
      [id],
    );
    return true;
  }

  async carriersExist(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM carriers WHERE id = ANY ($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  // ---- Deciding messages (in the transaction of the alert) ------------------------------

  /** For each alert, every live rule whose kinds and scope it falls in. */
  matchRules(manager: EntityManager, alertIds: string[]): Promise<MatchRow[]> {
    return manager.query(
      `SELECT a.id AS alert_id, r.id AS rule_id, r.name AS rule_name, r.recipients,
              r.escalate_after_seconds, r.escalate_to, c.name AS carrier_name
         FROM alerts a
         JOIN notification_rules r ON r.deleted_at IS NULL AND a.kind = ANY (r.kinds)
         LEFT JOIN carriers c ON c.id = a.carrier_id
        WHERE a.id = ANY ($1::uuid[]) AND ${ALERT_IN_SCOPE}
        ORDER BY a.id, r.created_at, r.id`,
      [alertIds],
    );
  }

  /** Stores messages, each at most once (per rule, alert, purpose and recipient; per digest day). */
  async insertMessages(
    manager: EntityManager,
    messages: NewMessage[],
  ): Promise<{ id: string; due_at: Date }[]> {
    if (messages.length === 0) return [];
    return returning(
      manager,
      `INSERT INTO notification_messages (id, rule_id, alert_id, purpose, digest_on, recipient,
              message_id, in_reply_to, subject, text_body, html_body, due_at)
       SELECT id, rule_id, alert_id, purpose, digest_on, recipient, message_id, in_reply_to,
              subject, text_body, html_body, due_at
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, rule_id uuid, alert_id uuid,
              purpose text, digest_on date, recipient text, message_id text, in_reply_to text,
              subject text, text_body text, html_body text, due_at timestamptz)
       ON CONFLICT DO NOTHING
       RETURNING id, due_at`,
      [
        JSON.stringify(
          messages.map((m) => ({
            id: m.id,
            rule_id: m.ruleId,
            alert_id: m.alertId,
            purpose: m.purpose,
            digest_on: m.digestOn,
            recipient: m.recipient,
            message_id: m.messageId,
            in_reply_to: m.inReplyTo,
            subject: m.subject,
            text_body: m.text,
            html_body: m.html,
            due_at: m.dueAt.toISOString(),
          })),
        ),
      ],
    );
  }

  /**
   * Gives up the escalations of these alerts: someone acted on the alert (acknowledged it) or
   * its cause ended. One being sent right now still goes (and is recorded as sent).
   */
  async cancelEscalations(
    manager: EntityManager,
    alertIds: string[],
    why: string,
  ): Promise<number> {
    const rows = await returning<{ id: string }>(
      manager,
      `UPDATE notification_messages SET state = 'cancelled', last_error = $2
        WHERE alert_id = ANY ($1::uuid[]) AND purpose = 'escalation' AND state = 'pending'
        RETURNING id`,
      [alertIds, why],
    );
    return rows.length;
  }

  /** The first message each recipient got about these alerts, for rules that follow up. */
  threadsToFollow(
    manager: EntityManager,
    alertIds: string[],
  ): Promise<(MessageRow & { rule_name: string })[]> {
    return manager.query(
      `SELECT m.id, m.rule_id, m.alert_id, m.recipient, m.message_id, r.name AS rule_name
         FROM notification_messages m
         JOIN notification_rules r ON r.id = m.rule_id
        WHERE m.alert_id = ANY ($1::uuid[]) AND m.purpose = 'alert'
          AND m.state IN ('pending', 'sent') AND r.notify_resolved AND r.deleted_at IS NULL`,
      [alertIds],
    );
  }

  // ---- Sending ------------------------------------------------------------------------------

  /**
   * Takes up to `limit` messages due by `now` (Lifeline's clock) and not waiting for a retry,
   * for `leaseSeconds`: another worker leaves them alone until then. Counts the attempt.
   */
  leaseDue(now: Date, limit: number, leaseSeconds: number): Promise<MessageRow[]> {
    return returning<MessageRow>(
      this.dataSource,
      `UPDATE notification_messages m
          SET lease_until = now() + make_interval(secs => $3), attempts = m.attempts + 1
         FROM (SELECT n.id FROM notification_messages n
                WHERE n.state = 'pending' AND n.due_at <= $1
                  AND n.next_attempt_at <= now() + interval '1 second'
                  AND (n.lease_until IS NULL OR n.lease_until < now())
                  -- A rule deleted while its alert's transaction ran: nothing more from it.
                  AND EXISTS (SELECT 1 FROM notification_rules r
                               WHERE r.id = n.rule_id AND r.deleted_at IS NULL)
                  -- An escalation only for an alert still open (acknowledged meanwhile: not).
                  AND (n.purpose <> 'escalation' OR EXISTS (SELECT 1 FROM alerts a
                        WHERE a.id = n.alert_id AND a.state = 'open'))
                  -- A follow-up after the message it answers, never before.
                  AND (n.in_reply_to IS NULL OR NOT EXISTS (SELECT 1 FROM notification_messages o
                        WHERE o.message_id = n.in_reply_to AND o.state = 'pending'))
                ORDER BY n.due_at, n.created_at LIMIT $2 FOR UPDATE OF n SKIP LOCKED) due
        WHERE m.id = due.id
        RETURNING ${MESSAGE_COLUMNS}`,
      [now, limit, leaseSeconds],
    );
  }

  /**
   * Records one attempt and what follows: sent, failed for good, or pending until
   * `nextAttemptAt`. A failure only while the lease is ours (`attempts` unchanged): a message
   * whose lease ran out and was taken by another worker is left to it. Returns the rule, when
   * it settled.
   */
  async settle(
    manager: EntityManager,
    message: { id: string; attempt: number },
    outcome: {
      state: MessageState;
      nextAttemptAt: Date | null;
      error: string | null;
      smtpResponse: string | null;
      smtpCode: number | null;
      startedAt: Date;
      durationMs: number;
    },
  ): Promise<string | undefined> {
    const rows = await returning<{ rule_id: string }>(
      manager,
      `UPDATE notification_messages
          SET state = $3, lease_until = NULL, next_attempt_at = COALESCE($4, next_attempt_at),
              last_error = $5, smtp_response = COALESCE($6, smtp_response),
              sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END
        WHERE id = $1
          -- Ours while the lease is; a message a server accepted is recorded sent whatever
          -- happened meanwhile (a lease that ran out, an escalation cancelled mid-send).
          AND ((attempts = $2 AND state = 'pending') OR ($3 = 'sent' AND state <> 'sent'))
        RETURNING rule_id`,
      [
        message.id,
        message.attempt,
        outcome.state,
        outcome.nextAttemptAt,
        outcome.error,
        outcome.smtpResponse,
      ],
    );
    if (rows.length === 0) return undefined;
    await manager.query(
      `INSERT INTO notification_attempts (message_id, attempt, started_at, duration_ms, smtp_code, error)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        message.id,
        message.attempt,
        outcome.startedAt,
        outcome.durationMs,
        outcome.smtpCode,
        outcome.error,
      ],
    );
    return rows[0].rule_id;
  }

  async recordRuleFailure(manager: EntityManager, ruleId: string, failure: string): Promise<void> {
    await manager.query(
      `UPDATE notification_rules SET last_failure_at = now(), last_failure = $2 WHERE id = $1`,
      [ruleId, failure],
    );
  }

  /** Whether any message is due and free by `now` (a wake-up to queue after a busy batch). */
  async anyDue(now: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM notification_messages
        WHERE state = 'pending' AND due_at <= $1 AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now()) LIMIT 1`,
      [now],
    );
    return rows.length > 0;
  }

  // ---- Reading messages ------------------------------------------------------------------

  listMessages(
    ruleId: string,
    limit: number,
    state: MessageState | undefined,
    after?: { createdAt: string; id: string },
  ): Promise<MessageRow[]> {
    return this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM notification_messages m
        WHERE m.rule_id = $1 AND ($2::text IS NULL OR m.state = $2)
          AND ($3::timestamptz IS NULL OR (m.created_at, m.id) < ($3, $4::uuid))
        ORDER BY m.created_at DESC, m.id DESC LIMIT $5`,
      [ruleId, state ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  attemptsOf(messageIds: string[]): Promise<AttemptRow[]> {
    if (messageIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT * FROM notification_attempts WHERE message_id = ANY ($1::uuid[]) ORDER BY message_id, attempt`,
      [messageIds],
    );
  }

  /** Messages of every rule, newest first (the console's view). */
  recentMessages(limit: number): Promise<(MessageRow & { rule_name: string })[]> {
    return this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS}, r.name AS rule_name
         FROM notification_messages m JOIN notification_rules r ON r.id = m.rule_id
        ORDER BY m.created_at DESC, m.id DESC LIMIT $1`,
      [limit],
    );
  }

  // ---- Digests -------------------------------------------------------------------------------

  /**
   * Locks the live rules whose digest time of day has come on `day` and that have not had
   * that day's digest; a worker that finds one locked leaves it to the one holding it.
   */
  lockDueDigests(manager: EntityManager, day: string, timeOfDay: string): Promise<RuleRow[]> {
    return manager.query(
      `SELECT ${RULE_COLUMNS} FROM notification_rules
        WHERE deleted_at IS NULL AND digest_at IS NOT NULL AND digest_at <= $2
          AND (last_digest_on IS NULL OR last_digest_on < $1::date)
        ORDER BY id FOR UPDATE SKIP LOCKED`,
      [day, timeOfDay],
    );
  }

  async markDigest(manager: EntityManager, ruleId: string, day: string): Promise<void> {
    await manager.query(`UPDATE notification_rules SET last_digest_on = $2 WHERE id = $1`, [
      ruleId,
      day,
    ]);
  }

  /** What a rule's digest reports, as of `now`. */
  async digestFacts(
    manager: EntityManager,
    ruleId: string,
    now: Date,
  ): Promise<{
    alerts: { kind: string; reference: string; title: string; cause_at: Date }[];
    atRisk: { subject_reference: string; metric: string; due_at: Date }[];
    stopped: { met: string; breached: string };
  }> {
    const alerts = await manager.query(
      `SELECT a.kind, a.reference, a.title, a.cause_at
         FROM notification_rules r JOIN alerts a
           ON a.state = 'open' AND a.kind IN ('sla_breach', 'shipment_exception')
        WHERE r.id = $1 AND ${ALERT_IN_SCOPE}
        ORDER BY a.cause_at, a.id`,
      [ruleId],
    );
    const atRisk = await manager.query(
      `SELECT c.subject_reference, c.metric, c.due_at
         FROM notification_rules r JOIN sla_clocks c
           ON c.state = 'running' AND c.warn_at <= $2 AND c.due_at > $2
        WHERE r.id = $1 AND ${CLOCK_IN_SCOPE}
        ORDER BY c.due_at, c.id`,
      [ruleId, now],
    );
    const stopped = await manager.query(
      `SELECT count(*) FILTER (WHERE c.state = 'met') AS met,
              count(*) FILTER (WHERE c.state = 'breached') AS breached
         FROM notification_rules r JOIN sla_clocks c
           ON c.state IN ('met', 'breached') AND c.stopped_at > $2::timestamptz - interval '24 hours'
          AND c.stopped_at <= $2
        WHERE r.id = $1 AND ${CLOCK_IN_SCOPE}`,
      [ruleId, now],
    );
    return { alerts, atRisk, stopped: stopped[0] };
  }
}
