import 'reflect-metadata';
import { createApp, closeOnSignals } from './app';
import { runMigrations } from './config/migrate';
import { bootLog, clockOrWarn, loadEnvOrExit, preflightOrExit } from './config/startup';
import { ReportsService } from './modules/reports/reports.service';

/** HTTP API, plus the workers unless WORKERS=off. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const env = loadEnvOrExit();
  await preflightOrExit(env);
  if (env.DB_MIGRATE_ON_START) {
    const applied = await runMigrations(env.DATABASE_URL);
    if (applied.length > 0) bootLog('info', `Applied migrations: ${applied.join(', ')}`);
  }
  const app = await createApp(env, { workers: env.WORKERS === 'on', clock: clockOrWarn(env) });
  closeOnSignals(app, env, (m) => bootLog('info', m));
  await app.listen({ port: env.PORT, host: env.HOST });
  bootLog('info', `Lifeline API listening on ${await app.getUrl()}`, {
    workers: env.WORKERS,
    startupMs: Math.round(performance.now() - startedAt),
    docs: '/docs',
  });
  // Load the report rollups now rather than on the first report (seconds at a million requests).
  const loading = performance.now();
  app
    .get(ReportsService)
    .sync()
    .then(
      () =>
        bootLog('info', 'Report rollups loaded', { ms: Math.round(performance.now() - loading) }),
      (error: Error) => bootLog('warn', `Report rollups not loaded yet: ${error.message}`),
    );
}

main().catch((error: Error) => {
  bootLog('error', `Lifeline failed to start: ${error.message}`, { stack: error.stack });
  process.exit(1);
});
