import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { toProblem } from '../../common/errors/problem-details.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';

/**
 * Errors on console pages are pages, not problem+json: no session sends the person to sign in
 * (and back afterwards); anything else is shown as a sentence on an error page with its status.
 */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  constructor(private readonly view: ConsoleView) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<ConsoleRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    const problem = toProblem(exception, req.url);
    if (problem.status === 401) {
      const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
      void reply.redirect(`/console/sign-in${next}`, 303);
      return;
    }
    if (problem.status >= 500) this.logger.error(exception);
    const errors = (problem as { errors?: { field: string; messages: string[] }[] }).errors ?? [];
    void this.view.page(
      req,
      reply,
      'error',
      {
        status: problem.status,
        title: problem.title,
        detail: problem.detail,
        errors,
      },
      problem.status,
    );
  }
}
