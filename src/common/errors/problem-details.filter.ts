import { randomUUID } from 'node:crypto';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError } from './domain-error';
import { codeForStatus, ERROR_STATUS, ERROR_TITLE, type ErrorCode } from './error-codes';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  [member: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `https://lifeline.dev/problems/${code.replaceAll('_', '-')}`;
}

/**
 * A safety net for constraint violations that no service check caught first (a race between
 * two writers, say): they are the client's conflict or bad input, never a 500.
 */
function databaseProblem(exception: unknown): DomainError | undefined {
  if (!(exception instanceof QueryFailedError)) return undefined;
  const code = (exception.driverError as { code?: string } | undefined)?.code;
  const constraint = (exception.driverError as { constraint?: string } | undefined)?.constraint;
  switch (code) {
    case '23505':
      return new DomainError(
        'conflict',
        `This would duplicate an existing record (${constraint ?? 'unique'}).`,
      );
    case '23503':
      return new DomainError(
        'unprocessable',
        `A referenced record does not exist (${constraint ?? 'foreign key'}).`,
      );
    case '23514':
      return new DomainError(
        'unprocessable',
        `The change breaks a rule of the data (${constraint ?? 'check'}).`,
      );
    case '40001':
    case '40P01':
      return new DomainError('conflict', 'A concurrent change got in the way: retry the request.');
    case '55P03':
      // A lock waited for longer than allowed: another request holds it (the same
      // Idempotency-Key still being processed, say).
      return new DomainError(
        'conflict',
        'A request holding what this one needs (its Idempotency-Key, say) is still being processed: retry later.',
      );
    default:
      return undefined;
  }
}

/** Seconds a client is told to wait before retrying while a dependency is away. */
export const RETRY_AFTER_SECONDS = 5;

/** PostgreSQL error classes that mean "the server is not there right now", not "your input". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminated by the administrator (or a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006', // connection exceptions
]);

const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What the pg pool and ioredis say when the server went away or the pool waited too long. */
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection (is )?closed/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /is not currently accepting connections/i,
  /terminating connection due to administrator command/i,
  /max retries per request/i,
  /stream isn't writeable/i,
];

/**
 * True when `exception` says PostgreSQL or Redis is unreachable, restarting or refusing
 * connections: the request may work in a few seconds, so the client is told 503 and when to
 * retry, not 500. Looks through TypeORM's wrapper to the driver's error and its cause.
 */
export function isDependencyUnavailable(exception: unknown, depth = 0): boolean {
  if (!exception || typeof exception !== 'object' || depth > 3) return false;
  const e = exception as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    name?: unknown;
  };
  if (
    typeof e.code === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_ERRNOS.has(e.code))
  )
    return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (
    typeof e.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))
  )
    return true;
  return (
    isDependencyUnavailable(e.driverError, depth + 1) || isDependencyUnavailable(e.cause, depth + 1)
  );
}

/** A problem answered before to the same Idempotency-Key and body, answered again as it was. */
export class ReplayedProblem extends Error {
  constructor(readonly problem: ProblemDocument) {
    super(problem.detail);
  }
}

/** Builds the RFC 9457 document for anything thrown while handling a request. */
export function toProblem(exception: unknown, instance?: string): ProblemDocument {
  if (exception instanceof ReplayedProblem) return exception.problem;
  if (exception instanceof DomainError) {
    const status = ERROR_STATUS[exception.code];
    return {
      // Extension members first: they can never overwrite the standard ones.
      ...exception.details,
      type: problemType(exception.code),
      title: ERROR_TITLE[exception.code],
      status,
      detail: exception.message,
      instance,
      code: exception.code,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = codeForStatus(status);
    const body = exception.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : typeof (body as { message?: unknown }).message === 'string'
          ? (body as { message: string }).message
          : exception.message;
    return {
      type: problemType(code),
      title: ERROR_TITLE[code],
      status,
      detail: message,
      instance,
      code,
    };
  }
  const fromDatabase = databaseProblem(exception);
  if (fromDatabase) return toProblem(fromDatabase, instance);
  if (isDependencyUnavailable(exception)) {
    return toProblem(
      new DomainError(
        'service_unavailable',
        `Lifeline cannot reach its database or queue right now; nothing was changed. Retry in ${RETRY_AFTER_SECONDS} s.`,
      ),
      instance,
    );
  }
  return {
    type: problemType('internal_error'),
    title: ERROR_TITLE.internal_error,
    status: 500,
    detail: 'An unexpected error occurred.',
    instance,
    code: 'internal_error',
  };
}

/** The one filter: every error leaves the API as application/problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');
  private unavailableLoggedAt = 0;

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let problem = toProblem(exception, request?.url);
    // A path served under other methods: 405 with the methods it takes, not 404.
    const routes = (request?.server as { routeMethods?: { allowed(path: string): string[] } })
      ?.routeMethods;
    if (exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message)) {
      const allowed = routes?.allowed(request.url) ?? [];
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '));
        problem = toProblem(
          new DomainError(
            'method_not_allowed',
            `${request.method} is not allowed on ${request.url.split('?')[0]}: use ${allowed.join(', ')}.`,
          ),
          request.url,
        );
      }
    }
    if (problem.status >= 500) {
      const errorId = randomUUID();
      problem.errorId = errorId;
      if (problem.code === 'service_unavailable' && !(exception instanceof HttpException)) {
        // One line per outage, not one per refused request.
        if (Date.now() - this.unavailableLoggedAt > 10_000) {
          this.unavailableLoggedAt = Date.now();
          this.logger.warn(
            `Answering 503: a dependency is unreachable (${(exception as Error)?.message ?? exception})`,
          );
        }
      } else if (!(exception instanceof HttpException) || problem.status === 500) {
        this.logger.error(
          { err: exception, errorId, requestId: request?.id },
          `Unhandled error ${errorId}`,
        );
      }
    }
    if (reply.sent) return;
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="lifeline"');
    if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}
