import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SLA policies and clocks, alerts, webhook subscriptions, deliveries and attempts. */
export class CreateSlaAlertsWebhooks1764201600000 implements MigrationInterface {
  name = 'CreateSlaAlertsWebhooks1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sla_policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        metric text NOT NULL
          CHECK (metric IN ('request_to_first_dispatch', 'dispatch_to_delivery', 'request_to_delivery')),
        -- The ISO 8601 duration as given, and its length.
        target text NOT NULL,
        target_ms bigint NOT NULL CHECK (target_ms > 0),
        warning_ratio numeric(4, 3) NOT NULL DEFAULT 0.75 CHECK (warning_ratio > 0 AND warning_ratio <= 1),
        -- NULL matches everything; a list matches its members.
        match_priority text[],
        match_country text[],
        match_mode text[],
        specificity int GENERATED ALWAYS AS (
          (match_priority IS NOT NULL)::int + (match_country IS NOT NULL)::int + (match_mode IS NOT NULL)::int
        ) STORED,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL,
        archived_at timestamptz,
        archived_by text
      )`);
    await q.query(`CREATE INDEX sla_policies_list ON sla_policies (created_at DESC, id DESC)`);
    const defaults: [string, string, string, number, string | null][] = [
      ['Request to first dispatch', 'request_to_first_dispatch', 'PT96H', 96, null],
      ['Air: dispatch to delivery', 'dispatch_to_delivery', 'PT72H', 72, '{air_charter,air_cargo}'],
      ['Road: dispatch to delivery', 'dispatch_to_delivery', 'PT240H', 240, '{road}'],
      ['Sea: dispatch to delivery', 'dispatch_to_delivery', 'PT720H', 720, '{sea}'],
      ['Rail: dispatch to delivery', 'dispatch_to_delivery', 'PT480H', 480, '{rail}'],
    ];
    for (const [name, metric, target, hours, modes] of defaults) {
      await q.query(
        `INSERT INTO sla_policies (name, metric, target, target_ms, match_mode, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, 'system', 'system')`,
        [name, metric, target, hours * 3600 * 1000, modes],
      );
    }

    // One clock per request or shipment and metric, with the target it started with.
    await q.query(`
      CREATE TABLE sla_clocks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        metric text NOT NULL,
        subject_type text NOT NULL CHECK (subject_type IN ('request', 'shipment')),
        subject_id uuid NOT NULL,
        subject_reference text NOT NULL,
        policy_id uuid NOT NULL REFERENCES sla_policies (id),
        country char(2),
        priority text,
        mode text,
        carrier_id uuid,
        target_ms bigint NOT NULL,
        warning_ratio numeric(4, 3) NOT NULL,
        started_at timestamptz NOT NULL,
        paused_ms bigint NOT NULL DEFAULT 0,
        paused_at timestamptz,
        state text NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
        warn_at timestamptz,
        due_at timestamptz,
        warning_fired_at timestamptz,
        breach_fired_at timestamptz,
        -- The next instant an alert is owed (NULL: none); the firing jobs and the sweep read it.
        next_alert_at timestamptz,
        stopped_at timestamptz,
        elapsed_ms bigint,
        lateness_ms bigint,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (subject_id, metric),
        CHECK ((state IN ('met', 'breached')) = (stopped_at IS NOT NULL AND elapsed_ms IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX sla_clocks_next_alert ON sla_clocks (next_alert_at) WHERE next_alert_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX sla_clocks_list ON sla_clocks (created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX sla_clocks_open ON sla_clocks (due_at) WHERE state IN ('running', 'paused')`,
    );

    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        -- The live stream sends alerts in (tx_id, seq) order once no older transaction runs:
        -- seq alone is taken at insert, so a lower one may commit after a higher one.
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        kind text NOT NULL CHECK (kind IN ('sla_warning', 'sla_breach', 'shipment_exception',
          'tracking_stale', 'eta_overdue', 'temperature_excursion')),
        -- One alert per cause: PostgreSQL, not the job system, guarantees "exactly once".
        dedupe_key text NOT NULL UNIQUE,
        state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
        severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        title text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        clock_id uuid REFERENCES sla_clocks (id),
        request_id uuid,
        shipment_id uuid,
        event_id uuid,
        country char(2),
        carrier_id uuid,
        -- When the cause happened (a deadline, an event), and when the alert was stored.
        cause_at timestamptz NOT NULL,
        raised_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        acknowledged_at timestamptz,
        acknowledged_by text,
        acknowledgement_note text,
        resolved_at timestamptz,
        resolution text
      )`);
    await q.query(`CREATE INDEX alerts_list ON alerts (raised_at DESC, id DESC)`);
    await q.query(`CREATE INDEX alerts_kind_state ON alerts (kind, state, raised_at DESC)`);
    await q.query(
      `CREATE INDEX alerts_unresolved ON alerts (kind, state) WHERE state <> 'resolved'`,
    );
    await q.query(`CREATE INDEX alerts_stream ON alerts (tx_id, seq)`);
    await q.query(
      `CREATE INDEX alerts_shipment ON alerts (shipment_id, raised_at DESC) WHERE shipment_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX alerts_request ON alerts (request_id, raised_at DESC) WHERE request_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX alerts_clock ON alerts (clock_id) WHERE clock_id IS NOT NULL`);
    await q.query(`CREATE INDEX alerts_event ON alerts (event_id) WHERE event_id IS NOT NULL`);
    // What the tracking_stale and eta_overdue sweeps scan each minute.
    await q.query(`
      CREATE INDEX shipments_moving ON shipments (last_event_at)
        WHERE status IN ('dispatched', 'in_transit', 'arrived', 'customs_cleared', 'out_for_delivery', 'exception')`);
    await q.query(`
      CREATE INDEX shipments_not_arrived ON shipments (estimated_arrival_at)
        WHERE status IN ('planned', 'booked', 'dispatched', 'in_transit', 'exception', 'on_hold')`);

    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        description text,
        active boolean NOT NULL DEFAULT true,
        disabled_at timestamptz,
        disabled_reason text,
        consecutive_failures int NOT NULL DEFAULT 0,
        failing_since timestamptz,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL,
        deleted_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX webhook_subscriptions_list ON webhook_subscriptions (created_at DESC, id DESC)`,
    );

    // One message per subscription and cause; its body is frozen so every retry is identical.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
        alert_id uuid REFERENCES alerts (id),
        type text NOT NULL,
        -- The exact JSON body every attempt sends (text: jsonb would reorder and re-encode it).
        payload text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        lease_until timestamptz,
        last_status int,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        delivered_at timestamptz,
        UNIQUE (subscription_id, alert_id, type)
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, next_attempt_at) WHERE state = 'pending'`,
    );

    await q.query(`
      CREATE TABLE webhook_attempts (
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        status_code int,
        error text,
        response_excerpt text,
        PRIMARY KEY (delivery_id, attempt)
      )`);

    // Requests and shipments from before SLA clocks get theirs from a job (the app's own rules).
    await q.query(`
      INSERT INTO outbox (queue, job_name, job_id, payload)
      SELECT 'shipment-events', 'backfill-sla-clocks', 'backfill-sla-clocks', '{}'
       WHERE EXISTS (SELECT 1 FROM requests)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX shipments_moving`);
    await q.query(`DROP INDEX shipments_not_arrived`);
    for (const table of [
      'webhook_attempts',
      'webhook_deliveries',
      'webhook_subscriptions',
      'alerts',
      'sla_clocks',
      'sla_policies',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
