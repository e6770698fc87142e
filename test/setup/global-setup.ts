import { Client } from 'pg';
import { runMigrations } from '../../src/config/migrate';
import { MIGRATIONS } from '../../migrations';
import { databaseUrl, RUN_PATTERN, TEST_PG_URL } from './test-services';

const STALE_MS = 6 * 3600 * 1000;

/**
 * One database per run, migrated once with the real migrations as a template; each spec file
 * clones its own from it (spec-database.ts). Databases of runs that died over 6 h ago are
 * dropped on the way.
 */
export default async function globalSetup(): Promise<void> {
  const run = `ll_test_${Date.now().toString(36)}_${process.pid}`;
  process.env.LIFELINE_TEST_RUN = run;

  const admin = new Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'll\\_test\\_%'`,
    );
    for (const { datname } of rows) {
      const started = parseInt(RUN_PATTERN.exec(datname)?.[1] ?? '', 36);
      if (Number.isFinite(started) && Date.now() - started > STALE_MS) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await admin.query(`CREATE DATABASE "${run}_tpl"`);
    await runMigrations(databaseUrl(`${run}_tpl`), MIGRATIONS);
  } catch (error) {
    throw new Error(
      `Test setup could not prepare PostgreSQL at ${TEST_PG_URL}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await admin.end();
  }
}
