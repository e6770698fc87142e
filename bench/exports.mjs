// List exports at scale: 100,000 requests exported as CSV and as XLSX through the API, timed,
// with the API process's resident memory sampled every 50 ms, beside its memory at rest
// measured in the same run (the goal: a large export never holds all its rows at once).
//   npm run build && node bench/exports.mjs [requests=100000]
// Needs PostgreSQL and Redis on their defaults. Asserts nothing.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { dropQueueKeys, freePort, startLifeline } from './lib.mjs';

const N = Number(process.argv[2] ?? 100_000);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const run = `ll_bench_exp_${Date.now().toString(36)}`;
const rssMiB = (pid) =>
  Number(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'))
      .split(/\s+/)[1],
  ) / 1024;

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${run}"`);
const key = randomBytes(24).toString('hex');
let app;
try {
  const port = await freePort();
  app = await startLifeline(port, {
    DATABASE_URL: `${PG}/${run}`,
    QUEUE_PREFIX: run,
    ADMIN_API_KEY: key,
  });
  const db = new pg.Client({ connectionString: `${PG}/${run}` });
  await db.connect();
  await db.query(
    `INSERT INTO requests (reference, recipient_country, organisation, destination, priority, kind,
                           received_at, created_by, updated_by, notes)
     SELECT 'REQ-2020-' || lpad(i::text, 7, '0'), (ARRAY['SO','TD','NE','ML'])[1 + i % 4],
            CASE WHEN i % 2 = 0 THEN 'وزارة الصحة' ELSE 'Ministère de la Santé' END,
            (ARRAY['SOMGQ','TDNDJ','NENIM','MLBKO'])[1 + i % 4], 'urgent', 'donation',
            timestamptz '2020-01-20' + i * interval '1 minute', 'bench', 'bench', 'note ' || i
       FROM generate_series(1, $1) AS i`,
    [N],
  );
  await db.end();
  const base = `http://127.0.0.1:${port}`;
  await fetch(`${base}/api/v1/requests?limit=200`, { headers: { authorization: `Bearer ${key}` } });
  await new Promise((r) => setTimeout(r, 1_000));
  const rest = rssMiB(app.pid);
  console.log(
    `Lifeline export benchmark: ${N} requests; API process at rest after one list call: ${rest.toFixed(0)} MiB RSS`,
  );
  for (const format of ['csv', 'xlsx']) {
    let peak = rssMiB(app.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(app.pid))), 50);
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/requests/export.${format}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    let bytes = 0;
    for await (const chunk of res.body) bytes += chunk.length;
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${format.padEnd(4)}: ${res.status}, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${seconds.toFixed(1)} s ` +
        `(${(N / seconds).toFixed(0)} rows/s); API peak RSS ${peak.toFixed(0)} MiB, ` +
        `${(peak - rest).toFixed(0)} MiB above rest (${(peak / rest).toFixed(2)}x)`,
    );
    await new Promise((r) => setTimeout(r, 2_000));
  }
} finally {
  app?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3_000));
  await admin.query(`DROP DATABASE IF EXISTS "${run}" WITH (FORCE)`);
  await admin.end();
  await dropQueueKeys(run);
}
