import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Items, carriers, requests, orders, shipments, legs, status events, event batches, idempotency. */
export class CreateSupplyPipeline1764165600000 implements MigrationInterface {
  name = 'CreateSupplyPipeline1764165600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE request_reference_seq`);
    await q.query(`CREATE SEQUENCE order_reference_seq`);
    await q.query(`CREATE SEQUENCE shipment_reference_seq`);

    await q.query(`
      CREATE TABLE items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9._-]{0,39}$'),
        name text NOT NULL,
        category text NOT NULL,
        unit text NOT NULL,
        cold_chain boolean NOT NULL DEFAULT false,
        min_shelf_life_days int NOT NULL DEFAULT 180 CHECK (min_shelf_life_days >= 0),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL
      )`);

    await q.query(`
      CREATE TABLE carriers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        kind text NOT NULL,
        modes text[] NOT NULL,
        contact jsonb,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL
      )`);
    await q.query(`
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_carrier_fk
        FOREIGN KEY (carrier_id) REFERENCES carriers (id) NOT VALID`);

    await q.query(`
      CREATE TABLE requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE,
        recipient_country char(2) NOT NULL,
        organisation text NOT NULL,
        destination text NOT NULL,
        priority text NOT NULL,
        kind text NOT NULL,
        -- What coordinators decided (received, approved, rejected, cancelled); beyond approved,
        -- status is derived from the request's orders and shipments.
        workflow_status text NOT NULL DEFAULT 'received',
        status text NOT NULL DEFAULT 'received',
        received_at timestamptz NOT NULL,
        needed_by timestamptz,
        first_dispatch_at timestamptz,
        delivered_at timestamptz,
        decided_at timestamptz,
        decided_by text,
        decision_reason text,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL
      )`);
    await q.query(`CREATE INDEX requests_list ON requests (received_at DESC, id DESC)`);
    await q.query(`CREATE INDEX requests_status ON requests (status, received_at DESC)`);
    await q.query(
      `CREATE INDEX requests_country ON requests (recipient_country, received_at DESC)`,
    );

    await q.query(`
      CREATE TABLE request_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL REFERENCES requests (id),
        line_no int NOT NULL,
        item_id uuid NOT NULL REFERENCES items (id),
        quantity int NOT NULL CHECK (quantity > 0),
        allocated int NOT NULL DEFAULT 0,
        dispatched int NOT NULL DEFAULT 0,
        delivered int NOT NULL DEFAULT 0,
        UNIQUE (request_id, line_no)
      )`);

    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE,
        request_id uuid NOT NULL REFERENCES requests (id),
        source text NOT NULL,
        -- draft, confirmed, ready or cancelled, as coordinators set it; status adds dispatched
        -- and delivered, derived from shipments.
        workflow_status text NOT NULL DEFAULT 'draft',
        status text NOT NULL DEFAULT 'draft',
        allow_over_allocation boolean NOT NULL DEFAULT false,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL
      )`);
    await q.query(`CREATE INDEX orders_request ON orders (request_id)`);
    await q.query(`CREATE INDEX orders_list ON orders (created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE order_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES orders (id),
        request_line_id uuid NOT NULL REFERENCES request_lines (id),
        quantity int NOT NULL CHECK (quantity > 0),
        shipped int NOT NULL DEFAULT 0,
        dispatched int NOT NULL DEFAULT 0,
        delivered int NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX order_lines_order ON order_lines (order_id)`);
    await q.query(`CREATE INDEX order_lines_request_line ON order_lines (request_line_id)`);

    await q.query(`
      CREATE TABLE shipments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE,
        carrier_id uuid NOT NULL REFERENCES carriers (id),
        mode text NOT NULL,
        origin text NOT NULL,
        destination text NOT NULL,
        destination_country char(2),
        tracking_reference text NOT NULL,
        status text NOT NULL DEFAULT 'planned',
        resume_status text,
        last_event_at timestamptz,
        dispatched_at timestamptz,
        delivered_at timestamptz,
        planned_departure_at timestamptz,
        estimated_arrival_at timestamptz,
        notes text,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_by text NOT NULL,
        UNIQUE (carrier_id, tracking_reference)
      )`);
    await q.query(`CREATE INDEX shipments_list ON shipments (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX shipments_tracking ON shipments (tracking_reference)`);
    await q.query(`CREATE INDEX shipments_carrier ON shipments (carrier_id, created_at DESC)`);
    await q.query(`CREATE INDEX shipments_status ON shipments (status, created_at DESC)`);

    await q.query(`
      CREATE TABLE shipment_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        shipment_id uuid NOT NULL REFERENCES shipments (id),
        order_line_id uuid NOT NULL REFERENCES order_lines (id),
        quantity int NOT NULL CHECK (quantity > 0),
        lot text NOT NULL,
        expires_on date NOT NULL,
        received_good int,
        damaged int,
        missing int,
        CHECK (received_good IS NULL OR received_good + damaged + missing = quantity)
      )`);
    await q.query(`CREATE INDEX shipment_items_shipment ON shipment_items (shipment_id)`);
    await q.query(`CREATE INDEX shipment_items_order_line ON shipment_items (order_line_id)`);

    await q.query(`
      CREATE TABLE legs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        shipment_id uuid NOT NULL REFERENCES shipments (id),
        seq int NOT NULL,
        mode text NOT NULL,
        carrier_id uuid REFERENCES carriers (id),
        from_location text NOT NULL,
        to_location text NOT NULL,
        departure_planned_at timestamptz,
        departure_estimated_at timestamptz,
        departure_actual_at timestamptz,
        arrival_planned_at timestamptz,
        arrival_estimated_at timestamptz,
        arrival_actual_at timestamptz,
        UNIQUE (shipment_id, seq)
      )`);

    await q.query(`
      CREATE TABLE shipment_event_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        submitted_by text NOT NULL,
        carrier_id uuid,
        total int NOT NULL,
        submitted_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        completed_at timestamptz
      )`);

    // Append-only facts. `sequence` orders facts recorded at the same instant.
    await q.query(`
      CREATE TABLE shipment_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sequence bigint GENERATED ALWAYS AS IDENTITY,
        shipment_id uuid NOT NULL REFERENCES shipments (id),
        status text NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        recorded_by text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('applied', 'late', 'conflicting')),
        location text,
        exception_reason text,
        temperature_c numeric(5, 2),
        notes text,
        batch_id uuid REFERENCES shipment_event_batches (id),
        voided_at timestamptz,
        voided_by text,
        void_reason text
      )`);
    await q.query(
      `CREATE INDEX shipment_events_history ON shipment_events (shipment_id, occurred_at, sequence)`,
    );
    // One live fact per shipment, status and instant: a feed resending it changes nothing.
    await q.query(`
      CREATE UNIQUE INDEX shipment_events_fact ON shipment_events (shipment_id, status, occurred_at)
        WHERE voided_at IS NULL`);

    await q.query(`
      CREATE TABLE shipment_event_batch_items (
        batch_id uuid NOT NULL REFERENCES shipment_event_batches (id),
        idx int NOT NULL,
        part int NOT NULL,
        shipment_key text NOT NULL,
        shipment_id uuid,
        occurred_at timestamptz,
        payload jsonb NOT NULL,
        result text CHECK (result IN ('applied', 'late', 'conflicting', 'duplicate', 'rejected')),
        reason text,
        event_id uuid,
        PRIMARY KEY (batch_id, idx)
      )`);
    await q.query(
      `CREATE INDEX batch_items_part ON shipment_event_batch_items (batch_id, part, shipment_key)`,
    );

    await q.query(`
      CREATE TABLE idempotency_keys (
        principal text NOT NULL,
        key text NOT NULL,
        request_hash bytea NOT NULL,
        status_code int,
        response jsonb,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (principal, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'idempotency_keys',
      'shipment_event_batch_items',
      'shipment_events',
      'shipment_event_batches',
      'legs',
      'shipment_items',
      'shipments',
      'order_lines',
      'orders',
      'request_lines',
      'requests',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_carrier_fk`);
    await q.query(`DROP TABLE carriers`);
    await q.query(`DROP TABLE items`);
    await q.query(`DROP SEQUENCE shipment_reference_seq`);
    await q.query(`DROP SEQUENCE order_reference_seq`);
    await q.query(`DROP SEQUENCE request_reference_seq`);
  }
}
