import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ThrottlerStorage } from '@nestjs/throttler';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type {} from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import { Env } from '../../config/env';
import { AUTH_FAILURES_PER_MINUTE } from '../auth/api-key.guard';
import { Public } from '../auth/auth.decorators';
import {
  ConsoleSessionsService,
  csrfMatches,
  SESSION_COOKIE,
  SESSION_HOURS,
} from '../auth/console-sessions.service';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';
import { LANG_COOKIE, LOCALES, type Locale } from './i18n/i18n';

/** Where to go after signing in: a console path only (never another site). */
const CONSOLE_PATH = /^\/console(?:[/?][^\s\\]*)?$/;
const safeNext = (next: string | undefined) =>
  next && CONSOLE_PATH.test(next) && !next.startsWith('//') ? next : '/console';

export class SignInDto {
  @IsString()
  @Length(1, 200)
  apiKey: string;

  @IsOptional()
  @IsString()
  @Length(0, 500)
  next?: string;
}

export class SignInQueryDto {
  @IsOptional()
  @IsString()
  @Length(0, 500)
  next?: string;

  @IsOptional()
  @IsIn(['1'])
  signedOut?: string;
}

export class LanguageDto {
  @IsIn(LOCALES)
  lang: Locale;

  @IsOptional()
  @IsString()
  @Matches(/^\/console/)
  @Length(0, 500)
  next?: string;
}

/** Sign in with a personal API key, sign out, and choose a language. */
@ApiExcludeController()
@Controller('console')
@Public()
@UseFilters(ConsoleExceptionFilter)
export class ConsoleSessionController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly view: ConsoleView,
    @Inject(ThrottlerStorage) private readonly attempts: ThrottlerStorage,
    private readonly env: Env,
  ) {}

  @Get('sign-in')
  signInPage(
    @Query() q: SignInQueryDto,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    return this.view.page(req, reply, 'sign-in', {
      next: safeNext(q.next),
      message: q.signedOut ? 'signIn.signedOut' : null,
    });
  }

  @Post('sign-in')
  async signIn(
    @Body() dto: SignInDto,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const opened = await this.sessions.open(dto.apiKey);
    if (!opened) {
      // Failed sign-ins count against the address, as failed API keys do.
      const record = await this.attempts.increment(
        `${this.env.QUEUE_PREFIX}:auth-failures:${req.ip}`,
        60_000,
        AUTH_FAILURES_PER_MINUTE,
        60_000,
        'auth',
      );
      return this.view.page(
        req,
        reply,
        'sign-in',
        { next: safeNext(dto.next), error: record.isBlocked ? 'signIn.tooMany' : 'signIn.failed' },
        record.isBlocked ? 429 : 401,
      );
    }
    reply.setCookie(SESSION_COOKIE, opened.token, {
      path: '/console',
      httpOnly: true,
      sameSite: 'lax',
      secure: req.protocol === 'https',
      maxAge: SESSION_HOURS * 3600,
    });
    return reply.redirect(safeNext(dto.next), 303);
  }

  /** Ends the session (a form with the CSRF token; without a session it just signs out). */
  @Post('sign-out')
  async signOut(@Req() req: ConsoleRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const token = req.cookies?.[SESSION_COOKIE];
    const session = await this.sessions.resolve(token);
    const given = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (session && csrfMatches(session, given)) await this.sessions.close(token);
    else if (session) return reply.redirect('/console', 303);
    reply.clearCookie(SESSION_COOKIE, { path: '/console' });
    return reply.redirect('/console/sign-in?signedOut=1', 303);
  }

  /** Remembers the chosen language for a year (a cookie: it applies before sign-in too). */
  @Post('language')
  language(
    @Body() dto: LanguageDto,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    reply.setCookie(LANG_COOKIE, dto.lang, {
      path: '/console',
      sameSite: 'lax',
      secure: req.protocol === 'https',
      maxAge: 365 * 86400,
    });
    return reply.redirect(safeNext(dto.next), 303);
  }
}
