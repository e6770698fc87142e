/**
 * SLA clock arithmetic (DESIGN.md "SLA clocks"), as plain functions of the facts and of
 * "now": which policy a request or shipment falls under, where its clock stands, which alerts
 * it owes. Clocks run 24/7 and pause while a shipment is on hold.
 */
export const SLA_METRICS = [
  'request_to_first_dispatch',
  'dispatch_to_delivery',
  'request_to_delivery',
] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

export const METRIC_SUBJECT: Record<SlaMetric, 'request' | 'shipment'> = {
  request_to_first_dispatch: 'request',
  request_to_delivery: 'request',
  dispatch_to_delivery: 'shipment',
};

export const STORED_CLOCK_STATES = ['running', 'paused', 'met', 'breached', 'cancelled'] as const;
export type StoredClockState = (typeof STORED_CLOCK_STATES)[number];
export const CLOCK_STATES = [
  'running',
  'at_risk',
  'breaching',
  'paused',
  'met',
  'breached',
  'cancelled',
] as const;
export type ClockState = (typeof CLOCK_STATES)[number];

const MS = { W: 7 * 86_400_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1_000 } as const;
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/**
 * The length of an ISO 8601 duration in ms. Years and months have no fixed length, so a
 * target is given in weeks, days, hours, minutes and seconds (`PT96H`, `P3D`, `PT90S`).
 */
export function parseDuration(text: string): number | { error: string } {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    return {
      error: 'must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. PT96H',
    };
  }
  const [, w, d, h, min, s] = m;
  const ms =
    Number(w ?? 0) * MS.W +
    Number(d ?? 0) * MS.D +
    Number(h ?? 0) * MS.H +
    Number(min ?? 0) * MS.M +
    Math.round(Number(s ?? 0) * MS.S);
  if (ms <= 0) return { error: 'must be longer than zero' };
  if (ms > 366 * MS.D) return { error: 'must not exceed a year (P366D)' };
  return ms;
}

export interface PolicyMatch {
  priority: string[] | null;
  country: string[] | null;
  mode: string[] | null;
}

export interface PolicyTerms {
  id: string;
  metric: SlaMetric;
  targetMs: number;
  warningRatio: number;
  match: PolicyMatch;
  createdAt: Date;
}

/** What a policy may match on. A request has no mode. */
export interface ClockSubject {
  priority: string | null;
  country: string | null;
  mode: string | null;
}

export function matches(match: PolicyMatch, subject: ClockSubject): boolean {
  const fits = (list: string[] | null, value: string | null) =>
    list === null || (value !== null && list.includes(value));
  return (
    fits(match.priority, subject.priority) &&
    fits(match.country, subject.country) &&
    fits(match.mode, subject.mode)
  );
}

export function specificity(match: PolicyMatch): number {
  return [match.priority, match.country, match.mode].filter((l) => l !== null).length;
}

/** The policy for one metric: the most specific match (most match fields), then the newest. */
export function choosePolicy<P extends PolicyTerms>(
  policies: P[],
  metric: SlaMetric,
  subject: ClockSubject,
): P | undefined {
  let best: P | undefined;
  for (const policy of policies) {
    if (policy.metric !== metric || !matches(policy.match, subject)) continue;
    if (
      !best ||
      specificity(policy.match) > specificity(best.match) ||
      (specificity(policy.match) === specificity(best.match) &&
        (policy.createdAt.getTime() > best.createdAt.getTime() ||
          (policy.createdAt.getTime() === best.createdAt.getTime() && policy.id > best.id)))
    ) {
      best = policy;
    }
  }
  return best;
}

/** What the subject's facts say about one clock. */
export interface ClockFacts {
  /** When the clock starts (request received, goods dispatched); null: not started. */
  startAt: Date | null;
  /** When it stops (first dispatch, delivery); null: still open. */
  stopAt: Date | null;
  /** The promise no longer applies (request rejected or cancelled, goods lost or returned). */
  cancelled: boolean;
  /** Time on hold since the start, in closed holds. */
  heldMs: number;
  /** The start of the hold the subject is in now. */
  heldSince: Date | null;
}

/** The target a clock started with, and where it stands. */
export interface ClockTimes {
  targetMs: number;
  warningRatio: number;
  startedAt: Date;
  state: StoredClockState;
  pausedMs: number;
  pausedAt: Date | null;
  warnAt: Date | null;
  dueAt: Date | null;
  /** Set when the warning was raised, or passed over because the breach came first. */
  warningFiredAt: Date | null;
  breachFiredAt: Date | null;
  nextAlertAt: Date | null;
  stoppedAt: Date | null;
  elapsedMs: number | null;
  latenessMs: number | null;
}

const at = (ms: number) => new Date(ms);

/** A warning ratio of 1 means no warning: the deadline is the only threshold. */
function warns(t: Pick<ClockTimes, 'warningRatio'>): boolean {
  return t.warningRatio < 1;
}

function nextAlert(t: Omit<ClockTimes, 'nextAlertAt'>): Date | null {
  if (t.state !== 'running') return null;
  if (!t.warningFiredAt && warns(t)) return t.warnAt;
  if (!t.breachFiredAt) return t.dueAt;
  return null;
}

/**
 * Where a clock stands given its subject's facts: started at `startAt` with a policy's target
 * (kept for life; a policy change applies to new clocks), paused for the holds, stopped as met
 * or breached, or cancelled. Which alerts already fired is kept from `previous`.
 */
export function settleClock(
  terms: { targetMs: number; warningRatio: number },
  facts: ClockFacts & { startAt: Date },
  previous?: Pick<ClockTimes, 'warningFiredAt' | 'breachFiredAt'>,
): ClockTimes {
  const startedAt = facts.startAt;
  const pausedMs = facts.heldMs;
  const fired = {
    warningFiredAt: previous?.warningFiredAt ?? null,
    breachFiredAt: previous?.breachFiredAt ?? null,
  };
  const base = { ...terms, startedAt, pausedMs, ...fired };
  let times: Omit<ClockTimes, 'nextAlertAt'>;
  if (facts.stopAt) {
    const elapsedMs = Math.max(0, facts.stopAt.getTime() - startedAt.getTime() - pausedMs);
    times = {
      ...base,
      state: elapsedMs <= terms.targetMs ? 'met' : 'breached',
      pausedAt: null,
      warnAt: null,
      dueAt: null,
      stoppedAt: facts.stopAt,
      elapsedMs,
      latenessMs: Math.max(0, elapsedMs - terms.targetMs),
    };
  } else if (facts.cancelled) {
    times = {
      ...base,
      state: 'cancelled',
      pausedAt: null,
      warnAt: null,
      dueAt: null,
      stoppedAt: null,
      elapsedMs: null,
      latenessMs: null,
    };
  } else {
    const paused = facts.heldSince !== null;
    const shift = startedAt.getTime() + pausedMs;
    times = {
      ...base,
      state: paused ? 'paused' : 'running',
      pausedAt: facts.heldSince,
      warnAt: paused ? null : at(shift + Math.round(terms.targetMs * terms.warningRatio)),
      dueAt: paused ? null : at(shift + terms.targetMs),
      stoppedAt: null,
      elapsedMs: null,
      latenessMs: null,
    };
  }
  return { ...times, nextAlertAt: nextAlert(times) };
}

export type SlaAlertKind = 'sla_warning' | 'sla_breach';

/**
 * The alerts a running clock owes at `now`, and the clock after raising them. A deadline
 * already passed owes the breach only: a warning raised after the breach would be noise.
 */
export function owedAlerts(
  clock: ClockTimes,
  now: Date,
): { kinds: SlaAlertKind[]; clock: ClockTimes } {
  if (clock.state !== 'running' || !clock.dueAt || !clock.warnAt) return { kinds: [], clock };
  const kinds: SlaAlertKind[] = [];
  let { warningFiredAt, breachFiredAt } = clock;
  if (!breachFiredAt && clock.dueAt.getTime() <= now.getTime()) {
    kinds.push('sla_breach');
    breachFiredAt = now;
    warningFiredAt ??= now;
  } else if (!warningFiredAt && warns(clock) && clock.warnAt.getTime() <= now.getTime()) {
    kinds.push('sla_warning');
    warningFiredAt = now;
  }
  const next = { ...clock, warningFiredAt, breachFiredAt };
  return { kinds, clock: { ...next, nextAlertAt: nextAlert(next) } };
}

export interface ClockFigures {
  state: ClockState;
  elapsedMs: number;
  remainingMs: number;
  shareUsed: number;
}

/** A clock's figures as of `now`: open clocks are at risk past the warning, breaching past the deadline. */
export function clockFigures(clock: ClockTimes, now: Date): ClockFigures {
  let elapsedMs: number;
  if (clock.elapsedMs !== null) elapsedMs = clock.elapsedMs;
  else if (clock.state === 'cancelled') elapsedMs = 0;
  else {
    const until = clock.pausedAt ?? now;
    elapsedMs = Math.max(0, until.getTime() - clock.startedAt.getTime() - clock.pausedMs);
  }
  let state: ClockState = clock.state;
  if (clock.state === 'running') {
    if (elapsedMs >= clock.targetMs) state = 'breaching';
    else if (warns(clock) && elapsedMs >= clock.targetMs * clock.warningRatio) state = 'at_risk';
  }
  return {
    state,
    elapsedMs,
    remainingMs: clock.targetMs - elapsedMs,
    shareUsed: Math.round((elapsedMs / clock.targetMs) * 10_000) / 10_000,
  };
}

/** Closed and open holds after `from` (a clock's start), from a shipment's status history. */
export function holdsAfter(
  holds: { from: Date; to: Date | null }[],
  start: Date,
): { heldMs: number; heldSince: Date | null } {
  let heldMs = 0;
  let heldSince: Date | null = null;
  for (const hold of holds) {
    const from = Math.max(hold.from.getTime(), start.getTime());
    if (hold.to === null) heldSince = at(from);
    else if (hold.to.getTime() > from) heldMs += hold.to.getTime() - from;
  }
  return { heldMs, heldSince };
}
