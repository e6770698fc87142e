import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the reports read instead of the raw tables: one fact per measured interval
 * (`report_facts`) and requested / dispatched / delivered quantities per day, country and item
 * (`coverage_cells`). Triggers note which requests and shipments changed in `report_dirty`, in
 * the transaction of the change; the `refresh-report-rollups` job recomputes their rows.
 */
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

    // The compliance report counts open clocks from this index alone (an index-only scan).
    await q.query(`
      CREATE INDEX sla_clocks_open_figures ON sla_clocks (started_at)
        INCLUDE (metric, state, due_at, warn_at, warning_ratio, target_ms, paused_ms, paused_at,
                 country, carrier_id, priority, mode)
        WHERE state IN ('running', 'paused')`);

    // Statement-level triggers: one insert per statement, however many rows a batch changes.
    const dirty = (name: string, type: string, select: string) =>
      q.query(`
        CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO report_dirty (subject_type, subject_id)
            SELECT DISTINCT '${type}', subject_id FROM (${select}) changed ORDER BY 2;
          RETURN NULL;
        END $$`);
    await dirty('report_dirty_requests_new', 'request', `SELECT id AS subject_id FROM new_rows`);
    await dirty(
      'report_dirty_requests_changed',
      'request',
      `SELECT n.id AS subject_id FROM new_rows n JOIN old_rows o USING (id)
        WHERE (n.status, n.first_dispatch_at, n.delivered_at, n.received_at, n.priority)
          IS DISTINCT FROM (o.status, o.first_dispatch_at, o.delivered_at, o.received_at, o.priority)`,
    );
    await dirty(
      'report_dirty_request_lines_changed',
      'request',
      `SELECT n.request_id AS subject_id FROM new_rows n JOIN old_rows o USING (id)
        WHERE (n.dispatched, n.delivered) IS DISTINCT FROM (o.dispatched, o.delivered)`,
    );
    await dirty('report_dirty_shipments_new', 'shipment', `SELECT id AS subject_id FROM new_rows`);
    await dirty(
      'report_dirty_shipments_changed',
      'shipment',
      `SELECT n.id AS subject_id FROM new_rows n JOIN old_rows o USING (id)
        WHERE (n.dispatched_at, n.delivered_at, n.carrier_id, n.mode, n.destination_country,
               n.version)
          IS DISTINCT FROM (o.dispatched_at, o.delivered_at, o.carrier_id, o.mode,
                            o.destination_country, o.version)`,
    );
    // A clock names its own subject's type; only a change of state matters to the facts.
    const clocks = (name: string, select: string) =>
      q.query(`
        CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO report_dirty (subject_type, subject_id)
            SELECT DISTINCT subject_type, subject_id FROM (${select}) changed ORDER BY 1, 2;
          RETURN NULL;
        END $$`);
    await clocks('report_dirty_clocks_new', `SELECT subject_type, subject_id FROM new_rows`);
    await clocks(
      'report_dirty_clocks_changed',
      `SELECT n.subject_type, n.subject_id FROM new_rows n JOIN old_rows o USING (id)
        WHERE n.state IS DISTINCT FROM o.state`,
    );

    const trigger = (table: string, event: 'INSERT' | 'UPDATE', fn: string) =>
      q.query(`
        CREATE TRIGGER ${fn}_${event.toLowerCase()} AFTER ${event} ON ${table}
          REFERENCING ${event === 'UPDATE' ? 'OLD TABLE AS old_rows ' : ''}NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    await trigger('requests', 'INSERT', 'report_dirty_requests_new');
    await trigger('requests', 'UPDATE', 'report_dirty_requests_changed');
    await trigger('request_lines', 'UPDATE', 'report_dirty_request_lines_changed');
    await trigger('shipments', 'INSERT', 'report_dirty_shipments_new');
    await trigger('shipments', 'UPDATE', 'report_dirty_shipments_changed');
    await trigger('sla_clocks', 'INSERT', 'report_dirty_clocks_new');
    await trigger('sla_clocks', 'UPDATE', 'report_dirty_clocks_changed');

    // Requests and shipments older than this migration get their facts from the first run.
    await q.query(`
      INSERT INTO report_dirty (subject_type, subject_id)
        SELECT 'request', id FROM requests UNION ALL SELECT 'shipment', id FROM shipments`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, fn, event] of [
      ['requests', 'report_dirty_requests_new', 'insert'],
      ['requests', 'report_dirty_requests_changed', 'update'],
      ['request_lines', 'report_dirty_request_lines_changed', 'update'],
      ['shipments', 'report_dirty_shipments_new', 'insert'],
      ['shipments', 'report_dirty_shipments_changed', 'update'],
      ['sla_clocks', 'report_dirty_clocks_new', 'insert'],
      ['sla_clocks', 'report_dirty_clocks_changed', 'update'],
    ]) {
      await q.query(`DROP TRIGGER ${fn}_${event} ON ${table}`);
    }
    for (const fn of [
      'report_dirty_requests_new',
      'report_dirty_requests_changed',
      'report_dirty_request_lines_changed',
      'report_dirty_shipments_new',
      'report_dirty_shipments_changed',
      'report_dirty_clocks_new',
      'report_dirty_clocks_changed',
    ]) {
      await q.query(`DROP FUNCTION ${fn}()`);
    }
    await q.query(`DROP INDEX sla_clocks_open_figures`);
    for (const table of ['coverage_cells', 'report_facts', 'report_dirty']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
