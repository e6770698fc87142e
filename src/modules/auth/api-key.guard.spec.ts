import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../common/errors/domain-error';
import type { Env } from '../../config/env';
import { ApiKeyGuard } from './api-key.guard';
import type { ApiKeysService } from './api-keys.service';
import { ROLES_KEY, SESSION_KEY } from './auth.decorators';
import type { ConsoleSessionsService } from './console-sessions.service';

function contextFor(
  handler: () => void,
  authorization?: string,
  extra: Record<string, unknown> = {},
): ExecutionContext {
  const request = { method: 'GET', headers: { authorization }, ip: '127.0.0.1', ...extra };
  return {
    getHandler: () => handler,
    getClass: () => class {},
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({ header: () => undefined }),
    }),
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard', () => {
  const keys = {
    authenticate: async () => ({ keyId: 'k1', role: 'operator', carrierId: null }),
  } as unknown as ApiKeysService;
  const attempts = {
    increment: async () => ({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    }),
  };
  const sessions = {
    resolve: async (token?: string) =>
      token === 'good'
        ? { principal: { keyId: 'k2', role: 'viewer', carrierId: null }, csrfToken: 'csrf-1' }
        : null,
  } as unknown as ConsoleSessionsService;
  const guard = new ApiKeyGuard(new Reflector(), keys, sessions, attempts, {
    QUEUE_PREFIX: 'x',
  } as Env);

  it('refuses a route that declares no roles, even to a valid key', async () => {
    const undeclared = () => undefined;
    await expect(
      guard.canActivate(contextFor(undeclared, 'Bearer anything')),
    ).rejects.toMatchObject({
      code: 'forbidden',
    } satisfies Partial<DomainError>);
  });

  it('lets a declared role through and refuses the others', async () => {
    const forOperators = () => undefined;
    Reflect.defineMetadata(ROLES_KEY, ['operator'], forOperators);
    await expect(guard.canActivate(contextFor(forOperators, 'Bearer anything'))).resolves.toBe(
      true,
    );
    const forViewers = () => undefined;
    Reflect.defineMetadata(ROLES_KEY, ['viewer'], forViewers);
    await expect(
      guard.canActivate(contextFor(forViewers, 'Bearer anything')),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('asks for a key when none is sent', async () => {
    const route = () => undefined;
    Reflect.defineMetadata(ROLES_KEY, ['operator'], route);
    await expect(guard.canActivate(contextFor(route))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  describe('on console routes (session)', () => {
    const consoleRoute = (...roles: string[]) => {
      const route = () => undefined;
      Reflect.defineMetadata(ROLES_KEY, roles, route);
      Reflect.defineMetadata(SESSION_KEY, true, route);
      return route;
    };

    it('takes the principal from the session cookie, not from a Bearer header', async () => {
      const route = consoleRoute('viewer');
      const context = contextFor(route, undefined, { cookies: { ll_session: 'good' } });
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(context.switchToHttp().getRequest()).toMatchObject({
        principal: { keyId: 'k2', role: 'viewer' },
      });
      await expect(
        guard.canActivate(contextFor(route, 'Bearer anything', { cookies: {} })),
      ).rejects.toMatchObject({ code: 'unauthenticated' });
    });

    it('applies the route roles to the session principal', async () => {
      await expect(
        guard.canActivate(
          contextFor(consoleRoute('operator'), undefined, { cookies: { ll_session: 'good' } }),
        ),
      ).rejects.toMatchObject({ code: 'forbidden' });
    });

    it('refuses a write without the session CSRF token, and accepts it with', async () => {
      const route = consoleRoute('viewer');
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        contextFor(route, undefined, {
          method: 'POST',
          cookies: { ll_session: 'good' },
          body,
          headers,
        });
      await expect(guard.canActivate(post({}))).rejects.toMatchObject({ code: 'forbidden' });
      await expect(guard.canActivate(post({ _csrf: 'csrf-2' }))).rejects.toMatchObject({
        code: 'forbidden',
      });
      await expect(guard.canActivate(post({ _csrf: 'csrf-1' }))).resolves.toBe(true);
      await expect(guard.canActivate(post(undefined, { 'x-csrf-token': 'csrf-1' }))).resolves.toBe(
        true,
      );
    });
  });
});
