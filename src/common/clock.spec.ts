import { Clock, clockFromEnv, parseClockAnchor, ScaledClock, SystemClock } from './clock';

const SIM = Date.parse('2020-01-20T00:00:00Z');
const REAL = 1_764_170_000_000;
const DAY = 24 * 3600 * 1000;

describe('ScaledClock', () => {
  let real = REAL;
  const clock = new ScaledClock({ simulated: SIM, real: REAL }, 80_000, () => real);

  it('shows the anchor at its real instant, then runs rate times as fast', () => {
    real = REAL;
    expect(clock.now().toISOString()).toBe('2020-01-20T00:00:00.000Z');
    real = REAL + 1_080; // 1.08 real seconds = 86.4 million simulated ms = a day
    expect(clock.now().getTime()).toBe(SIM + DAY);
    real = REAL - 1_080; // before the anchor it runs backwards from it, just as fast
    expect(clock.now().getTime()).toBe(SIM - DAY);
  });

  it('says how many real milliseconds remain until it shows an instant', () => {
    real = REAL;
    expect(clock.msUntil(new Date(SIM + DAY))).toBeCloseTo(1_080, 6);
    expect(clock.msUntil(new Date(SIM + 96 * 3600 * 1000))).toBeCloseTo(4_320, 6);
    expect(clock.msUntil(new Date(SIM))).toBe(0);
    real = REAL + 2_160;
    expect(clock.msUntil(new Date(SIM + DAY))).toBeCloseTo(-1_080, 6);
  });

  it('at rate 1 anchored on the real instant is the system time', () => {
    real = REAL;
    const plain = new ScaledClock({ simulated: REAL, real: REAL }, 1, () => real);
    expect(plain.now().getTime()).toBe(REAL);
    expect(plain.msUntil(new Date(REAL + 5_000))).toBe(5_000);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new ScaledClock({ simulated: SIM, real: REAL }, 0)).toThrow(RangeError);
    expect(() => new ScaledClock({ simulated: SIM, real: REAL }, -2)).toThrow(RangeError);
    expect(() => new ScaledClock({ simulated: SIM, real: REAL }, NaN)).toThrow(RangeError);
  });
});

describe('Clock.msUntil', () => {
  it('is the difference for the system clock', () => {
    const inAMinute = new Date(Date.now() + 60_000);
    const ms = new SystemClock().msUntil(inAMinute);
    expect(ms).toBeGreaterThan(59_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('is the difference for a clock a test sets (the default implementation)', () => {
    class SetClock extends Clock {
      now(): Date {
        return new Date(SIM);
      }
    }
    expect(new SetClock().msUntil(new Date(SIM + 1_234))).toBe(1_234);
  });
});

describe('parseClockAnchor', () => {
  it('reads <instant>@<real epoch ms>', () => {
    expect(parseClockAnchor('2020-01-20T00:00:00Z@1764170000000')).toEqual({
      simulated: SIM,
      real: REAL,
    });
    expect(parseClockAnchor('2020-01-20T02:00+02:00@5')).toEqual({ simulated: SIM, real: 5 });
    expect(parseClockAnchor('2020-01-20T00:00:00.250Z@0')?.simulated).toBe(SIM + 250);
  });

  it.each([
    '',
    '2020-01-20T00:00:00Z',
    '@1764170000000',
    '2020-01-20@1764170000000',
    '2020-01-20T00:00:00@1764170000000', // no zone: ambiguous
    '2020-02-30T00:00:00Z@1764170000000',
    '2020-13-01T00:00:00Z@1764170000000',
    '2020-01-20T24:00:00Z@1764170000000',
    '2020-01-20T00:00:00Z@-5',
    '2020-01-20T00:00:00Z@1.5',
    '2020-01-20T00:00:00Z@9999999999999999',
  ])('refuses %j', (text) => {
    expect(parseClockAnchor(text)).toBeUndefined();
  });
});

describe('clockFromEnv', () => {
  it('is the system clock unless CLOCK_ANCHOR is set', () => {
    expect(clockFromEnv({ CLOCK_RATE: 1 })).toBeInstanceOf(SystemClock);
  });

  it('is a scaled clock when it is', () => {
    const clock = clockFromEnv({
      CLOCK_ANCHOR: '2020-01-20T00:00:00Z@1764170000000',
      CLOCK_RATE: 8,
    });
    expect(clock).toBeInstanceOf(ScaledClock);
    expect((clock as ScaledClock).rate).toBe(8);
    expect((clock as ScaledClock).anchor).toEqual({ simulated: SIM, real: REAL });
  });
});
