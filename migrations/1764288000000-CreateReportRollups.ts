import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the reports read instead of the raw tables: one fact per measured interval
 * (`report_facts`) and requested / dispatched / delivered quantities per day, country and item
 * (`coverage_cells`). Triggers note which requests and shipments changed in `report_dirty`, in
 * the transaction of the change; the `refresh-report-rollups` job recomputes their rows.
 */
/**
 * What marks a request or shipment changed: per table and event, the (subject_type,
 * subject_id) of the rows whose change matters to the reports.
 */
const DIRTY_TRIGGERS: { fn: string; table: string; event: 'INSERT' | 'UPDATE'; changed: string }[] =
  [
    {
      fn: 'report_dirty_requests_new',
      table: 'requests',
      event: 'INSERT',
      changed: `SELECT 'request' AS subject_type, id AS subject_id FROM new_rows`,
    },
    {
      fn: 'report_dirty_requests_changed',
      table: 'requests',
      event: 'UPDATE',
      changed: `SELECT 'request' AS subject_type, n.id AS subject_id
                  FROM new_rows n JOIN old_rows o USING (id)
                 WHERE (n.status, n.first_dispatch_at, n.delivered_at, n.received_at, n.priority)
                   IS DISTINCT FROM (o.status, o.first_dispatch_at, o.delivered_at, o.received_at,
                                     o.priority)`,
    },
    {
      fn: 'report_dirty_request_lines_changed',
      table: 'request_lines',
      event: 'UPDATE',
      changed: `SELECT 'request' AS subject_type, n.request_id AS subject_id
                  FROM new_rows n JOIN old_rows o USING (id)
                 WHERE (n.dispatched, n.delivered) IS DISTINCT FROM (o.dispatched, o.delivered)`,
    },
    {
      fn: 'report_dirty_shipments_new',
      table: 'shipments',
      event: 'INSERT',
      changed: `SELECT 'shipment' AS subject_type, id AS subject_id FROM new_rows`,
    },
    {
      fn: 'report_dirty_shipments_changed',
      table: 'shipments',
      event: 'UPDATE',
      changed: `SELECT 'shipment' AS subject_type, n.id AS subject_id
                  FROM new_rows n JOIN old_rows o USING (id)
                 WHERE (n.dispatched_at, n.delivered_at, n.carrier_id, n.mode,
                        n.destination_country, n.version)
                   IS DISTINCT FROM (o.dispatched_at, o.delivered_at, o.carrier_id, o.mode,
                                     o.destination_country, o.version)`,
    },
    // A clock names its own subject's type; only a change of state matters to the facts.
    {
      fn: 'report_dirty_clocks_new',
      table: 'sla_clocks',
      event: 'INSERT',
      changed: `SELECT subject_type, subject_id FROM new_rows`,
    },
    {
      fn: 'report_dirty_clocks_changed',
      table: 'sla_clocks',
      event: 'UPDATE',
      // What a fact copies from its clock: the outcome, and an open clock's deadlines.
      changed: `SELECT n.subject_type, n.subject_id FROM new_rows n JOIN old_rows o USING (id)
                 WHERE (n.state, n.due_at, n.warn_at, n.paused_at, n.paused_ms, n.started_at)
                       IS DISTINCT FROM (o.state, o.due_at, o.warn_at, o.paused_at, o.paused_ms,
                                         o.started_at)`,
    },
  ];

export class CreateReportRollups1764288000000 implements MigrationInterface {
  name = 'CreateReportRollups1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_dirty (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        subject_type text NOT NULL CHECK (subject_type IN ('request', 'shipment')),
        subject_id uuid NOT NULL
      )`);
    // A refresh takes every mark of the subjects it picks at once.
    await q.query(`CREATE INDEX report_dirty_subject ON report_dirty (subject_id)`);

    // One row per subject and metric. started_at / duration_ms stay NULL until measured;
    // tx_id (the writing transaction) lets report readers fetch what changed since they last read.
    // An open SLA clock's figures come along: running or paused, when it warns and falls due
    // (running), how long it has left (paused), so compliance counts open clocks from memory.
    await q.query(`
      CREATE TABLE report_facts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        subject_type text NOT NULL,
        subject_id uuid NOT NULL,
        metric text NOT NULL,
        started_at timestamptz,
        duration_ms double precision,
        within_sla boolean,
        country char(2),
        carrier_id uuid,
        priority text,
        mode text,
        categories text[] NOT NULL DEFAULT '{}',
        clock_state text CHECK (clock_state IN ('running', 'paused')),
        warn_at timestamptz,
        due_at timestamptz,
        left_ms double precision,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        UNIQUE (subject_id, metric)
      )`);
    await q.query(`CREATE INDEX report_facts_tx ON report_facts (tx_id, id)`);

    await q.query(`
      CREATE TABLE coverage_cells (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        day date NOT NULL,
        country char(2) NOT NULL,
        item_id uuid NOT NULL REFERENCES items (id),
        requests int NOT NULL,
        requested bigint NOT NULL,
        dispatched bigint NOT NULL,
        delivered bigint NOT NULL,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        UNIQUE (day, country, item_id)
      )`);
    await q.query(`CREATE INDEX coverage_cells_tx ON coverage_cells (tx_id, id)`);

    // Statement-level triggers: one insert per statement, however many rows a batch changes.
    for (const t of DIRTY_TRIGGERS) {
      await q.query(`
        CREATE FUNCTION ${t.fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO report_dirty (subject_type, subject_id)
            SELECT DISTINCT subject_type, subject_id FROM (${t.changed}) changed ORDER BY 1, 2;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE TRIGGER ${t.fn}_${t.event.toLowerCase()} AFTER ${t.event} ON ${t.table}
          REFERENCING ${t.event === 'UPDATE' ? 'OLD TABLE AS old_rows ' : ''}NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION ${t.fn}()`);
    }

    // Requests and shipments older than this migration get their facts from the first run.
    await q.query(`
      INSERT INTO report_dirty (subject_type, subject_id)
        SELECT 'request', id FROM requests UNION ALL SELECT 'shipment', id FROM shipments`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of DIRTY_TRIGGERS) {
      await q.query(`DROP TRIGGER ${t.fn}_${t.event.toLowerCase()} ON ${t.table}`);
      await q.query(`DROP FUNCTION ${t.fn}()`);
    }
    for (const table of ['coverage_cells', 'report_facts', 'report_dirty']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
