import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../common/errors/domain-error';
import { bearerToken, type Role } from './api-key-format';
import { ApiKeysService } from './api-keys.service';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import type { Principal } from './principal';

/** Deny by default: a key is required, and the route must name the roles that may call it. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<{
      headers: Record<string, string | string[] | undefined>;
      principal?: Principal;
    }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      throw new DomainError('unauthenticated', 'Send an API key as `Authorization: Bearer <key>`.');
    }
    const principal = await this.keys.authenticate(token);
    if (!principal) {
      throw new DomainError('unauthenticated', 'The API key is unknown or has been revoked.');
    }
    request.principal = principal;

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
