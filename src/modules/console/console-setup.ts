import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Eta } from 'eta';

export const CONSOLE_VIEWS = join(__dirname, 'views');
export const CONSOLE_ASSETS = join(__dirname, 'assets');

/**
 * Nothing a console page loads leaves Lifeline: scripts, styles, images and connections are
 * same-origin only (the map and charts are inline SVG), and no other site may frame it.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * What the console needs from Fastify: cookies, templates and its static assets (Nest's adapter
 * already parses HTML forms).
 */
export async function setupConsole(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCookie as never);
  app.setViewEngine({
    engine: { eta: new Eta({ views: CONSOLE_VIEWS, cache: true }) },
    templates: CONSOLE_VIEWS,
    viewExt: 'eta',
  } as never);
  await app.register(fastifyStatic as never, {
    root: CONSOLE_ASSETS,
    prefix: '/console/assets/',
    decorateReply: false,
    maxAge: '1d',
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/console')) return;
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
  });
  // A filter form sends its empty fields; an empty filter means "any", not an invalid value.
  fastify.addHook('preValidation', async (request) => {
    if (!request.url.startsWith('/console') || !request.query) return;
    const query = request.query as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) if (value === '') delete query[name];
  });
}
