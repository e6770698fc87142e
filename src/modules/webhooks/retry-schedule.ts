const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The waits before each retry: ten attempts over about 16 hours, so a receiver that is down
 * overnight still gets its messages, and one that hiccups gets them within seconds.
 */
export const RETRY_DELAYS_MS = [
  5 * SECOND,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** ±20 %, so receivers that failed together are not all retried in the same instant. */
export const RETRY_JITTER = 0.2;

/**
 * How long to wait after attempt `failedAttempt` (1-based) failed, or undefined when it was the
 * last. `scale` multiplies every delay (WEBHOOK_RETRY_SCALE); `random` is in [0, 1).
 */
export function retryDelayMs(
  failedAttempt: number,
  scale: number,
  random: () => number = Math.random,
): number | undefined {
  const base = RETRY_DELAYS_MS[failedAttempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * scale * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** A subscription failing this often and this long is disabled: its receiver is gone. */
export const DISABLE_AFTER_FAILURES = 10;
export const DISABLE_AFTER_MS = 24 * HOUR;

export interface FailureRecord {
  /** The status of the attempt that just failed, if the receiver answered. */
  statusCode: number | null;
  /** Failures in a row, this one included. */
  consecutiveFailures: number;
  /** When the run of failures began. */
  failingSince: Date;
  now: Date;
  /** WEBHOOK_RETRY_SCALE: scales the 24 hours as it scales the retry delays. */
  scale: number;
}

/** Why a subscription must be disabled after a failed attempt, or undefined to keep it. */
export function disableReason(f: FailureRecord): string | undefined {
  // 410 Gone is the receiver saying "stop": Standard Webhooks senders honour it at once.
  if (f.statusCode === 410) return 'The receiver answered 410 Gone.';
  const failingMs = f.now.getTime() - f.failingSince.getTime();
  if (f.consecutiveFailures >= DISABLE_AFTER_FAILURES && failingMs >= DISABLE_AFTER_MS * f.scale) {
    return `Failed ${f.consecutiveFailures} times in a row since ${f.failingSince.toISOString()}.`;
  }
  return undefined;
}
