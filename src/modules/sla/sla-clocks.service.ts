import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock, sameInstant } from '../../common/clock';
import { lockRequests } from '../../common/db/locks';
import { DomainError } from '../../common/errors/domain-error';
import {
  OnDomainEvent,
  type RequestsChanged,
  type ShipmentsChanged,
  type ShipmentState,
} from '../../common/events/domain-events';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import { OutboxService } from '../../common/queue/outbox.service';
import type { NewAlert } from '../alerts/alert-rules';
import { AlertsService } from '../alerts/alerts.service';
import { type Principal, scopeToCarrier } from '../auth/principal';
import { type ClockResponseDto, mapClock } from './dto/sla-clock.dto';
import {
  type ClockFacts,
  type ClockTimes,
  choosePolicy,
  holdsAfter,
  METRIC_SUBJECT,
  owedAlerts,
  type PolicyTerms,
  type SlaAlertKind,
  type SlaMetric,
  SLA_METRICS,
  settleClock,
} from './sla-clock';
import {
  type ClockFilter,
  type ClockRow,
  type ClockWrite,
  type FiredClock,
  SlaClocksRepository,
  toTimes,
} from './sla-clocks.repository';

/** Alert instants are rounded up to this: clocks due within one slice share one wake-up job. */
const WAKE_SLICE_MS = 100;
const FIRE_BATCH = 500;
/** When clocks owing alerts were held by another transaction, look again this much later. */
const RETRY_SKIPPED_MS = 250;

/** What a shipment's facts say, for its dispatch-to-delivery clock. */
export interface ShipmentClockInput {
  id: string;
  reference: string;
  mode: string;
  country: string | null;
  carrierId: string;
  status: string;
  dispatchedAt: Date | null;
  deliveredAt: Date | null;
  holds: { from: Date; to: Date | null }[];
}

interface Desired {
  metric: SlaMetric;
  subject: Omit<ClockWrite, keyof ClockTimes | 'metric' | 'policyId'>;
  facts: ClockFacts;
}

function sameTimes(a: ClockTimes, b: ClockTimes): boolean {
  return (
    a.state === b.state &&
    a.pausedMs === b.pausedMs &&
    a.elapsedMs === b.elapsedMs &&
    sameInstant(a.startedAt, b.startedAt) &&
    sameInstant(a.pausedAt, b.pausedAt) &&
    sameInstant(a.dueAt, b.dueAt) &&
    sameInstant(a.stoppedAt, b.stoppedAt) &&
    sameInstant(a.nextAlertAt, b.nextAlertAt)
  );
}

/** The alerts one clock owes now, and whether it may have raised a warning already. */
interface OwedAlerts {
  clock: ClockRow;
  kinds: SlaAlertKind[];
  warned: boolean;
}

const RESOLUTION: Record<string, string> = {
  met: 'clock stopped in time',
  breached: 'clock stopped late',
  cancelled: 'clock cancelled',
};

/**
 * Keeps every SLA clock in step with its request or shipment, in the transaction of the change
 * (started, stopped, paused, resumed, cancelled), and raises the warnings and breaches clocks
 * owe: BullMQ wake-ups at their instant, a sweep for any wake-up Redis lost, and exactly one
 * alert per clock and kind whatever the number of workers (a unique key in PostgreSQL).
 */
@Injectable()
export class SlaClocksService {
  constructor(
    private readonly clocks: SlaClocksRepository,
    private readonly alerts: AlertsService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** Requests changed: their clocks follow (after the roll-up, which runs first). */
  @OnDomainEvent('requests.changed', 10)
  async onRequestsChanged({ manager, requestIds }: RequestsChanged): Promise<void> {
    await this.syncRequests(manager, requestIds);
  }

  /**
   * Shipments' facts changed: their dispatch-to-delivery clocks start at dispatch, pause on
   * hold, stop at delivery and are cancelled when the goods are lost or returned.
   */
  @OnDomainEvent('shipments.changed')
  async onShipmentsChanged({ manager, changes, recomputed }: ShipmentsChanged): Promise<void> {
    const timed = changes.filter(({ before, after }) => {
      if (before.dispatchedAt === null && after.dispatchedAt === null) return false;
      return (
        recomputed ||
        !sameInstant(before.dispatchedAt, after.dispatchedAt) ||
        !sameInstant(before.deliveredAt, after.deliveredAt) ||
        clockStatus(before) !== clockStatus(after) ||
        JSON.stringify(before.holds) !== JSON.stringify(after.holds)
      );
    });
    await this.syncShipments(
      manager,
      timed.map(({ shipment, after }) => ({ ...shipment, ...after })),
    );
  }

  /**
   * Brings the clocks of these requests in step with them (call with the requests locked).
   * Returns how many clocks it started.
   */
  async syncRequests(manager: EntityManager, requestIds: string[]): Promise<number> {
    if (requestIds.length === 0) return 0;
    const requests = await this.clocks.requestSubjects(manager, [...new Set(requestIds)]);
    const desired: Desired[] = [];
    for (const r of requests) {
      const subject = {
        subjectType: 'request' as const,
        subjectId: r.id,
        subjectReference: r.reference,
        country: r.recipient_country,
        priority: r.priority,
        mode: null,
        carrierId: null,
      };
      const withdrawn = r.workflow_status === 'rejected' || r.workflow_status === 'cancelled';
      const open = { heldMs: 0, heldSince: null, startAt: r.received_at };
      desired.push(
        {
          metric: 'request_to_first_dispatch',
          subject,
          facts: { ...open, stopAt: r.first_dispatch_at, cancelled: withdrawn },
        },
        {
          metric: 'request_to_delivery',
          subject,
          facts: { ...open, stopAt: r.delivered_at, cancelled: withdrawn },
        },
      );
    }
    return this.apply(manager, desired);
  }

  /**
   * Starts the clocks of requests that have none (they existed before SLA clocks did), a batch
   * per transaction, walking the ids once; shipments go through ShipmentEventsService, which
   * folds their facts. Returns how many clocks it started: none when run again.
   */
  async backfillRequests(batch = 200): Promise<number> {
    let after = '00000000-0000-0000-0000-000000000000';
    let started = 0;
    for (;;) {
      const ids = await this.clocks.requestsWithoutClocks(after, batch);
      if (ids.length === 0) return started;
      started += await this.clocks.transaction(async (manager) => {
        await lockRequests(manager, ids);
        return this.syncRequests(manager, ids);
      });
      after = ids[ids.length - 1];
    }
  }

  /** Dispatched shipments after `after` that have no clock yet, for their backfill. */
  shipmentsWithoutClocks(after: string, limit: number): Promise<string[]> {
    return this.clocks.shipmentsWithoutClocks(after, limit);
  }

  /** Those of these shipments that have no dispatch-to-delivery clock. */
  withoutClocks(manager: EntityManager, shipmentIds: string[]): Promise<string[]> {
    return this.clocks.withoutClocks(manager, shipmentIds);
  }

  /** Brings the dispatch-to-delivery clocks of these shipments in step (shipments locked). */
  async syncShipments(manager: EntityManager, shipments: ShipmentClockInput[]): Promise<number> {
    if (shipments.length === 0) return 0;
    return this.apply(
      manager,
      shipments.map((s) => {
        const start = s.status === 'cancelled' ? null : s.dispatchedAt;
        return {
          metric: 'dispatch_to_delivery' as const,
          subject: {
            subjectType: 'shipment' as const,
            subjectId: s.id,
            subjectReference: s.reference,
            country: s.country,
            priority: null,
            mode: s.mode,
            carrierId: s.carrierId,
          },
          facts: {
            startAt: start,
            stopAt: s.status === 'delivered' ? s.deliveredAt : null,
            cancelled: s.status === 'lost' || s.status === 'returned',
            ...(start ? holdsAfter(s.holds, start) : { heldMs: 0, heldSince: null }),
          },
        };
      }),
    );
  }

  /** Writes the clocks that changed; returns how many it started. */
  private async apply(manager: EntityManager, desired: Desired[]): Promise<number> {
    const existing = new Map(
      (
        await this.clocks.clocksOf(
          desired.map((d) => d.subject.subjectId),
          manager,
        )
      ).map((c) => [`${c.subject_id}/${c.metric}`, c]),
    );
    const starting = desired.filter(
      (d) => d.facts.startAt && !existing.has(`${d.subject.subjectId}/${d.metric}`),
    );
    let policies: PolicyTerms[] = [];
    if (starting.length > 0) {
      policies = await this.clocks.activePolicies(manager);
      const shipments = starting.filter((d) => d.subject.subjectType === 'shipment');
      const priorities = await this.clocks.shipmentPriorities(
        manager,
        shipments.map((d) => d.subject.subjectId),
      );
      for (const d of shipments) d.subject.priority = priorities.get(d.subject.subjectId) ?? null;
    }

    const writes: ClockWrite[] = [];
    let started = 0;
    for (const d of desired) {
      const current = existing.get(`${d.subject.subjectId}/${d.metric}`);
      if (!current) {
        if (!d.facts.startAt) continue;
        const policy = choosePolicy(policies, d.metric, d.subject);
        if (!policy) continue;
        const times = settleClock(policy, { ...d.facts, startAt: d.facts.startAt });
        writes.push({ ...d.subject, metric: d.metric, policyId: policy.id, ...times });
        started++;
        continue;
      }
      const before = toTimes(current);
      // A clock whose start was withdrawn (a voided dispatch) no longer measures anything.
      const facts = d.facts.startAt
        ? { ...d.facts, startAt: d.facts.startAt }
        : { ...d.facts, startAt: current.started_at, stopAt: null, cancelled: true };
      // A clock that starts again (a corrected dispatch, a revived cancelled clock) is a new
      // run: it owes its own warning and breach (their keys carry the start).
      const restarted =
        facts.startAt.getTime() !== current.started_at.getTime() ||
        (current.state === 'cancelled' && !facts.cancelled);
      const after = settleClock(before, facts, restarted ? undefined : before);
      if (sameTimes(before, after)) continue;
      writes.push({
        ...d.subject,
        priority: current.priority,
        metric: d.metric,
        policyId: current.policy_id,
        ...after,
      });
    }
    // A clock written past its warning or deadline (a back-dated request or dispatch) owes
    // its alert now: it is raised with this change, not by a wake-up job a moment later.
    const now = this.clock.now();
    const owed = new Map<string, SlaAlertKind[]>();
    for (const write of writes) {
      if (!write.nextAlertAt || write.nextAlertAt.getTime() > now.getTime()) continue;
      const { kinds, clock } = owedAlerts(write, now);
      Object.assign(write, clock);
      if (kinds.length > 0) owed.set(`${write.subjectId}/${write.metric}`, kinds);
    }
    const saved = await this.clocks.upsert(manager, writes);
    // A clock that ended resolves its alerts: only one that has raised any (in this run or,
    // restarted, in the one before) may have some open.
    const fired = (c: ClockRow | undefined) =>
      c !== undefined && (c.warning_fired_at !== null || c.breach_fired_at !== null);
    const ended = saved.filter(
      (c) =>
        (c.state === 'met' || c.state === 'breached' || c.state === 'cancelled') &&
        (fired(c) || fired(existing.get(`${c.subject_id}/${c.metric}`))),
    );
    for (const state of ['met', 'breached', 'cancelled']) {
      await this.alerts.resolve(
        manager,
        {
          clockIds: ended.filter((c) => c.state === state).map((c) => c.id),
          kinds: ['sla_warning', 'sla_breach'],
        },
        RESOLUTION[state],
      );
    }
    await this.raiseOwed(
      manager,
      saved.map((clock) => {
        const key = `${clock.subject_id}/${clock.metric}`;
        return {
          clock,
          kinds: owed.get(key) ?? [],
          warned: Boolean(existing.get(key)?.warning_fired_at),
        };
      }),
    );
    await this.scheduleWakeups(
      manager,
      saved.flatMap((c) => (c.next_alert_at ? [c.next_alert_at] : [])),
    );
    return started;
  }

  /**
   * Queues a wake-up at each instant, rounded up to a 100 ms slice: all clocks due in one slice
   * share one job (a deterministic id, so BullMQ adds it once). A slice less than a second away
   * gets a job of its own: a shared id might belong to a job that already ran (clock skew).
   * The instants are the injected clock's; the job runs at the real moment the clock shows
   * them (the same moment, unless the clock is scaled: CLOCK_ANCHOR).
   */
  private async scheduleWakeups(manager: EntityManager, instants: Date[]): Promise<void> {
    if (instants.length === 0) return;
    const slices = new Set(
      instants.map((i) => Math.ceil(i.getTime() / WAKE_SLICE_MS) * WAKE_SLICE_MS),
    );
    await this.outbox.enqueueMany(
      manager,
      [...slices].map((slice) => {
        const at = new Date(slice);
        const waitMs = this.clock.msUntil(at);
        return {
          item: { name: 'fire-sla-alerts' as const, data: { at: at.toISOString() } },
          runAt: new Date(Date.now() + Math.ceil(waitMs)),
          jobId: waitMs > 1_000 ? `sla-alerts-${slice}` : undefined,
        };
      }),
    );
  }

  /**
   * Raises every warning and breach owed by now, a batch of clocks per transaction; the
   * wake-up jobs and the sweep both call this. Clocks another transaction holds (a firer, an
   * event) are skipped, and a wake-up is queued for a moment later, so they are not left to
   * the sweep; the unique key of each alert makes a second raise a no-op anyway.
   */
  async fireDue(): Promise<number> {
    let raised = 0;
    for (;;) {
      const { locked, count, skipped } = await this.clocks.transaction(async (manager) => {
        const now = this.clock.now();
        const due = await this.clocks.lockDue(manager, now, FIRE_BATCH);
        const fired: FiredClock[] = [];
        const owed: OwedAlerts[] = [];
        for (const row of due) {
          const { kinds, clock } = owedAlerts(toTimes(row), now);
          fired.push({ id: row.id, ...clock });
          owed.push({ clock: row, kinds, warned: true });
        }
        await this.clocks.markFired(manager, fired);
        const count = await this.raiseOwed(manager, owed);
        const skipped = due.length < FIRE_BATCH && (await this.clocks.anyDue(manager, now));
        // A warning raised leaves the breach owed: wake up for it too, and soon for the skipped.
        await this.scheduleWakeups(manager, [
          ...fired.flatMap((c) => (c.nextAlertAt ? [c.nextAlertAt] : [])),
          ...(skipped ? [new Date(now.getTime() + RETRY_SKIPPED_MS)] : []),
        ]);
        return { locked: due.length, count, skipped };
      });
      raised += count;
      if (locked < FIRE_BATCH || skipped) return raised;
    }
  }

  /**
   * Raises the warnings and breaches clocks owe; a breach resolves the warning it supersedes
   * (of a clock that may have raised one). Returns how many alerts were stored.
   */
  private async raiseOwed(manager: EntityManager, owed: OwedAlerts[]): Promise<number> {
    await this.alerts.resolve(
      manager,
      {
        clockIds: owed
          .filter((o) => o.warned && o.kinds.includes('sla_breach'))
          .map((o) => o.clock.id),
        kinds: ['sla_warning'],
      },
      'superseded by the breach',
    );
    const rows = await this.alerts.raise(
      manager,
      owed.flatMap((o) => o.kinds.map((kind) => slaAlert(o.clock, kind))),
    );
    return rows.length;
  }

  async get(id: string, by: Principal): Promise<ClockResponseDto> {
    const row = await this.clocks.findById(id);
    if (!row || (by.carrierId && row.carrier_id !== by.carrierId)) {
      throw new DomainError('not_found', `SLA clock ${id} does not exist.`);
    }
    return mapClock(row, this.clock.now());
  }

  async list(
    limit: number,
    filter: ClockFilter,
    by: Principal,
    cursor?: string,
  ): Promise<Page<ClockResponseDto>> {
    const after = cursor
      ? (decodeCursor(cursor, ['timestamp', 'uuid']) as [string, string])
      : undefined;
    const now = this.clock.now();
    const rows = await this.clocks.list(now, limit + 1, scopeToCarrier(filter, by), after);
    return toPage(
      rows,
      limit,
      (r) => mapClock(r, now),
      (r) => [r.created_at.toISOString(), r.id],
    );
  }

  /** Clocks at risk or breaching now, most urgent first, with the count of each (the board). */
  async inDanger(
    limit: number,
    by: Principal,
  ): Promise<{ clocks: ClockResponseDto[]; breaching: number; atRisk: number }> {
    const now = this.clock.now();
    const found = await this.clocks.inDanger(now, limit, by.carrierId);
    return {
      clocks: found.rows.map((r) => mapClock(r, now)),
      breaching: found.breaching,
      atRisk: found.atRisk,
    };
  }

  /** The clocks of requests or shipments, for their responses. */
  async ofSubjects(subjectIds: string[]): Promise<Map<string, ClockResponseDto[]>> {
    const now = this.clock.now();
    const rows = await this.clocks.clocksOf(subjectIds);
    const bySubject = new Map<string, ClockResponseDto[]>();
    for (const row of rows.sort(
      (a, b) => SLA_METRICS.indexOf(a.metric) - SLA_METRICS.indexOf(b.metric),
    )) {
      const list = bySubject.get(row.subject_id) ?? [];
      list.push(mapClock(row, now));
      bySubject.set(row.subject_id, list);
    }
    return bySubject;
  }
}

/** What of a status matters to an SLA clock: stopped, cancelled, paused or running. */
function clockStatus(state: ShipmentState): string {
  const { status } = state;
  if (status === 'delivered' || status === 'on_hold' || status === 'cancelled') return status;
  return status === 'lost' || status === 'returned' ? 'lost' : 'running';
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 1 ? `${Math.round(h * 10) / 10} h` : `${Math.round(ms / 1000)} s`;
}

function slaAlert(row: ClockRow, kind: SlaAlertKind): NewAlert {
  const times = toTimes(row);
  const what = row.metric.replaceAll('_', ' ');
  const subject = METRIC_SUBJECT[row.metric] === 'request' ? 'requestId' : 'shipmentId';
  return {
    kind,
    // One per clock, kind and run (a clock that starts again is a new run).
    dedupeKey: `${kind}:${row.id}:${row.started_at.getTime()}`,
    severity: kind === 'sla_breach' ? 'critical' : 'warning',
    reference: row.subject_reference,
    title:
      kind === 'sla_breach'
        ? `${row.subject_reference} missed its ${hours(times.targetMs)} ${what} target`
        : `${row.subject_reference} has used ${Math.round(times.warningRatio * 100)} % of its ${hours(times.targetMs)} ${what} target`,
    details: {
      metric: row.metric,
      policyId: row.policy_id,
      targetSeconds: times.targetMs / 1000,
      startedAt: row.started_at,
      warnAt: row.warn_at,
      dueAt: row.due_at,
      priority: row.priority,
      mode: row.mode,
    },
    clockId: row.id,
    [subject]: row.subject_id,
    country: row.country,
    carrierId: row.carrier_id,
    causeAt: kind === 'sla_breach' ? row.due_at! : row.warn_at!,
  };
}
