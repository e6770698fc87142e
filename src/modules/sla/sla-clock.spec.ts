import {
  choosePolicy,
  clockFigures,
  holdsAfter,
  owedAlerts,
  parseDuration,
  type PolicyTerms,
  settleClock,
} from './sla-clock';

const H = 3_600_000;
const t0 = new Date('2020-03-20T08:00:00Z');
const plus = (ms: number) => new Date(t0.getTime() + ms);
const open = { stopAt: null, cancelled: false, heldMs: 0, heldSince: null };
const terms = { targetMs: 96 * H, warningRatio: 0.75 };

function policy(
  id: string,
  over: Partial<Omit<PolicyTerms, 'match'>> & { match?: Partial<PolicyTerms['match']> },
) {
  return {
    id,
    metric: 'request_to_first_dispatch' as const,
    targetMs: 96 * H,
    warningRatio: 0.75,
    createdAt: t0,
    ...over,
    match: { priority: null, country: null, mode: null, ...over.match },
  };
}

describe('parseDuration', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    expect(parseDuration('PT96H')).toBe(96 * H);
    expect(parseDuration('P1W2DT3H4M5.5S')).toBe(
      7 * 24 * H + 2 * 24 * H + 3 * H + 4 * 60_000 + 5_500,
    );
    expect(parseDuration('PT2S')).toBe(2_000);
  });

  it('refuses years, months, zero, empty parts and more than a year', () => {
    for (const bad of ['P1Y', 'P1M', 'PT0S', 'P', 'PT', '96H', 'P400D', 'PT-1H', 'pt96h']) {
      expect(parseDuration(bad)).toHaveProperty('error');
    }
  });
});

describe('choosePolicy', () => {
  const general = policy('a', {});
  const stat = policy('b', { targetMs: 48 * H, match: { priority: ['stat'] } });
  const statAf = policy('c', { targetMs: 24 * H, match: { priority: ['stat'], country: ['AF'] } });
  const newerGeneral = policy('d', { createdAt: plus(H) });

  it('takes the most specific matching policy', () => {
    const policies = [general, stat, statAf];
    expect(
      choosePolicy(policies, 'request_to_first_dispatch', {
        priority: 'stat',
        country: 'AF',
        mode: null,
      })?.id,
    ).toBe('c');
    expect(
      choosePolicy(policies, 'request_to_first_dispatch', {
        priority: 'stat',
        country: 'NE',
        mode: null,
      })?.id,
    ).toBe('b');
    expect(
      choosePolicy(policies, 'request_to_first_dispatch', {
        priority: 'routine',
        country: 'AF',
        mode: null,
      })?.id,
    ).toBe('a');
  });

  it('breaks ties between equally specific policies by the newest', () => {
    expect(
      choosePolicy([newerGeneral, general], 'request_to_first_dispatch', {
        priority: 'urgent',
        country: 'SD',
        mode: null,
      })?.id,
    ).toBe('d');
    expect(
      choosePolicy([general, newerGeneral], 'request_to_first_dispatch', {
        priority: 'urgent',
        country: 'SD',
        mode: null,
      })?.id,
    ).toBe('d');
  });

  it('never lets a mode policy match a subject without a mode, nor another metric', () => {
    const air = policy('e', { metric: 'dispatch_to_delivery', match: { mode: ['air_cargo'] } });
    expect(
      choosePolicy([air], 'dispatch_to_delivery', { priority: null, country: 'AF', mode: null }),
    ).toBeUndefined();
    expect(
      choosePolicy([air], 'dispatch_to_delivery', {
        priority: null,
        country: 'AF',
        mode: 'air_cargo',
      })?.id,
    ).toBe('e');
    expect(
      choosePolicy([air], 'request_to_delivery', {
        priority: null,
        country: 'AF',
        mode: 'air_cargo',
      }),
    ).toBeUndefined();
  });
});

describe('settleClock', () => {
  it('sets the warning at the ratio of the target and the deadline at the target', () => {
    const clock = settleClock(terms, { ...open, startAt: t0 });
    expect(clock.state).toBe('running');
    expect(clock.warnAt).toEqual(plus(72 * H));
    expect(clock.dueAt).toEqual(plus(96 * H));
    expect(clock.nextAlertAt).toEqual(plus(72 * H));
  });

  it('is met when stopped by the deadline, breached with its lateness after it', () => {
    const met = settleClock(terms, { ...open, startAt: t0, stopAt: plus(96 * H) });
    expect(met).toMatchObject({
      state: 'met',
      elapsedMs: 96 * H,
      latenessMs: 0,
      nextAlertAt: null,
    });
    const late = settleClock(terms, { ...open, startAt: t0, stopAt: plus(100 * H) });
    expect(late).toMatchObject({ state: 'breached', elapsedMs: 100 * H, latenessMs: 4 * H });
  });

  it('pauses on hold and pushes both thresholds back by the time held once resumed', () => {
    const paused = settleClock(terms, { ...open, startAt: t0, heldSince: plus(10 * H) });
    expect(paused).toMatchObject({ state: 'paused', warnAt: null, dueAt: null, nextAlertAt: null });
    expect(clockFigures(paused, plus(50 * H)).elapsedMs).toBe(10 * H);

    const resumed = settleClock(terms, { ...open, startAt: t0, heldMs: 40 * H });
    expect(resumed.dueAt).toEqual(plus(136 * H));
    expect(resumed.warnAt).toEqual(plus(112 * H));
    const stopped = settleClock(terms, {
      ...open,
      startAt: t0,
      heldMs: 40 * H,
      stopAt: plus(130 * H),
    });
    expect(stopped).toMatchObject({ state: 'met', elapsedMs: 90 * H });
  });

  it('is cancelled when the promise no longer applies, and owes nothing then', () => {
    const clock = settleClock(terms, { ...open, startAt: t0, cancelled: true });
    expect(clock).toMatchObject({ state: 'cancelled', nextAlertAt: null, dueAt: null });
    expect(owedAlerts(clock, plus(200 * H)).kinds).toEqual([]);
  });

  it('keeps the alerts already fired when it settles again', () => {
    const fired = { warningFiredAt: plus(72 * H), breachFiredAt: null };
    const clock = settleClock(terms, { ...open, startAt: t0 }, fired);
    expect(clock.nextAlertAt).toEqual(plus(96 * H));
  });
});

describe('owedAlerts', () => {
  const clock = settleClock(terms, { ...open, startAt: t0 });

  it('owes nothing before the warning, the warning at it, the breach at the deadline', () => {
    expect(owedAlerts(clock, plus(72 * H - 1)).kinds).toEqual([]);
    const warned = owedAlerts(clock, plus(72 * H));
    expect(warned.kinds).toEqual(['sla_warning']);
    expect(warned.clock.nextAlertAt).toEqual(plus(96 * H));
    expect(owedAlerts(warned.clock, plus(80 * H)).kinds).toEqual([]);
    const breached = owedAlerts(warned.clock, plus(96 * H));
    expect(breached.kinds).toEqual(['sla_breach']);
    expect(breached.clock.nextAlertAt).toBeNull();
    expect(owedAlerts(breached.clock, plus(500 * H)).kinds).toEqual([]);
  });

  it('owes only the breach when the deadline passed before the warning was raised', () => {
    const late = owedAlerts(clock, plus(97 * H));
    expect(late.kinds).toEqual(['sla_breach']);
    expect(late.clock.nextAlertAt).toBeNull();
  });

  it('owes no warning with a warning ratio of 1', () => {
    const noWarning = settleClock({ targetMs: 10 * H, warningRatio: 1 }, { ...open, startAt: t0 });
    expect(noWarning.nextAlertAt).toEqual(plus(10 * H));
    expect(owedAlerts(noWarning, plus(10 * H)).kinds).toEqual(['sla_breach']);
  });
});

describe('clockFigures', () => {
  const clock = settleClock(terms, { ...open, startAt: t0 });

  it('reports elapsed, remaining and share used, and the state the time gives', () => {
    expect(clockFigures(clock, plus(24 * H))).toEqual({
      state: 'running',
      elapsedMs: 24 * H,
      remainingMs: 72 * H,
      shareUsed: 0.25,
    });
    expect(clockFigures(clock, plus(80 * H)).state).toBe('at_risk');
    expect(clockFigures(clock, plus(100 * H))).toMatchObject({
      state: 'breaching',
      remainingMs: -4 * H,
    });
  });
});

describe('holdsAfter', () => {
  it('counts closed holds after the start and reports the open one', () => {
    const holds = [
      { from: plus(-5 * H), to: plus(2 * H) },
      { from: plus(10 * H), to: plus(13 * H) },
      { from: plus(20 * H), to: null },
    ];
    expect(holdsAfter(holds, t0)).toEqual({ heldMs: 5 * H, heldSince: plus(20 * H) });
  });
});
