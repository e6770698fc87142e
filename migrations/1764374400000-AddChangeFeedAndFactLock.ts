import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Three things the status-event path leans on:
 * - `lifeline_changes` notifications when SLA policies or API keys change, so every process
 *   may cache them and drop its copy at once (the payload names the table);
 * - `shipments_locked_with_facts(ids)`: locks shipments in id order, then reads their rows
 *   and live facts by a statement of its own (a volatile function takes a fresh snapshot per
 *   statement, so it sees the facts of any transaction it waited for), in one round trip;
 * - report marks for a shipment only when what its report fact reads changes, not on every
 *   version (a tracking update marked it, and the rollup job rewrote an unchanged fact);
 * - `NOTIFY alerts` (which wakes the live alert streams) sent by the statement that stores
 *   alerts, instead of by a statement of its own after it.
 */
const NOTIFIED = ['sla_policies', 'api_keys'];

const SHIPMENT_MARK = (watched: string) => `
  CREATE OR REPLACE FUNCTION report_dirty_shipments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO report_dirty (subject_type, subject_id)
      SELECT DISTINCT subject_type, subject_id FROM (
        SELECT 'shipment' AS subject_type, n.id AS subject_id
          FROM new_rows n JOIN old_rows o USING (id)
         WHERE (${watched.replaceAll('$', 'n.')}) IS DISTINCT FROM (${watched.replaceAll('$', 'o.')})
      ) changed ORDER BY 1, 2;
    RETURN NULL;
  END $$`;

export class AddChangeFeedAndFactLock1764374400000 implements MigrationInterface {
  name = 'AddChangeFeedAndFactLock1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_lifeline_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('lifeline_changes', TG_TABLE_NAME);
        RETURN NULL;
      END $$`);
    for (const table of NOTIFIED) {
      await q.query(`
        CREATE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION notify_lifeline_changes()`);
    }

    await q.query(`
      CREATE FUNCTION shipments_locked_with_facts(ids uuid[])
        RETURNS TABLE (shipments jsonb, facts jsonb) LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM 1 FROM shipments WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
        RETURN QUERY SELECT
          (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.id), '[]'::jsonb)
             FROM shipments s WHERE s.id = ANY(ids)),
          (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.shipment_id, e.occurred_at, e.sequence), '[]'::jsonb)
             FROM shipment_events e WHERE e.shipment_id = ANY(ids) AND e.voided_at IS NULL);
      END $$`);

    await q.query(
      SHIPMENT_MARK(
        '$dispatched_at, $delivered_at, $carrier_id, $mode, $destination_country, $status',
      ),
    );

    await q.query(`
      CREATE FUNCTION notify_alert_streams() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM new_rows) THEN PERFORM pg_notify('alerts', ''); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER alerts_stored AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION notify_alert_streams()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER alerts_stored ON alerts`);
    await q.query(`DROP FUNCTION notify_alert_streams()`);
    await q.query(
      SHIPMENT_MARK(
        '$dispatched_at, $delivered_at, $carrier_id, $mode, $destination_country, $version',
      ),
    );
    await q.query(`DROP FUNCTION shipments_locked_with_facts(uuid[])`);
    for (const table of NOTIFIED) await q.query(`DROP TRIGGER ${table}_changed ON ${table}`);
    await q.query(`DROP FUNCTION notify_lifeline_changes()`);
  }
}
