import { randomUUID } from 'node:crypto';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
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

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(exception, request?.url);
    if (problem.status >= 500) {
      const errorId = randomUUID();
      problem.errorId = errorId;
      if (!(exception instanceof HttpException) || problem.status === 500) {
        this.logger.error(
          { err: exception, errorId, requestId: request?.id },
          `Unhandled error ${errorId}`,
        );
      }
    }
    if (reply.sent) return;
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="lifeline"');
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}
