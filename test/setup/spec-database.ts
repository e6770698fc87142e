import { Client } from 'pg';
import { databaseUrl } from './test-services';

/**
 * Clones the spec file's database from the run's migrated template before any of the file's
 * own hooks run (this hook is declared first). The run's global teardown drops it.
 */
beforeAll(async () => {
  const name = process.env.LIFELINE_TEST_DATABASE!;
  const template = `${process.env.LIFELINE_TEST_RUN}_tpl`;
  const admin = new Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    // Two files cloning at once may find the template busy for a moment: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        const busy = (error as { code?: string }).code === '55006';
        if (!busy || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
}, 30_000);
