import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import type { CellRow, FactRow } from './report-store';
import type { ReportMetric } from './report-vocabulary';

/** The most urgent priority first, as SLA policies match a shipment's priority. */
const URGENCY = `array_position(ARRAY['stat', 'asap', 'urgent', 'routine'], r.priority)`;
/** Milliseconds between two instants, as float8 (exact for the microseconds PostgreSQL keeps). */
const EPOCH_MS = (at: string) => `((extract(epoch FROM ${at}) * 1000)::float8)`;
const MS_BETWEEN = (from: string, to: string) =>
  `(extract(epoch FROM ${to} - ${from}) * 1000)::float8`;

const FACT_COLUMNS = `subject_type, subject_id, metric, started_at, duration_ms, within_sla, country,
  carrier_id, priority, mode, categories, clock_state, warn_at, due_at, left_ms`;
/** What a fact copies from its SLA clock `c`: the outcome, and an open clock's figures. */
const CLOCK_FIGURES = `
  CASE c.state WHEN 'met' THEN true WHEN 'breached' THEN false END AS within_sla,
  CASE WHEN c.state IN ('running', 'paused') THEN c.state END AS clock_state,
  CASE WHEN c.state = 'running' AND c.warning_ratio < 1 THEN c.warn_at END AS warn_at,
  CASE WHEN c.state = 'running' THEN c.due_at END AS due_at,
  CASE WHEN c.state = 'paused' THEN c.target_ms - c.paused_ms
       - 1000 * extract(epoch FROM c.paused_at - c.started_at)::float8 END AS left_ms`;
/**
 * Writes `computed` into report_facts: changed rows updated, new ones inserted. Not an
 * INSERT ... ON CONFLICT, which draws an id for every row it tries: readers index their arrays
 * by id, so ids must stay dense (the refresh runs one at a time, so nothing races the insert).
 */
const UPSERT_FACTS = `,
  changed AS (
    UPDATE report_facts f SET
      started_at = c.started_at, duration_ms = c.duration_ms, within_sla = c.within_sla,
      country = c.country, carrier_id = c.carrier_id, priority = c.priority, mode = c.mode,
      categories = c.categories, clock_state = c.clock_state, warn_at = c.warn_at,
      due_at = c.due_at, left_ms = c.left_ms, tx_id = pg_current_xact_id()
      FROM computed c
     WHERE f.subject_id = c.subject_id AND f.metric = c.metric
       AND (f.started_at, f.duration_ms, f.within_sla, f.country, f.carrier_id, f.priority,
            f.mode, f.categories, f.clock_state, f.warn_at, f.due_at, f.left_ms)
         IS DISTINCT FROM (c.started_at, c.duration_ms, c.within_sla, c.country, c.carrier_id,
                           c.priority, c.mode, c.categories, c.clock_state, c.warn_at,
                           c.due_at, c.left_ms))
  INSERT INTO report_facts (${FACT_COLUMNS})
  SELECT ${FACT_COLUMNS} FROM computed c
   WHERE NOT EXISTS (SELECT 1 FROM report_facts f
                      WHERE f.subject_id = c.subject_id AND f.metric = c.metric)`;

function cursorOf(last: string): Cursor {
  const [tx, id] = last.split(':');
  return { tx, id: Number(id) };
}

/** A position in (writing transaction, id) order. */
export interface Cursor {
  tx: string;
  id: number;
}

export interface Page<T> {
  rows: T[];
  next: Cursor | null;
}

/** A page of facts as PostgreSQL wrote it (a line per fact), and where the next one starts. */
export interface FactPage {
  lines: string | null;
  next: Cursor | null;
}

/**
 * The facts of a page's lines (every column there, empty when NULL), one at a time: a row is
 * garbage as soon as it is stored, so a load leaves the heap small.
 */
export function* parseFacts(lines: string | null): Generator<FactRow> {
  for (const line of lines ? lines.split('\n') : []) {
    const [id, metric, started, duration, within, country, carrier, priority, mode, cats, ...more] =
      line.split('\t');
    const [clock, warn, due, left] = more;
    yield {
      id: Number(id),
      metric: metric as ReportMetric,
      startedMs: started === '' ? null : Number(started),
      durationMs: duration === '' ? null : Number(duration),
      withinSla: within === '' ? null : within === '1',
      country: country || null,
      carrierId: carrier || null,
      priority: priority || null,
      mode: mode || null,
      categories: cats ? cats.split(',') : [],
      clock:
        clock === ''
          ? null
          : {
              state: clock as 'running' | 'paused',
              warnMs: warn === '' ? null : Number(warn),
              dueMs: due === '' ? null : Number(due),
              leftMs: left === '' ? null : Number(left),
            },
    };
  }
}

@Injectable()
export class ReportRollupsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes up to `limit` changed subjects off `report_dirty` and rewrites their facts and
   * coverage cells, in one transaction that only one process runs at a time. Returns how many
   * dirty rows it took (0: none, or another process holds the lock).
   */
  async refreshDirty(limit: number): Promise<number> {
    // Most runs find nothing: one statement says so, instead of a transaction of five.
    const [{ any }]: { any: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM report_dirty) AS any`,
    );
    if (!any) return 0;
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }]: { locked: boolean }[] = await manager.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('report-rollups')) AS locked`,
      );
      if (!locked) return 0;
      // Short statements whose estimates are large: compiling them would cost more than running.
      await manager.query(`SET LOCAL jit = off`);
      // The oldest marks pick the subjects; every mark of theirs goes (a batch of a feed marks
      // the same request several times).
      const taken = await returning<{ subject_type: 'request' | 'shipment'; subject_id: string }>(
        manager,
        `WITH picked AS (
           SELECT DISTINCT subject_type, subject_id
             FROM (SELECT subject_type, subject_id FROM report_dirty ORDER BY id LIMIT $1) oldest)
         DELETE FROM report_dirty d USING picked
          WHERE d.subject_id = picked.subject_id AND d.subject_type = picked.subject_type
          RETURNING d.subject_type, d.subject_id`,
        [limit],
      );
      const requests = [
        ...new Set(taken.filter((t) => t.subject_type === 'request').map((t) => t.subject_id)),
      ];
      const shipments = [
        ...new Set(taken.filter((t) => t.subject_type === 'shipment').map((t) => t.subject_id)),
      ];
      if (requests.length > 0) {
        await this.writeRequestFacts(manager, requests);
        await this.writeCoverageCells(manager, requests);
      }
      if (shipments.length > 0) await this.writeShipmentFacts(manager, shipments);
      return taken.length;
    });
  }

  async pendingCount(): Promise<number> {
    const [{ n }]: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM report_dirty`,
    );
    return Number(n);
  }

  /**
   * A request's two intervals from receipt: to its first dispatch and to its delivery. Carrier
   * and mode are those of its earliest-dispatched shipment; categories those of its lines.
   */
  private writeRequestFacts(manager: EntityManager, ids: string[]): Promise<unknown> {
    return manager.query(
      `WITH computed AS (
         SELECT 'request' AS subject_type, r.id AS subject_id, m.metric,
                r.received_at AS started_at,
                ${MS_BETWEEN('r.received_at', 'm.ended_at')} AS duration_ms, ${CLOCK_FIGURES},
                r.recipient_country AS country, fs.carrier_id, r.priority, fs.mode,
                coalesce(cats.categories, '{}') AS categories
           FROM requests r
           -- LATERAL: a few index probes per request, whatever the size of the tables.
           LEFT JOIN LATERAL (
             SELECT array_agg(DISTINCT i.category ORDER BY i.category) AS categories
               FROM request_lines rl JOIN items i ON i.id = rl.item_id
              WHERE rl.request_id = r.id) cats ON true
           LEFT JOIN LATERAL (
             SELECT s.carrier_id, s.mode
               FROM orders o
               JOIN order_lines ol ON ol.order_id = o.id
               JOIN shipment_items si ON si.order_line_id = ol.id
               JOIN shipments s ON s.id = si.shipment_id
              WHERE o.request_id = r.id AND s.dispatched_at IS NOT NULL
              ORDER BY s.dispatched_at, s.id LIMIT 1) fs ON true
           CROSS JOIN LATERAL (VALUES ('request_to_first_dispatch', r.first_dispatch_at),
                                      ('request_to_delivery', r.delivered_at)) m(metric, ended_at)
           LEFT JOIN sla_clocks c ON c.subject_id = r.id AND c.metric = m.metric
          WHERE r.id = ANY($1::uuid[]))
       ${UPSERT_FACTS}`,
      [ids],
    );
  }

  /**
   * A shipment's interval from dispatch to delivery, in the country it goes to, at the most
   * urgent priority among the requests it carries, in every category of its goods.
   */
  private writeShipmentFacts(manager: EntityManager, ids: string[]): Promise<unknown> {
    return manager.query(
      `WITH carried AS (
         SELECT si.shipment_id,
                array_agg(DISTINCT i.category ORDER BY i.category) AS categories,
                (array_agg(r.priority ORDER BY ${URGENCY}))[1] AS priority,
                min(r.recipient_country) AS country
           FROM shipment_items si
           JOIN order_lines ol ON ol.id = si.order_line_id
           JOIN request_lines rl ON rl.id = ol.request_line_id
           JOIN items i ON i.id = rl.item_id
           JOIN requests r ON r.id = rl.request_id
          WHERE si.shipment_id = ANY($1::uuid[]) GROUP BY si.shipment_id),
       computed AS (
         SELECT 'shipment' AS subject_type, s.id AS subject_id,
                'dispatch_to_delivery' AS metric, s.dispatched_at AS started_at,
                ${MS_BETWEEN('s.dispatched_at', 's.delivered_at')} AS duration_ms, ${CLOCK_FIGURES},
                coalesce(s.destination_country, carried.country) AS country, s.carrier_id,
                carried.priority, s.mode, coalesce(carried.categories, '{}') AS categories
           FROM shipments s
           LEFT JOIN carried ON carried.shipment_id = s.id
           LEFT JOIN sla_clocks c ON c.subject_id = s.id AND c.metric = 'dispatch_to_delivery'
          WHERE s.id = ANY($1::uuid[]))
       ${UPSERT_FACTS}`,
      [ids],
    );
  }

  /**
   * Recomputes the cells (UTC day of receipt, country, item) of the days and countries these
   * requests fall in, from every request there; rejected and cancelled requests are not counted
   * as asking, but what they had dispatched or delivered is.
   */
  private writeCoverageCells(manager: EntityManager, ids: string[]): Promise<unknown> {
    return manager.query(
      `WITH days AS (
         SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date AS day, recipient_country AS country
           FROM requests WHERE id = ANY($1::uuid[])),
       sums AS (
         SELECT d.day, d.country, rl.item_id,
                count(DISTINCT rl.id) FILTER (WHERE rl.status NOT IN ('rejected', 'cancelled'))
                  AS requests,
                coalesce(sum(rl.quantity) FILTER (WHERE rl.status NOT IN ('rejected', 'cancelled')), 0)
                  AS requested,
                coalesce(sum(rl.dispatched), 0) AS dispatched,
                coalesce(sum(rl.delivered), 0) AS delivered
           FROM days d
           -- Every request of that country that day (the requests_country index), all items.
           CROSS JOIN LATERAL (
             SELECT r.id, r.status, rl.item_id, rl.quantity, rl.dispatched, rl.delivered
               FROM requests r JOIN request_lines rl ON rl.request_id = r.id
              WHERE r.recipient_country = d.country
                AND r.received_at >= d.day::timestamp AT TIME ZONE 'UTC'
                AND r.received_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC') rl
          GROUP BY d.day, d.country, rl.item_id)
       , changed AS (
         UPDATE coverage_cells cc SET
           requests = s.requests, requested = s.requested, dispatched = s.dispatched,
           delivered = s.delivered, tx_id = pg_current_xact_id()
           FROM sums s
          WHERE cc.day = s.day AND cc.country = s.country AND cc.item_id = s.item_id
            AND (cc.requests, cc.requested, cc.dispatched, cc.delivered)
              IS DISTINCT FROM (s.requests, s.requested, s.dispatched, s.delivered))
       INSERT INTO coverage_cells (day, country, item_id, requests, requested, dispatched,
                                   delivered)
       SELECT day, country, item_id, requests, requested, dispatched, delivered FROM sums s
        WHERE NOT EXISTS (SELECT 1 FROM coverage_cells cc
                           WHERE cc.day = s.day AND cc.country = s.country
                             AND cc.item_id = s.item_id)`,
      [ids],
    );
  }

  /** How many facts each metric has, measured and not: a first load makes room for them. */
  factCounts(): Promise<{ metric: ReportMetric; measured: number; open: number }[]> {
    return this.dataSource.query(
      `SELECT metric, count(duration_ms)::int AS measured,
              (count(*) - count(duration_ms))::int AS open
         FROM report_facts GROUP BY metric`,
    );
  }

  async maxIds(): Promise<{ facts: number; cells: number }> {
    const [row]: { facts: number | null; cells: number | null }[] = await this.dataSource.query(
      `SELECT (SELECT max(id)::int FROM report_facts) AS facts,
              (SELECT max(id)::int FROM coverage_cells) AS cells`,
    );
    return { facts: row.facts ?? 0, cells: row.cells ?? 0 };
  }

  /** The oldest transaction still running: rows of older transactions are all visible now. */
  async horizon(): Promise<string> {
    const [{ xmin }]: { xmin: string }[] = await this.dataSource.query(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`,
    );
    return xmin;
  }

  /**
   * Facts written by transactions from `after.tx` on, in (transaction, id) order from `after`:
   * pages of what changed since a reader's last visit, or everything from tx 0. A page comes as
   * one text (a line per fact): a million facts load as a few hundred strings rather than ten
   * million values, which keeps the API's memory and start-up time down.
   */
  async factsSince(after: Cursor, limit: number): Promise<FactPage> {
    const [page]: { n: number; last: string | null; body: string | null }[] =
      await this.dataSource.query(
        `SELECT count(*)::int AS n,
                (array_agg(tx_id::text || ':' || id ORDER BY tx_id DESC, id DESC))[1] AS last,
                string_agg(line, E'\\n') AS body
           FROM (SELECT tx_id, id,
                        concat_ws(E'\\t', id, metric,
                                  coalesce(${EPOCH_MS('started_at')}::text, ''),
                                  coalesce(duration_ms::text, ''),
                                  CASE within_sla WHEN true THEN '1' WHEN false THEN '0' ELSE '' END,
                                  coalesce(country, ''), coalesce(carrier_id::text, ''),
                                  coalesce(priority, ''), coalesce(mode, ''),
                                  array_to_string(categories, ','), coalesce(clock_state, ''),
                                  coalesce(${EPOCH_MS('warn_at')}::text, ''),
                                  coalesce(${EPOCH_MS('due_at')}::text, ''),
                                  coalesce(left_ms::text, '')) AS line
                   FROM report_facts WHERE (tx_id, id) > ($1::xid8, $2)
                  ORDER BY tx_id, id LIMIT $3) page`,
        [after.tx, after.id, limit],
      );
    return { lines: page.body, next: page.n < limit || !page.last ? null : cursorOf(page.last) };
  }

  async cellsSince(after: Cursor, limit: number): Promise<Page<CellRow>> {
    const rows: {
      id: number;
      tx: string;
      day: number;
      country: string;
      item_id: string;
      requested: string;
      dispatched: string;
      delivered: string;
    }[] = await this.dataSource.query(
      `SELECT id::int, tx_id::text AS tx, (day - DATE '1970-01-01') AS day, country, item_id,
              requested, dispatched, delivered
         FROM coverage_cells WHERE (tx_id, id) > ($1::xid8, $2) ORDER BY tx_id, id LIMIT $3`,
      [after.tx, after.id, limit],
    );
    return {
      rows: rows.map((r) => ({
        id: r.id,
        day: r.day,
        country: r.country,
        itemId: r.item_id,
        requested: Number(r.requested),
        dispatched: Number(r.dispatched),
        delivered: Number(r.delivered),
      })),
      next:
        rows.length < limit ? null : { tx: rows[rows.length - 1].tx, id: rows[rows.length - 1].id },
    };
  }

  carriers(): Promise<{ id: string; code: string; name: string }[]> {
    return this.dataSource.query(`SELECT id, code, name FROM carriers`);
  }

  items(): Promise<{ id: string; code: string; name: string; category: string }[]> {
    return this.dataSource.query(`SELECT id, code, name, category FROM items`);
  }
}
