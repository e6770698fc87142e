import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ActivePolicyCache } from './active-policy-cache';
import type { ClockTimes, PolicyTerms, SlaMetric, StoredClockState } from './sla-clock';

export interface ClockRow {
  id: string;
  metric: SlaMetric;
  subject_type: 'request' | 'shipment';
  subject_id: string;
  subject_reference: string;
  policy_id: string;
  country: string | null;
  priority: string | null;
  mode: string | null;
  carrier_id: string | null;
  target_ms: string;
  warning_ratio: string;
  started_at: Date;
  paused_ms: string;
  paused_at: Date | null;
  state: StoredClockState;
  warn_at: Date | null;
  due_at: Date | null;
  warning_fired_at: Date | null;
  breach_fired_at: Date | null;
  next_alert_at: Date | null;
  stopped_at: Date | null;
  elapsed_ms: string | null;
  lateness_ms: string | null;
  created_at: Date;
}

/** A clock to store: who it measures, under which policy, and where it stands. */
export interface ClockWrite extends ClockTimes {
  metric: SlaMetric;
  subjectType: 'request' | 'shipment';
  subjectId: string;
  subjectReference: string;
  policyId: string;
  country: string | null;
  priority: string | null;
  mode: string | null;
  carrierId: string | null;
}

export function toTimes(row: ClockRow): ClockTimes {
  return {
    targetMs: Number(row.target_ms),
    warningRatio: Number(row.warning_ratio),
    startedAt: row.started_at,
    state: row.state,
    pausedMs: Number(row.paused_ms),
    pausedAt: row.paused_at,
    warnAt: row.warn_at,
    dueAt: row.due_at,
    warningFiredAt: row.warning_fired_at,
    breachFiredAt: row.breach_fired_at,
    nextAlertAt: row.next_alert_at,
    stoppedAt: row.stopped_at,
    elapsedMs: row.elapsed_ms === null ? null : Number(row.elapsed_ms),
    latenessMs: row.lateness_ms === null ? null : Number(row.lateness_ms),
  };
}

export interface FiredClock {
  id: string;
  warningFiredAt: Date | null;
  breachFiredAt: Date | null;
  nextAlertAt: Date | null;
}

export interface RequestSubjectRow {
  id: string;
  reference: string;
  recipient_country: string;
  priority: string;
  workflow_status: string;
  received_at: Date;
  first_dispatch_at: Date | null;
  delivered_at: Date | null;
}

export interface ClockFilter {
  state?: string;
  metric?: string;
  country?: string;
  carrierId?: string;
  subjectId?: string;
  dueBefore?: Date;
}

/**
 * An open clock's state at the instant `now` (an SQL expression) as SQL over its row `c`: the
 * same rule as clockFigures(), for filtering and counting in the database.
 */
export function openClockStateSql(now: string): string {
  return `CASE WHEN c.state = 'paused' THEN 'paused'
               WHEN c.due_at <= ${now} THEN 'breaching'
               WHEN c.warning_ratio < 1 AND c.warn_at <= ${now} THEN 'at_risk'
               ELSE 'running' END`;
}

const OPEN_STATES = ['running', 'at_risk', 'breaching', 'paused'];

const PRIORITY_ORDER = `array_position(ARRAY['stat', 'asap', 'urgent', 'routine'], r.priority)`;

@Injectable()
export class SlaClocksRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policies: ActivePolicyCache,
  ) {}

  /** The policies clocks may start under (cached: ActivePolicyCache). */
  activePolicies(manager: EntityManager): Promise<PolicyTerms[]> {
    return this.policies.get('active', () => this.readActivePolicies(manager));
  }

  private async readActivePolicies(manager: EntityManager): Promise<PolicyTerms[]> {
    const rows: {
      id: string;
      metric: SlaMetric;
      target_ms: string;
      warning_ratio: string;
      match_priority: string[] | null;
      match_country: string[] | null;
      match_mode: string[] | null;
      created_at: Date;
    }[] = await manager.query(
      `SELECT id, metric, target_ms, warning_ratio, match_priority, match_country, match_mode, created_at
         FROM sla_policies WHERE archived_at IS NULL`,
    );
    return rows.map((r) => ({
      id: r.id,
      metric: r.metric,
      targetMs: Number(r.target_ms),
      warningRatio: Number(r.warning_ratio),
      match: { priority: r.match_priority, country: r.match_country, mode: r.match_mode },
      createdAt: r.created_at,
    }));
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The clocks of these subjects, locked when read in a transaction that will rewrite them (the
   * caller holds the subjects' locks: shipments, then requests, then clocks).
   */
  clocksOf(subjectIds: string[], forUpdate?: EntityManager): Promise<ClockRow[]> {
    if (subjectIds.length === 0) return Promise.resolve([]);
    return (forUpdate ?? this.dataSource.manager).query(
      `SELECT * FROM sla_clocks WHERE subject_id = ANY($1::uuid[])${forUpdate ? ' FOR UPDATE' : ''}`,
      [subjectIds],
    );
  }

  requestSubjects(manager: EntityManager, ids: string[]): Promise<RequestSubjectRow[]> {
    return manager.query(
      `SELECT id, reference, recipient_country, priority, workflow_status, received_at,
              first_dispatch_at, delivered_at
         FROM requests WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** Requests after `after` (by id) that have no clock yet. */
  async requestsWithoutClocks(after: string, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM requests r WHERE id > $1
          AND NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.subject_id = r.id)
        ORDER BY id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Dispatched shipments after `after` (by id) that have no clock yet. */
  async shipmentsWithoutClocks(after: string, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM shipments s WHERE id > $1 AND dispatched_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.subject_id = s.id)
        ORDER BY id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.id);
  }

  async withoutClocks(manager: EntityManager, ids: string[]): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM unnest($1::uuid[]) AS s(id)
        WHERE NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.subject_id = s.id)`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** The most urgent priority among the requests whose goods each shipment carries. */
  async shipmentPriorities(manager: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; priority: string | null }[] = await manager.query(
      `SELECT s.id, (SELECT r.priority FROM shipment_items si
                       JOIN order_lines ol ON ol.id = si.order_line_id
                       JOIN orders o ON o.id = ol.order_id
                       JOIN requests r ON r.id = o.request_id
                      WHERE si.shipment_id = s.id ORDER BY ${PRIORITY_ORDER} LIMIT 1) AS priority
         FROM unnest($1::uuid[]) AS s(id)`,
      [ids],
    );
    return new Map(rows.filter((r) => r.priority).map((r) => [r.id, r.priority!]));
  }

  /** Inserts or updates clocks (one per subject and metric) in one statement. */
  upsert(manager: EntityManager, clocks: ClockWrite[]): Promise<ClockRow[]> {
    if (clocks.length === 0) return Promise.resolve([]);
    return manager.query(
      `INSERT INTO sla_clocks (metric, subject_type, subject_id, subject_reference, policy_id,
              country, priority, mode, carrier_id, target_ms, warning_ratio, started_at, paused_ms,
              paused_at, state, warn_at, due_at, warning_fired_at, breach_fired_at, next_alert_at,
              stopped_at, elapsed_ms, lateness_ms)
       SELECT metric, subject_type, subject_id, subject_reference, policy_id, country, priority,
              mode, carrier_id, target_ms, warning_ratio, started_at, paused_ms, paused_at, state,
              warn_at, due_at, warning_fired_at, breach_fired_at, next_alert_at, stopped_at,
              elapsed_ms, lateness_ms
         FROM jsonb_to_recordset($1::jsonb) AS x(metric text, subject_type text, subject_id uuid,
              subject_reference text, policy_id uuid, country char(2), priority text, mode text,
              carrier_id uuid, target_ms bigint, warning_ratio numeric, started_at timestamptz,
              paused_ms bigint, paused_at timestamptz, state text, warn_at timestamptz,
              due_at timestamptz, warning_fired_at timestamptz, breach_fired_at timestamptz,
              next_alert_at timestamptz, stopped_at timestamptz, elapsed_ms bigint, lateness_ms bigint)
       ON CONFLICT (subject_id, metric) DO UPDATE SET
              started_at = excluded.started_at, paused_ms = excluded.paused_ms,
              paused_at = excluded.paused_at, state = excluded.state, warn_at = excluded.warn_at,
              due_at = excluded.due_at, warning_fired_at = excluded.warning_fired_at,
              breach_fired_at = excluded.breach_fired_at, next_alert_at = excluded.next_alert_at,
              stopped_at = excluded.stopped_at, elapsed_ms = excluded.elapsed_ms,
              lateness_ms = excluded.lateness_ms, updated_at = now()
       RETURNING *`,
      [
        JSON.stringify(
          clocks.map((c) => ({
            metric: c.metric,
            subject_type: c.subjectType,
            subject_id: c.subjectId,
            subject_reference: c.subjectReference,
            policy_id: c.policyId,
            country: c.country,
            priority: c.priority,
            mode: c.mode,
            carrier_id: c.carrierId,
            target_ms: c.targetMs,
            warning_ratio: c.warningRatio,
            started_at: c.startedAt,
            paused_ms: c.pausedMs,
            paused_at: c.pausedAt,
            state: c.state,
            warn_at: c.warnAt,
            due_at: c.dueAt,
            warning_fired_at: c.warningFiredAt,
            breach_fired_at: c.breachFiredAt,
            next_alert_at: c.nextAlertAt,
            stopped_at: c.stoppedAt,
            elapsed_ms: c.elapsedMs,
            lateness_ms: c.latenessMs,
          })),
        ),
      ],
    );
  }

  /** Locks up to `limit` running clocks owing an alert by `now`; other firers skip them. */
  lockDue(manager: EntityManager, now: Date, limit: number): Promise<ClockRow[]> {
    return manager.query(
      `SELECT * FROM sla_clocks WHERE next_alert_at <= $1 AND state = 'running'
        ORDER BY next_alert_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  /**
   * Whether clocks still owe alerts by `now`, seen from a transaction that has just settled the
   * ones it locked: what remains is held by another transaction (or has just become visible).
   */
  async anyDue(manager: EntityManager, now: Date): Promise<boolean> {
    const [row] = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM sla_clocks WHERE next_alert_at <= $1 AND state = 'running') AS due`,
      [now],
    );
    return row.due;
  }

  /** Records which alerts the clocks raised and when they owe the next. */
  async markFired(manager: EntityManager, clocks: FiredClock[]): Promise<void> {
    if (clocks.length === 0) return;
    await manager.query(
      `UPDATE sla_clocks c SET warning_fired_at = x.w, breach_fired_at = x.b, next_alert_at = x.n,
              updated_at = now()
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[]) AS x(id, w, b, n)
        WHERE c.id = x.id`,
      [
        clocks.map((c) => c.id),
        clocks.map((c) => c.warningFiredAt),
        clocks.map((c) => c.breachFiredAt),
        clocks.map((c) => c.nextAlertAt),
      ],
    );
  }

  async findById(id: string): Promise<ClockRow | undefined> {
    const rows: ClockRow[] = await this.dataSource.query(`SELECT * FROM sla_clocks WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  list(now: Date, limit: number, f: ClockFilter, after?: [string, string]): Promise<ClockRow[]> {
    const state =
      f.state && OPEN_STATES.includes(f.state)
        ? `c.state IN ('running', 'paused') AND ${openClockStateSql('$1')} = $2`
        : `($2::text IS NULL OR c.state = $2) AND $1::timestamptz IS NOT NULL`;
    return this.dataSource.query(
      `SELECT c.* FROM sla_clocks c
        WHERE ${state}
          AND ($3::text IS NULL OR c.metric = $3) AND ($4::text IS NULL OR c.country = $4)
          AND ($5::uuid IS NULL OR c.carrier_id = $5) AND ($6::uuid IS NULL OR c.subject_id = $6)
          AND ($7::timestamptz IS NULL OR c.due_at < $7)
          AND ($8::timestamptz IS NULL OR (c.created_at, c.id) < ($8, $9::uuid))
        ORDER BY c.created_at DESC, c.id DESC LIMIT $10`,
      [
        now,
        f.state ?? null,
        f.metric ?? null,
        f.country ?? null,
        f.carrierId ?? null,
        f.subjectId ?? null,
        f.dueBefore ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit,
      ],
    );
  }

  /**
   * Running clocks at risk or breaching now, the most urgent (earliest deadline) first, and how
   * many there are of each (for the console's board).
   */
  async inDanger(
    now: Date,
    limit: number,
    carrierId: string | null,
  ): Promise<{ rows: ClockRow[]; breaching: number; atRisk: number }> {
    const rows: (ClockRow & { breaching_total: string; at_risk_total: string })[] =
      await this.dataSource.query(
        `SELECT c.*,
                count(*) FILTER (WHERE c.due_at <= $1) OVER () AS breaching_total,
                count(*) FILTER (WHERE c.due_at > $1) OVER () AS at_risk_total
           FROM sla_clocks c
          WHERE c.state = 'running' AND c.warn_at <= $1
            AND ($2::uuid IS NULL OR c.carrier_id = $2)
          ORDER BY c.due_at, c.id LIMIT $3`,
        [now, carrierId, limit],
      );
    return {
      rows,
      breaching: Number(rows[0]?.breaching_total ?? 0),
      atRisk: Number(rows[0]?.at_risk_total ?? 0),
    };
  }
}
