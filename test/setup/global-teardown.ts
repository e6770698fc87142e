import { Redis } from 'ioredis';
import { Client } from 'pg';
import { databaseUrl, TEST_REDIS_URL } from './test-services';

/** Drops this run's databases and deletes its Redis keys; nothing of the run is left behind. */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.LIFELINE_TEST_RUN;
  if (!run) return;
  const admin = new Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${run}%`],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    // Queue keys start with the prefix; the rate limiter's wrap it in a {hash tag}.
    for (const pattern of [`${run}*`, `{${run}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
