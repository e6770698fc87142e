import { Injectable } from '@nestjs/common';
import type {} from '@fastify/cookie';
import type {} from '@fastify/view';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../auth/api-key-format';
import type { ConsoleSession } from '../auth/console-sessions.service';
import type { Principal } from '../auth/principal';
import {
  LANG_COOKIE,
  LANGUAGE_NAMES,
  LOCALES,
  pickLocale,
  type Translator,
  translator,
} from './i18n/i18n';

export type ConsoleRequest = FastifyRequest & {
  consoleSession?: ConsoleSession;
  principal?: Principal;
};

/** Who may do what from the console: the same roles as the API routes the forms call. */
export const CAN = {
  recordEvents: ['coordinator', 'operator', 'carrier'],
  acknowledge: ['coordinator', 'operator'],
  readRequests: ['coordinator', 'operator', 'viewer'],
  readReports: ['coordinator', 'operator', 'viewer'],
  readNotifications: ['coordinator'],
} satisfies Record<string, Role[]>;

export function may(principal: Principal | undefined, action: keyof typeof CAN): boolean {
  return (
    !!principal && (principal.role === 'admin' || (CAN[action] as Role[]).includes(principal.role))
  );
}

/** Renders a console page in the reader's language, with what every page needs. */
@Injectable()
export class ConsoleView {
  /** The reader's language: their choice, else their browser's. */
  translator(req: ConsoleRequest): Translator {
    return translator(pickLocale(req.cookies?.[LANG_COOKIE], req.headers['accept-language']));
  }

  page(
    req: ConsoleRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown> = {},
    status = 200,
  ): FastifyReply {
    const tr = this.translator(req);
    const principal = req.principal;
    return reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .view(template, {
        ...data,
        tr,
        t: tr.t.bind(tr),
        principal,
        csrf: req.consoleSession?.csrfToken ?? '',
        can: (action: keyof typeof CAN) => may(principal, action),
        path: req.url,
        languages: LOCALES.map((code) => ({ code, name: LANGUAGE_NAMES[code] })),
      }) as unknown as FastifyReply;
  }
}
