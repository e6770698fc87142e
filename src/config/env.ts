import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  validateSync,
} from 'class-validator';
import { parseClockAnchor } from '../common/clock';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

/** Every environment variable Lifeline reads, validated once at start. */
export class Env {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/lifeline';

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional()
  @Matches(/^\S{24,}$/, { message: 'must be at least 24 characters, without spaces' })
  ADMIN_API_KEY?: string;

  /** Behind a load balancer: trust X-Forwarded-For for client addresses. */
  @Transform(toBoolean)
  @IsBoolean()
  TRUST_PROXY = false;

  /** `on`: the API process also runs the workers; `off`: HTTP only. */
  @IsIn(['on', 'off'])
  WORKERS: 'on' | 'off' = 'on';

  @Transform(toBoolean)
  @IsBoolean()
  DB_MIGRATE_ON_START = true;

  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_TARGETS = false;

  /**
   * Multiplies every webhook retry delay, and the day of failures after which a subscription is
   * disabled: tests run hours of retries in moments with 0.001.
   */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(100)
  WEBHOOK_RETRY_SCALE = 1;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Prefix of every BullMQ key in Redis; lets several Lifelines share one Redis. */
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1-64 letters, digits, _ or -' })
  QUEUE_PREFIX = 'lifeline';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  DB_POOL_SIZE = 10;

  /**
   * The longest a request waits for a PostgreSQL connection (from the pool, or a new one);
   * past it the request is answered 503 with Retry-After rather than left hanging.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DB_ACQUIRE_TIMEOUT_MS = 2_000;

  /** PostgreSQL cancels any statement of Lifeline's that runs longer (a stuck query). */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  DB_STATEMENT_TIMEOUT_MS = 60_000;

  /** PostgreSQL ends a session left idle inside a transaction this long, freeing its locks. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

  /** Requests per minute allowed to one API key (or one address, before authentication). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE = 1200;

  /** Seconds a graceful shutdown may take before the process exits anyway. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600)
  SHUTDOWN_TIMEOUT_SECONDS = 10;

  /**
   * On SIGTERM the API first drains this long: it still accepts and answers requests (with
   * `Connection: close`) while /health/ready says 503, so a load balancer stops sending it
   * traffic and requests already on their way are answered rather than reset.
   */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(60)
  SHUTDOWN_DRAIN_SECONDS = 2;

  /**
   * How long a worker's hold on a job lasts without renewal; a job whose worker died is
   * picked up again after about this long.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600)
  JOB_LOCK_SECONDS = 8;

  /** A queue whose oldest waiting job is this old while its worker idles gets a new worker. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  WORKER_STALL_SECONDS = 10;

  /** A moving shipment with no tracking event for this long raises tracking_stale (24 h). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  TRACKING_STALE_SECONDS = 24 * 3600;

  /**
   * Runs the server on simulated time (demos, replays): `<ISO 8601 instant>@<real epoch ms>`,
   * the instant the clock shows at that real moment, e.g. `2020-01-20T00:00:00Z@1764170000000`.
   * Unset (the default): the system clock.
   */
  @IsOptional()
  @ValidateBy({
    name: 'isClockAnchor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !!parseClockAnchor(value),
      defaultMessage: () =>
        'must be <ISO 8601 instant>@<real epoch ms>, e.g. 2020-01-20T00:00:00Z@1764170000000',
    },
  })
  CLOCK_ANCHOR?: string;

  /** Simulated milliseconds per real millisecond from CLOCK_ANCHOR on (80000: a day a second). */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(10_000_000)
  @ValidateBy({
    name: 'rateNeedsAnchor',
    validator: {
      validate: (value: unknown, args) =>
        value === 1 || !!(args?.object as Partial<Env> | undefined)?.CLOCK_ANCHOR,
      defaultMessage: () => 'needs CLOCK_ANCHOR (the instant the scaled clock starts from)',
    },
  })
  CLOCK_RATE = 1;

  /**
   * Where email goes out: `smtp://[user:password@]host:port` (`smtps://` for TLS from the
   * start). Unset: notification rules may be written, but no email is sent.
   */
  @IsOptional()
  @Matches(/^smtps?:\/\/[^\s]+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /** The From of every email, e.g. `Lifeline <lifeline@example.org>`. */
  @IsString()
  @Matches(/^[^\r\n]{3,320}$/, { message: 'must be an address, optionally with a name' })
  MAIL_FROM = 'Lifeline <lifeline@localhost>';

  /** The address people open Lifeline at, for links in emails. Default: http://localhost:PORT. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL' })
  PUBLIC_URL?: string;

  /** Multiplies every email retry delay (tests run hours of retries in moments with 0.001). */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(100)
  MAIL_RETRY_SCALE = 1;

  /**
   * How long a worker holds a message it is sending; a message whose worker died is sent
   * again (the same Message-ID) after this. SMTP timeouts are kept well inside it.
   */
  @Type(() => Number)
  @IsInt()
  @Min(3)
  @Max(3600)
  MAIL_LEASE_SECONDS = 90;
}

/** The address of Lifeline's pages, for links in messages. */
export function publicUrl(env: Env): string {
  return (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvValidationError';
  }
}

/** Validates the environment; throws an EnvValidationError naming every bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const known = Object.keys(new Env());
  const present = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => known.includes(key) && value !== ''),
  );
  const env = plainToInstance(Env, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    throw new EnvValidationError(
      errors.map((e) => {
        const value =
          e.property === 'ADMIN_API_KEY' || e.property === 'SMTP_URL'
            ? '(hidden)'
            : JSON.stringify(present[e.property]);
        return `${e.property}=${value}: ${Object.values(e.constraints ?? {}).join('; ')}`;
      }),
    );
  }
  return env;
}
