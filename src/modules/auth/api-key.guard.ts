import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Env } from '../../config/env';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../common/errors/domain-error';
import { bearerToken, type Role } from './api-key-format';
import { ApiKeysService } from './api-keys.service';
import { PUBLIC_KEY, ROLES_KEY, SESSION_KEY } from './auth.decorators';
import {
  type ConsoleSession,
  ConsoleSessionsService,
  csrfMatches,
  SESSION_COOKIE,
} from './console-sessions.service';
import type { Principal } from './principal';

/** Failed authentications one address may make a minute before it is slowed down (429). */
export const AUTH_FAILURES_PER_MINUTE = 60;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface GuardedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  cookies?: Record<string, string | undefined>;
  body?: { _csrf?: unknown };
  principal?: Principal;
  consoleSession?: ConsoleSession;
  ip: string;
}

/** Deny by default: a key is required, and the route must name the roles that may call it. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly sessions: ConsoleSessionsService,
    @Inject(ThrottlerStorage) private readonly attempts: ThrottlerStorage,
    private readonly env: Env,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    if (this.reflector.getAllAndOverride<boolean>(SESSION_KEY, targets)) {
      request.principal = (await this.fromSession(request)).principal;
      return this.authorize(request.principal, targets);
    }
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await this.keys.authenticate(token) : null;
    if (!principal) {
      // Requests without a valid key have no key budget: failures are counted per address
      // instead, so guessing keys is slow and cheap to refuse.
      const record = await this.attempts.increment(
        `${this.env.QUEUE_PREFIX}:auth-failures:${request.ip}`,
        60_000,
        AUTH_FAILURES_PER_MINUTE,
        60_000,
        'auth',
      );
      if (record.isBlocked) {
        http
          .getResponse<{ header(name: string, value: string): void }>()
          .header('retry-after', String(record.timeToBlockExpire));
        throw new DomainError(
          'rate_limited',
          'Too many requests without a valid API key from this address.',
        );
      }
      throw new DomainError(
        'unauthenticated',
        token
          ? 'The API key is unknown or has been revoked.'
          : 'Send an API key as `Authorization: Bearer <key>`.',
      );
    }
    request.principal = principal;
    return this.authorize(principal, targets);
  }

  /** The console session behind the request's cookie; its CSRF token checked on writes. */
  private async fromSession(request: GuardedRequest): Promise<ConsoleSession> {
    const session = await this.sessions.resolve(request.cookies?.[SESSION_COOKIE]);
    if (!session) {
      throw new DomainError('unauthenticated', 'Sign in to the console first.');
    }
    request.consoleSession = session;
    if (!SAFE_METHODS.has(request.method)) {
      const given = request.body?._csrf ?? request.headers['x-csrf-token'];
      if (!csrfMatches(session, given)) {
        throw new DomainError(
          'forbidden',
          'This form was not sent from a current console page; reload the page and try again.',
        );
      }
    }
    return session;
  }

  private authorize(
    principal: Principal,
    targets: ReturnType<ExecutionContext['getHandler']>[],
  ): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles) {
      throw new DomainError('forbidden', 'This route declares no roles, so no key may call it.');
    }
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new DomainError(
        'forbidden',
        `A ${principal.role} key may not do this; allowed roles: ${['admin', ...roles.filter((r) => r !== 'admin')].join(', ')}.`,
      );
    }
    return true;
  }
}
