/** Where the test run finds PostgreSQL and Redis (the machine's own, by default). */
export const TEST_PG_URL =
  process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  return `${TEST_PG_URL}/${name}`;
}

/** Runs are named `ll_test_<base36 ms>_<pid>`, so stale ones can be told by age. */
export const RUN_PATTERN = /^ll_test_([0-9a-z]+)_\d+/;
