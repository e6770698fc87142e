import { randomBytes } from 'node:crypto';
import { databaseUrl, TEST_REDIS_URL } from './test-services';

// Runs before each spec file: the jest worker's own database, and a queue prefix of the file's
// own, so rate-limit counters and queues never leak between files or runs.
const run = process.env.LIFELINE_TEST_RUN;
if (!run) throw new Error('LIFELINE_TEST_RUN is not set: run the tests through jest (npm test)');
const worker = process.env.JEST_WORKER_ID ?? '1';
process.env.DATABASE_URL = databaseUrl(`${run}_w${worker}`);
process.env.REDIS_URL = TEST_REDIS_URL;
process.env.QUEUE_PREFIX = `${run}-w${worker}-${randomBytes(4).toString('hex')}`;
