import { type Clock, clockFromEnv } from './common/clock';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import type { Env } from './config/env';
import { LifelineValidationPipe } from './common/http/validation.pipe';
import { MetricsService } from './modules/metrics/metrics.service';
import openApiMetadata from './metadata';
import { setupConsole } from './modules/console/console-setup';
import fastifyCompress from '@fastify/compress';
import fastifyMultipart from '@fastify/multipart';
import { MAX_IMPORT_BYTES } from './modules/imports/sheet-reader';
import {
  clientErrorHandler,
  MAX_URL_LENGTH,
  refusalBody,
  RouteMethods,
} from './common/http/http-refusals';
import { PROBLEM_CONTENT_TYPE } from './common/errors/problem-details.filter';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP app, configured exactly as `node dist/main.js` serves it (tests boot this too). */
export async function createApp(
  env: Env,
  options: { workers: boolean; clock?: Clock },
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: env.TRUST_PROXY,
    // Refusals the HTTP server makes itself (431, 400, 408) are problem+json too.
    clientErrorHandler,
    // Keep a caller's X-Request-Id (if sane) so one id follows a request across services.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({
      env,
      workers: options.workers,
      clock: options.clock ?? clockFromEnv(env),
    }),
    adapter,
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['health/live', 'health/ready', 'metrics', 'console', 'console/{*path}'],
  });
  // Field links are slow: pages, assets and large JSON go out compressed to clients that ask.
  // Server-sent event streams are never compressed (the plugin skips text/event-stream).
  await app.register(fastifyCompress as never, { encodings: ['br', 'gzip'], threshold: 1024 });
  // Spreadsheet uploads: one file, read only where a route asks for it (UploadGuard).
  await app.register(fastifyMultipart as never, {
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 11 },
  });
  await setupConsole(app);
  app.useGlobalPipes(new LifelineValidationPipe());

  const fastify = app.getHttpAdapter().getInstance();
  // Every route's methods, so a known path asked with another method gets 405 and Allow.
  const routeMethods = new RouteMethods();
  fastify.decorate('routeMethods', routeMethods);
  // A route may raise its own body limit with @RouteConfig({ bodyLimit }) (the event batch).
  fastify.addHook('onRoute', (route) => {
    routeMethods.add(route.method, route.url);
    const limit = (route.config as { bodyLimit?: number } | undefined)?.bodyLimit;
    if (limit) route.bodyLimit = limit;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.url.length <= MAX_URL_LENGTH) return;
    return reply
      .code(414)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(refusalBody('uri_too_long', `The URL is longer than ${MAX_URL_LENGTH} characters.`));
  });
  // Draining (SIGTERM received): answers still go out, each closing its connection.
  const shutdown: ShutdownState = { draining: false };
  fastify.decorate('shutdown', shutdown);
  fastify.addHook('onSend', async (_request, reply) => {
    if (shutdown.draining) reply.header('connection', 'close');
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await setupOpenApi(app);
  await app.init();
  return app;
}

export async function setupOpenApi(app: NestFastifyApplication): Promise<void> {
  // DTO schemas come from the swagger plugin's metadata (scripts/generate-openapi-metadata.mjs).
  await SwaggerModule.loadPluginMetadata(openApiMetadata);
  const config = new DocumentBuilder()
    .setTitle('Lifeline API')
    .setDescription(
      "Tracks medical supply aid from a country's request to the goods in its hands, and keeps " +
        'the 96-hour request-to-dispatch promise measurable. Every /api/v1 route needs ' +
        '`Authorization: Bearer <api key>`; errors are RFC 9457 problem details.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (ll_...)' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Stops the process gracefully on SIGTERM/SIGINT, or anyway after the timeout. */
/** What the HTTP layer knows of a shutdown under way (decorated on Fastify as `shutdown`). */
export interface ShutdownState {
  draining: boolean;
}

/**
 * SIGTERM or SIGINT: an API drains first (SHUTDOWN_DRAIN_SECONDS: still answering, readiness
 * 503, `Connection: close` on every answer), then closes: SSE streams end with a `shutdown`
 * event, workers stop taking jobs and finish or hand back theirs, the HTTP server closes once
 * its last request is answered, then the database and Redis connections. Past
 * SHUTDOWN_TIMEOUT_SECONDS it exits anyway.
 */
export function closeOnSignals(
  app: INestApplicationContext,
  env: Env,
  log: (m: string) => void,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log(`${signal} received: finishing in-flight work, then exiting`);
    setTimeout(() => {
      log(`Shutdown took longer than ${env.SHUTDOWN_TIMEOUT_SECONDS} s: exiting now`);
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref();
    const http = 'getHttpAdapter' in app ? (app as NestFastifyApplication) : undefined;
    const state = (http?.getHttpAdapter().getInstance() as { shutdown?: ShutdownState } | undefined)
      ?.shutdown;
    if (state) state.draining = true;
    const drained = state
      ? new Promise((resolve) => setTimeout(resolve, env.SHUTDOWN_DRAIN_SECONDS * 1000))
      : Promise.resolve();
    drained
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: Error) => {
          log(`Shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
