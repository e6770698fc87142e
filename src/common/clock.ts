/**
 * The time. Injected wherever a decision depends on "now" (SLA clocks, alert sweeps), so
 * tests can set it instead of sleeping.
 */
export abstract class Clock {
  abstract now(): Date;

  /**
   * Real milliseconds until this clock shows `instant` (negative once past): what a timer or a
   * delayed job must wait. A clock that runs at the speed of real time (the default) waits the
   * difference.
   */
  msUntil(instant: Date): number {
    return instant.getTime() - this.now().getTime();
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** `<ISO 8601 instant>@<real epoch ms>`, e.g. `2020-01-15T00:00:00Z@1764170000000`. */
const ANCHOR =
  /^((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))@(\d{1,15})$/;

/** Reads CLOCK_ANCHOR; undefined if it is not of the form `<instant>@<epoch ms>`. */
export function parseClockAnchor(text: string): { simulated: number; real: number } | undefined {
  const match = ANCHOR.exec(text.trim());
  if (!match) return undefined;
  const [, instant, year, month, day, hour, minute, second = '0', real] = match;
  // Date.parse rolls 2020-02-30 over to March 1st: refuse dates and times that do not exist.
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    date.getUTCMonth() !== Number(month) - 1 ||
    date.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  )
    return undefined;
  const simulated = Date.parse(instant);
  if (!Number.isFinite(simulated)) return undefined;
  return { simulated, real: Number(real) };
}

/**
 * Simulated time for demos and replays: at real instant `anchor.real` it shows
 * `anchor.simulated`, and from there runs `rate` times as fast as real time (80,000: a day in
 * about a second). Never used unless CLOCK_ANCHOR is set.
 */
export class ScaledClock extends Clock {
  constructor(
    readonly anchor: { simulated: number; real: number },
    readonly rate: number,
    private readonly realNow: () => number = Date.now,
  ) {
    super();
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be > 0: ${rate}`);
  }

  now(): Date {
    return new Date(Math.round(this.simulatedAt(this.realNow())));
  }

  override msUntil(instant: Date): number {
    return (instant.getTime() - this.simulatedAt(this.realNow())) / this.rate;
  }

  private simulatedAt(real: number): number {
    return this.anchor.simulated + (real - this.anchor.real) * this.rate;
  }
}

/** The clock the environment asks for: scaled when CLOCK_ANCHOR is set, else the system's. */
export function clockFromEnv(env: { CLOCK_ANCHOR?: string; CLOCK_RATE: number }): Clock {
  if (!env.CLOCK_ANCHOR) return new SystemClock();
  const anchor = parseClockAnchor(env.CLOCK_ANCHOR);
  if (!anchor) throw new Error(`CLOCK_ANCHOR=${env.CLOCK_ANCHOR} is not <instant>@<epoch ms>`);
  return new ScaledClock(anchor, env.CLOCK_RATE);
}

/** Whether two optional instants are the same (both absent counts as the same). */
export function sameInstant(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}
