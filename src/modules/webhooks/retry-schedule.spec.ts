import {
  DISABLE_AFTER_FAILURES,
  disableReason,
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  retryDelayMs,
} from './retry-schedule';

const HOUR = 3600_000;

describe('retryDelayMs', () => {
  it('backs off from 5 seconds to 8 hours, then gives up after the tenth attempt', () => {
    const middle = () => 0.5;
    expect(retryDelayMs(1, 1, middle)).toBe(5_000);
    expect(retryDelayMs(2, 1, middle)).toBe(30_000);
    expect(retryDelayMs(9, 1, middle)).toBe(8 * HOUR);
    expect(MAX_ATTEMPTS).toBe(10);
    expect(retryDelayMs(MAX_ATTEMPTS, 1, middle)).toBeUndefined();
  });

  it('never shortens a wait: each delay is longer than the one before', () => {
    for (let i = 1; i < RETRY_DELAYS_MS.length; i++) {
      expect(RETRY_DELAYS_MS[i]).toBeGreaterThan(RETRY_DELAYS_MS[i - 1]);
    }
  });

  it('spreads retries by 20 % either way', () => {
    expect(retryDelayMs(3, 1, () => 0)).toBe(0.8 * 120_000);
    expect(retryDelayMs(3, 1, () => 0.999999)).toBeCloseTo(1.2 * 120_000, -1);
  });

  it('scales every delay by WEBHOOK_RETRY_SCALE', () => {
    expect(retryDelayMs(9, 0.001, () => 0.5)).toBe(8 * HOUR * 0.001);
  });
});

describe('disableReason', () => {
  const since = new Date('2020-03-20T00:00:00Z');
  const at = (hours: number) => new Date(since.getTime() + hours * HOUR);

  it('disables at once on 410 Gone', () => {
    expect(
      disableReason({
        statusCode: 410,
        consecutiveFailures: 1,
        failingSince: since,
        now: since,
        scale: 1,
      }),
    ).toMatch(/410/);
  });

  it('keeps a subscription that failed often but briefly, or long but rarely', () => {
    const base = { statusCode: 500, failingSince: since, scale: 1 };
    expect(disableReason({ ...base, consecutiveFailures: 50, now: at(23) })).toBeUndefined();
    expect(
      disableReason({ ...base, consecutiveFailures: DISABLE_AFTER_FAILURES - 1, now: at(48) }),
    ).toBeUndefined();
  });

  it('disables a subscription that failed ten times in a row over a day', () => {
    expect(
      disableReason({
        statusCode: null,
        consecutiveFailures: DISABLE_AFTER_FAILURES,
        failingSince: since,
        now: at(24),
        scale: 1,
      }),
    ).toBe('Failed 10 times in a row since 2020-03-20T00:00:00.000Z.');
  });

  it('scales the day with WEBHOOK_RETRY_SCALE', () => {
    const failing = { statusCode: 503, consecutiveFailures: 10, failingSince: since, scale: 0.001 };
    expect(disableReason({ ...failing, now: at(0.023) })).toBeUndefined();
    expect(disableReason({ ...failing, now: at(0.024) })).toBeDefined();
  });
});
