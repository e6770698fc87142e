import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../common/errors/domain-error';
import type { Env } from '../../config/env';
import { ApiKeyGuard } from './api-key.guard';
import type { ApiKeysService } from './api-keys.service';
import { ROLES_KEY } from './auth.decorators';

function contextFor(handler: () => void, authorization?: string): ExecutionContext {
  const request = { headers: { authorization }, ip: '127.0.0.1' };
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
  const guard = new ApiKeyGuard(new Reflector(), keys, attempts, { QUEUE_PREFIX: 'x' } as Env);

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
});
