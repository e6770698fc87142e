import { type Clock, clockFromEnv, ScaledClock } from '../common/clock';
import { type Env, EnvValidationError, validateEnv } from './env';
import { checkRedis, ensureDatabase, ServiceUnreachableError } from './preflight';

/** Writes one JSON log line before the app logger exists (same shape as pino's). */
export function bootLog(level: 'info' | 'warn' | 'error', msg: string, extra: object = {}): void {
  const line = JSON.stringify({
    level: { info: 30, warn: 40, error: 50 }[level],
    time: Date.now(),
    service: 'lifeline',
    msg,
    ...extra,
  });
  (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
}

/** The clock the environment asks for; says so loudly when it is not the system's. */
export function clockOrWarn(env: Env): Clock {
  const clock = clockFromEnv(env);
  if (clock instanceof ScaledClock) {
    const now = clock.now().toISOString();
    bootLog(
      'warn',
      `SIMULATED TIME: CLOCK_ANCHOR is set, so this process's clock shows ${now} and runs ` +
        `${clock.rate} times as fast as real time. SLA clocks, alerts and sweeps follow it. ` +
        'Unset CLOCK_ANCHOR for real use.',
      { clockAnchor: env.CLOCK_ANCHOR, clockRate: clock.rate },
    );
  }
  return clock;
}

/** Validates the environment, or exits 1 with every bad variable named. */
export function loadEnvOrExit(): Env {
  try {
    return validateEnv(process.env);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      bootLog('error', error.message, { problems: error.problems });
      process.stderr.write(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const PREFLIGHT_BUDGET_MS = 8_000;

/**
 * PostgreSQL and Redis must answer within 10 s of start, or the process exits 1 naming the
 * missing service and how to start it. Creates the database if it does not exist yet.
 */
export async function preflightOrExit(env: Env): Promise<void> {
  const timer = setTimeout(() => {
    fail('PostgreSQL or Redis did not answer within 8 s. Is `docker compose up -d` running?');
  }, PREFLIGHT_BUDGET_MS);
  const results = await Promise.allSettled([
    ensureDatabase(env.DATABASE_URL),
    checkRedis(env.REDIS_URL),
  ]);
  clearTimeout(timer);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length === 0) return;
  if (failures.every((e) => e instanceof ServiceUnreachableError))
    fail(failures.map((e) => e.message).join('\n'));
  throw failures[0];
}

function fail(message: string): never {
  bootLog('error', message);
  process.stderr.write(`\n${message}\nWith Docker: docker compose up -d postgres redis\n`);
  process.exit(1);
}
