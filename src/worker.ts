import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals } from './app';
import { AppModule } from './app.module';
import { hasPendingMigrations } from './config/migrate';
import { bootLog, clockOrWarn, loadEnvOrExit, preflightOrExit } from './config/startup';

/** Workers only: the same modules as the API, with no HTTP server. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const env = loadEnvOrExit();
  await preflightOrExit(env);
  // The API owns migrations; a worker waits for them rather than run on an old schema.
  for (let waited = 0; await hasPendingMigrations(env.DATABASE_URL); waited += 2) {
    if (waited === 0) bootLog('info', 'Waiting for the API to apply pending migrations');
    if (waited >= 120)
      throw new Error('Migrations still pending after 120 s: run `npm run migration:run`');
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ env, workers: true, clock: clockOrWarn(env) }),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  await app.init();
  closeOnSignals(app, env, (m) => bootLog('info', m));
  bootLog('info', 'Lifeline workers running', {
    startupMs: Math.round(performance.now() - startedAt),
  });
}

main().catch((error: Error) => {
  bootLog('error', `Lifeline worker failed to start: ${error.message}`, { stack: error.stack });
  process.exit(1);
});
