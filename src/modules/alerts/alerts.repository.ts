import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import { MOVING_STATUSES, type NewAlert, NOT_ARRIVED_STATUSES } from './alert-rules';
import type {
  AlertKind,
  AlertSeverity,
  AlertState,
} from '../../common/vocabulary/alert-vocabulary';

const MOVING = `ARRAY[${MOVING_STATUSES.map((s) => `'${s}'`).join(', ')}]`;
const NOT_ARRIVED = `ARRAY[${NOT_ARRIVED_STATUSES.map((s) => `'${s}'`).join(', ')}]`;
/** Statuses with goods not arrived yet, counting exception and on hold by the status they left. */
const NOT_ARRIVED_SQL = `(s.status = ANY(${NOT_ARRIVED}) OR (s.status IN ('exception', 'on_hold') AND s.resume_status = ANY(${NOT_ARRIVED})))`;

export interface AlertRow {
  id: string;
  seq: string;
  /** The inserting transaction (xid8, as text): the live stream orders by it. */
  tx_id: string;
  kind: AlertKind;
  dedupe_key: string;
  state: AlertState;
  severity: AlertSeverity;
  /** The request's or shipment's reference. */
  reference: string;
  title: string;
  details: Record<string, unknown>;
  clock_id: string | null;
  request_id: string | null;
  shipment_id: string | null;
  event_id: string | null;
  country: string | null;
  carrier_id: string | null;
  cause_at: Date;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  acknowledgement_note: string | null;
  resolved_at: Date | null;
  resolution: string | null;
}

/** A place in the live stream of alerts (its Server-Sent Events id is `<tx>-<seq>`). */
export interface StreamPosition {
  tx: string;
  seq: string;
}

export interface AlertFilter {
  kind?: AlertKind;
  state?: AlertState;
  country?: string;
  carrierId?: string;
  shipmentId?: string;
  requestId?: string;
}

/** Which open alerts a resolution closes. */
export type ResolveScope =
  | { clockIds: string[]; kinds: AlertKind[] }
  | { shipmentIds: string[]; kinds: AlertKind[] }
  | { eventIds: string[] };

const FILTER_SQL = `($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR state = $2)
  AND ($3::text IS NULL OR country = $3) AND ($4::uuid IS NULL OR carrier_id = $4)
  AND ($5::uuid IS NULL OR shipment_id = $5) AND ($6::uuid IS NULL OR request_id = $6)`;

function filterParams(f: AlertFilter): unknown[] {
  return [
    f.kind ?? null,
    f.state ?? null,
    f.country ?? null,
    f.carrierId ?? null,
    f.shipmentId ?? null,
    f.requestId ?? null,
  ];
}

@Injectable()
export class AlertsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Stores the alerts whose cause has none yet, in one statement; returns those stored. The
   * statement's trigger wakes the live streams at commit (NOTIFY alerts).
   */
  insert(manager: EntityManager, alerts: NewAlert[]): Promise<AlertRow[]> {
    if (alerts.length === 0) return Promise.resolve([]);
    return manager.query(
      `INSERT INTO alerts (kind, dedupe_key, severity, reference, title, details, clock_id,
                           request_id, shipment_id, event_id, country, carrier_id, cause_at)
       SELECT kind, dedupe_key, severity, reference, title, details, clock_id, request_id,
              shipment_id, event_id, country, carrier_id, cause_at
         FROM jsonb_to_recordset($1::jsonb) AS x(kind text, dedupe_key text, severity text,
              reference text, title text, details jsonb, clock_id uuid, request_id uuid, shipment_id uuid,
              event_id uuid, country char(2), carrier_id uuid, cause_at timestamptz)
       ORDER BY cause_at
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING *`,
      [
        JSON.stringify(
          alerts.map((a) => ({
            kind: a.kind,
            dedupe_key: a.dedupeKey,
            severity: a.severity,
            reference: a.reference,
            title: a.title,
            details: a.details,
            clock_id: a.clockId ?? null,
            request_id: a.requestId ?? null,
            shipment_id: a.shipmentId ?? null,
            event_id: a.eventId ?? null,
            country: a.country ?? null,
            carrier_id: a.carrierId ?? null,
            cause_at: a.causeAt.toISOString(),
          })),
        ),
      ],
    );
  }

  /** Resolves the open alerts in scope; returns the ones it resolved. */
  resolve(
    manager: EntityManager,
    scope: ResolveScope,
    resolution: string,
    at: Date,
  ): Promise<AlertRow[]> {
    let where: string;
    let params: unknown[];
    if ('eventIds' in scope) {
      if (scope.eventIds.length === 0) return Promise.resolve([]);
      where = `event_id = ANY($3::uuid[])`;
      params = [scope.eventIds];
    } else if ('clockIds' in scope) {
      if (scope.clockIds.length === 0) return Promise.resolve([]);
      where = `clock_id = ANY($3::uuid[]) AND kind = ANY($4::text[])`;
      params = [scope.clockIds, scope.kinds];
    } else {
      if (scope.shipmentIds.length === 0) return Promise.resolve([]);
      where = `shipment_id = ANY($3::uuid[]) AND kind = ANY($4::text[])`;
      params = [scope.shipmentIds, scope.kinds];
    }
    return returning<AlertRow>(
      manager,
      `UPDATE alerts SET state = 'resolved', resolved_at = $1, resolution = $2
        WHERE state <> 'resolved' AND ${where} RETURNING *`,
      [at, resolution, ...params],
    );
  }

  async findById(id: string): Promise<AlertRow | undefined> {
    const rows: AlertRow[] = await this.dataSource.query(`SELECT * FROM alerts WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  /** Acknowledges an open alert; an acknowledged or resolved one is returned unchanged. */
  async acknowledge(
    manager: EntityManager,
    id: string,
    by: string,
    note: string | null,
    at: Date,
  ): Promise<AlertRow | undefined> {
    const rows = await returning<AlertRow>(
      manager,
      `UPDATE alerts SET state = CASE WHEN state = 'open' THEN 'acknowledged' ELSE state END,
              acknowledged_at = $2, acknowledged_by = $3, acknowledgement_note = $4
        WHERE id = $1 AND acknowledged_at IS NULL RETURNING *`,
      [id, at, by, note],
    );
    return rows[0];
  }

  list(limit: number, filter: AlertFilter, after?: [string, string]): Promise<AlertRow[]> {
    return this.dataSource.query(
      `SELECT * FROM alerts WHERE ${FILTER_SQL}
          AND ($7::timestamptz IS NULL OR (raised_at, id) < ($7, $8::uuid))
        ORDER BY raised_at DESC, id DESC LIMIT $9`,
      [...filterParams(filter), after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  async count(filter: AlertFilter): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM alerts WHERE ${FILTER_SQL}`,
      filterParams(filter),
    );
    return Number(rows[0].n);
  }

  /**
   * Alerts after `after` in stream order (transaction, then sequence), up to `upTo` or else up
   * to the horizon: only transactions older than every one still running, so nothing can
   * later appear before what was read.
   */
  since(
    after: StreamPosition,
    filter: AlertFilter,
    limit: number,
    upTo?: StreamPosition,
  ): Promise<AlertRow[]> {
    return this.dataSource.query(
      `SELECT * FROM alerts WHERE ${FILTER_SQL} AND (tx_id, seq) > ($7::xid8, $8::bigint)
          AND CASE WHEN $9::xid8 IS NULL THEN tx_id < pg_snapshot_xmin(pg_current_snapshot())
                   ELSE (tx_id, seq) <= ($9::xid8, $10::bigint) END
        ORDER BY tx_id, seq LIMIT $11`,
      [...filterParams(filter), after.tx, after.seq, upTo?.tx ?? null, upTo?.seq ?? null, limit],
    );
  }

  /** The stream position everything before which is committed and final. */
  async horizon(): Promise<StreamPosition> {
    const [row] = await this.dataSource.query(
      `SELECT tx_id::text AS tx, seq::text AS seq FROM alerts
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id DESC, seq DESC LIMIT 1`,
    );
    return row ?? { tx: '0', seq: '0' };
  }

  /** Moving shipments with no event for `staleMs`, not yet alerted for that silence. */
  staleShipments(now: Date, staleMs: number, limit: number): Promise<SweptShipmentRow[]> {
    return this.dataSource.query(
      `SELECT * FROM (
         SELECT s.id, s.reference, s.destination_country, s.carrier_id, s.status, s.last_event_at,
                s.estimated_arrival_at,
                'tracking_stale:' || s.id || ':' || (extract(epoch FROM s.last_event_at) * 1000)::bigint AS dedupe_key
           FROM shipments s
          WHERE s.status = ANY(${MOVING}) AND s.last_event_at < $1::timestamptz - make_interval(secs => $2 / 1000.0)) c
        WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.dedupe_key = c.dedupe_key)
        ORDER BY last_event_at LIMIT $3`,
      [now, staleMs, limit],
    );
  }

  /** Shipments past their estimated arrival that have not arrived, not yet alerted for that ETA. */
  overdueShipments(now: Date, limit: number): Promise<SweptShipmentRow[]> {
    return this.dataSource.query(
      `SELECT * FROM (
         SELECT s.id, s.reference, s.destination_country, s.carrier_id, s.status, s.last_event_at,
                s.estimated_arrival_at,
                'eta_overdue:' || s.id || ':' || (extract(epoch FROM s.estimated_arrival_at) * 1000)::bigint AS dedupe_key
           FROM shipments s
          WHERE s.estimated_arrival_at < $1 AND ${NOT_ARRIVED_SQL}) c
        WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.dedupe_key = c.dedupe_key)
        ORDER BY estimated_arrival_at LIMIT $2`,
      [now, limit],
    );
  }

  /**
   * Resolves the tracking_stale alerts whose shipment was heard of since (or stopped moving),
   * and the eta_overdue alerts whose shipment arrived or got another estimate (one already
   * past raises an alert of its own).
   */
  resolveSweptCauses(manager: EntityManager, now: Date): Promise<AlertRow[]> {
    return returning<AlertRow>(
      manager,
      `UPDATE alerts a SET state = 'resolved', resolved_at = $1,
              resolution = CASE
                WHEN a.kind = 'tracking_stale' AND s.last_event_at > (a.details->>'lastEventAt')::timestamptz THEN 'tracking resumed'
                WHEN a.kind = 'tracking_stale' THEN 'shipment is ' || s.status
                WHEN NOT ${NOT_ARRIVED_SQL} THEN 'shipment is ' || s.status
                WHEN s.estimated_arrival_at IS NULL THEN 'estimated arrival withdrawn'
                ELSE 'estimated arrival moved to ' || to_char(s.estimated_arrival_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END
         FROM shipments s
        WHERE a.shipment_id = s.id AND a.state <> 'resolved'
          AND ((a.kind = 'tracking_stale'
                AND (s.last_event_at > (a.details->>'lastEventAt')::timestamptz OR NOT s.status = ANY(${MOVING})))
            OR (a.kind = 'eta_overdue'
                AND (NOT ${NOT_ARRIVED_SQL}
                     OR s.estimated_arrival_at IS DISTINCT FROM (a.details->>'estimatedArrivalAt')::timestamptz)))
        RETURNING a.*`,
      [now],
    );
  }

  /** The shipments among these that carry cold-chain goods. */
  async coldChain(manager: EntityManager, shipmentIds: string[]): Promise<Set<string>> {
    if (shipmentIds.length === 0) return new Set();
    const rows: { shipment_id: string }[] = await manager.query(
      `SELECT DISTINCT si.shipment_id FROM shipment_items si
         JOIN order_lines ol ON ol.id = si.order_line_id
         JOIN request_lines rl ON rl.id = ol.request_line_id
         JOIN items i ON i.id = rl.item_id
        WHERE si.shipment_id = ANY($1::uuid[]) AND i.cold_chain`,
      [shipmentIds],
    );
    return new Set(rows.map((r) => r.shipment_id));
  }
}

/** A shipment a sweep found: moving without news, or past its estimated arrival. */
export interface SweptShipmentRow {
  id: string;
  reference: string;
  destination_country: string | null;
  carrier_id: string;
  status: string;
  last_event_at: Date | null;
  estimated_arrival_at: Date | null;
  dedupe_key: string;
}
