import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from './api-key-format';
import type { Principal } from './principal';
import { ProblemDto } from '../../common/http/problem.dto';

export const ROLES_KEY = 'lifeline:roles';
export const PUBLIC_KEY = 'lifeline:public';
export const SESSION_KEY = 'lifeline:session';

/**
 * The roles that may call a route. Every /api/v1 route must declare them: the guard refuses
 * a route that does not (deny by default). Admins may call every route.
 */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid API key', type: ProblemDto }),
    ApiForbiddenResponse({
      description: `Allowed roles: admin${roles
        .filter((r) => r !== 'admin')
        .map((r) => `, ${r}`)
        .join('')}`,
      type: ProblemDto,
    }),
  );

/** A route anyone may call (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * Console routes: the caller is the person behind a console session (cookie), not a Bearer key;
 * unsafe methods must carry the session's CSRF token (`_csrf` field or `x-csrf-token` header).
 * Roles apply exactly as on the API.
 */
export const SessionAuth = () => SetMetadata(SESSION_KEY, true);

/** The principal the guard attached to the request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<{ principal: Principal }>().principal,
);
