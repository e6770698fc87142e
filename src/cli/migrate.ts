import 'reflect-metadata';
import { runMigrations } from '../config/migrate';
import { bootLog, loadEnvOrExit, preflightOrExit } from '../config/startup';

/** `npm run migration:run`: creates the database if needed and applies pending migrations. */
async function main(): Promise<void> {
  const env = loadEnvOrExit();
  await preflightOrExit(env);
  const applied = await runMigrations(env.DATABASE_URL);
  bootLog('info', applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations');
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    bootLog('error', `Migration failed: ${error.message}`, { stack: error.stack });
    process.exit(1);
  },
);
