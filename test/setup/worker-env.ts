import { randomBytes } from 'node:crypto';
import { databaseUrl, TEST_REDIS_URL } from './test-services';

// Runs before each spec file: names the file's own database (spec-database.ts clones it from
// the migrated template before the file's first hook) and its own queue prefix, so no spec
// file sees another's rows, rate-limit counters or jobs.
const run = process.env.LIFELINE_TEST_RUN;
if (!run) throw new Error('LIFELINE_TEST_RUN is not set: run the tests through jest (npm test)');
const file = randomBytes(4).toString('hex');
process.env.LIFELINE_TEST_DATABASE = `${run}_f${file}`;
process.env.DATABASE_URL = databaseUrl(process.env.LIFELINE_TEST_DATABASE);
process.env.REDIS_URL = TEST_REDIS_URL;
process.env.QUEUE_PREFIX = `${run}-f${file}`;
