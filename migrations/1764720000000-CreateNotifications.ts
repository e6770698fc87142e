import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts that reach a person by email. A rule says which alerts (kinds, countries,
 * priorities, carriers) go to which addresses, when an unacknowledged one escalates and when a
 * daily digest goes out. Each message is decided, rendered and stored in the transaction that
 * raised its alert, with a Message-ID fixed there: a message sent twice after a crash is the
 * same message. Each SMTP attempt is recorded.
 */
export class CreateNotifications1764720000000 implements MigrationInterface {
  name = 'CreateNotifications1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('email')),
        recipients text[] NOT NULL CHECK (cardinality(recipients) > 0),
        kinds text[] NOT NULL CHECK (cardinality(kinds) > 0),
        countries text[] NOT NULL DEFAULT '{}',
        priorities text[] NOT NULL DEFAULT '{}',
        carrier_ids uuid[] NOT NULL DEFAULT '{}',
        escalate_after text,
        escalate_after_seconds int CHECK (escalate_after_seconds > 0),
        escalate_to text[] NOT NULL DEFAULT '{}',
        digest_at text CHECK (digest_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        notify_resolved boolean NOT NULL DEFAULT true,
        last_digest_on date,
        last_failure_at timestamptz,
        last_failure text,
        version int NOT NULL DEFAULT 1,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        deleted_at timestamptz,
        CHECK ((escalate_after_seconds IS NULL) = (cardinality(escalate_to) = 0))
      )`);
    await q.query(
      `CREATE INDEX notification_rules_list ON notification_rules (created_at DESC, id DESC) WHERE deleted_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE notification_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rule_id uuid NOT NULL REFERENCES notification_rules (id),
        alert_id uuid REFERENCES alerts (id),
        purpose text NOT NULL CHECK (purpose IN ('alert', 'escalation', 'resolved', 'digest')),
        digest_on date,
        recipient text NOT NULL,
        -- RFC 5322 Message-ID, fixed when the message is decided: every attempt sends this one.
        message_id text NOT NULL UNIQUE,
        in_reply_to text,
        subject text NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        state text NOT NULL DEFAULT 'pending'
          CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
        -- The instant (of Lifeline's clock) from which it may go: now, or an escalation's.
        due_at timestamptz NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_error text,
        smtp_response text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        CHECK ((purpose = 'digest') = (digest_on IS NOT NULL AND alert_id IS NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX notification_messages_once ON notification_messages (rule_id, alert_id, purpose, recipient) WHERE alert_id IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX notification_digests_once ON notification_messages (rule_id, digest_on, recipient) WHERE purpose = 'digest'`,
    );
    await q.query(
      `CREATE INDEX notification_messages_due ON notification_messages (due_at, created_at) WHERE state = 'pending'`,
    );
    await q.query(
      `CREATE INDEX notification_messages_list ON notification_messages (rule_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX notification_messages_alert ON notification_messages (alert_id) WHERE alert_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE notification_attempts (
        message_id uuid NOT NULL REFERENCES notification_messages (id),
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        smtp_code int,
        error text,
        PRIMARY KEY (message_id, attempt)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['notification_attempts', 'notification_messages', 'notification_rules']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
