// The statements a request creation and each kind of status event send to PostgreSQL, as the
// server logs them.
//   npm run build && node bench/trace-event.mjs > /tmp/trace.txt
// Turns on log_statement for a database of its own, seeds a shipment, creates a request, posts
// a dispatch, a tracking update and a delivery (each with an Idempotency-Key) and prints, for
// each, the statements the log shows in the 1.5 s after it: the request's and its jobs'.
// Needs PostgreSQL's log at /var/log/postgresql (Debian's default). Asserts nothing.
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropQueueKeys, freePort, seedShipments, startLifeline } from './lib.mjs';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const LOG = process.env.PG_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
const db = `ll_trace_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${db}"`);
await admin.query(`ALTER DATABASE "${db}" SET log_statement = 'all'`);
const key = randomBytes(24).toString('hex');
const port = await freePort();
const app = await startLifeline(port, {
  DATABASE_URL: `${PG}/${db}`,
  QUEUE_PREFIX: db,
  ADMIN_API_KEY: key,
});
const client = new pg.Client({ connectionString: `${PG}/${db}` });
await client.connect();
try {
  const tag = `TR${randomBytes(2).toString('hex').toUpperCase()}`;
  const [s] = await seedShipments(client, 1, tag);
  await client.end();
  await new Promise((r) => setTimeout(r, 2000));
  const at = (h) => new Date(Date.UTC(2020, 2, 21, h)).toISOString();
  const trace = async (label, path, body, key) => {
    const from = statSync(LOG).size;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': `trace-${label.replaceAll(' ', '-')}`,
      },
      body: JSON.stringify(body),
    });
    const answer = await res.text();
    if (res.status >= 400) console.log(answer);
    await new Promise((r) => setTimeout(r, 1500));
    const lines = readFileSync(LOG, 'utf8')
      .slice(from)
      .split('\n')
      .filter((l) => l.includes(`@${db} LOG:  statement:`) || l.includes(`@${db} LOG:  execute`));
    console.log(`\n=== ${label} (${res.status}): ${lines.length} statements`);
    for (const l of lines) console.log(l.replace(/^.*?LOG: {2}/, '').slice(0, 160));
  };
  await trace(
    'request creation',
    '/api/v1/requests',
    {
      recipientCountry: 'SO',
      organisation: 'Ministry of Health',
      destination: 'SOMGQ',
      priority: 'urgent',
      kind: 'donation',
      receivedAt: new Date(Date.now() - 3_600_000).toISOString(),
      lines: [{ itemCode: tag, quantity: 10 }],
    },
    key,
  );
  for (const body of [
    { status: 'dispatched', occurredAt: at(1), location: 'CNCAN' },
    { status: 'in_transit', occurredAt: at(2), location: 'AEDXB' },
    { status: 'delivered', occurredAt: at(3) },
  ]) {
    await trace(body.status, `/api/v1/shipments/${s.id}/events`, body, key);
  }
} finally {
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  await admin.end();
  await dropQueueKeys(db);
}
