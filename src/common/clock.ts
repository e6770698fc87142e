/**
 * The time. Injected wherever a decision depends on "now" (SLA clocks, alert sweeps), so
 * tests can set it instead of sleeping.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
