import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, mergeMap, type Observable, of, throwError } from 'rxjs';
import { RequestTransactions } from '../db/request-transaction';
import { DomainError, fieldError } from '../errors/domain-error';
import { type ProblemDocument, ReplayedProblem, toProblem } from '../errors/problem-details.filter';
import type { Principal } from '../../modules/auth/principal';
import { type Claim, IdempotencyRepository, type StoredResponse } from './idempotency.repository';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const REPLAYED_HEADERS = ['etag', 'location'];
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body sent with its keys in another order matches. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The same key and body answer the first response again: hash what makes a request the same. */
export function requestHash(method: string, url: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method} ${url}\n${canonicalJson(body)}`)
    .digest();
}

/**
 * `Idempotency-Key` on POST: the first response (success, or a client error other than a
 * conflict) is kept per API key for 24 h and answered again to the same key and body; the same
 * key with another body is refused (422). The key is claimed, the request's work done and its
 * answer stored in one transaction (RequestTransactions), so the answer commits with the change
 * or neither does: a request that fails or dies leaves the key free, and a retry racing the
 * first waits for it and gets its answer.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly transactions: RequestTransactions,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (request.method !== 'POST' || key === undefined || !request.principal) return next.handle();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      return throwError(() =>
        fieldError('Idempotency-Key', 'must be 1-255 visible ASCII characters'),
      );
    }
    const principal = request.principal.keyId;
    const hash = requestHash(request.method, request.url, request.body);
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      HttpStatus.CREATED;

    type Outcome = Exclude<Claim, { kind: 'claimed' }> | { kind: 'answered'; body: unknown };
    const answered = this.transactions.transaction<Outcome>(
      this.keys.claimStatement(principal, key, hash),
      async ({ runner, opened, join }) => {
        const claim: Claim =
          opened.length > 0
            ? { kind: 'claimed' }
            : await this.keys.claimTaken(runner.manager, principal, key, hash);
        if (claim.kind !== 'claimed') return { value: claim };
        const body = await join(() => lastValueFrom(next.handle(), { defaultValue: undefined }));
        const response = {
          statusCode:
            reply.statusCode >= 200 && reply.statusCode !== 200 ? reply.statusCode : successStatus,
          body,
          headers: this.keptHeaders(reply),
        };
        return {
          value: { kind: 'answered' as const, body },
          closing: this.keys.completeStatement(principal, key, response),
        };
      },
    );
    return from(
      answered.catch((error: unknown) => this.settleError(principal, key, hash, error)),
    ).pipe(
      mergeMap((outcome) => {
        switch (outcome.kind) {
          case 'answered':
            return of(outcome.body);
          case 'mismatch':
            return throwError(
              () =>
                new DomainError(
                  'unprocessable',
                  'This Idempotency-Key was used with a different request body: use a new key for a new request.',
                ),
            );
          case 'in_flight':
            return throwError(
              () =>
                new DomainError(
                  'conflict',
                  'A request with this Idempotency-Key is still being processed.',
                ),
            );
          case 'replay':
            return this.replay(reply, outcome.response);
        }
      }),
    );
  }

  private replay(reply: FastifyReply, response: StoredResponse): Observable<unknown> {
    for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
    reply.header('idempotent-replayed', 'true');
    if (response.statusCode >= 400) {
      return throwError(() => new ReplayedProblem(response.body as ProblemDocument));
    }
    return of(response.body);
  }

  /**
   * The request's transaction rolled back. A client error is the request's answer and is
   * kept; anything else may succeed on retry, and the key is free already.
   */
  private async settleError(
    principal: string,
    key: string,
    hash: Buffer,
    error: unknown,
  ): Promise<never> {
    const problem = toProblem(error);
    const keep =
      problem.status >= 400 &&
      problem.status < 500 &&
      ![409, 412, 428, 429].includes(problem.status);
    if (keep) {
      await this.keys.keep(principal, key, hash, {
        statusCode: problem.status,
        body: problem,
        headers: {},
      });
    }
    throw error;
  }
  private keptHeaders(reply: FastifyReply): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (typeof value === 'string') kept[name] = value;
    }
    return kept;
  }
}
