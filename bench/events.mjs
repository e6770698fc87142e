// Status-event throughput, beside a pgbench -N figure measured in the same run.
//   npm run build && node bench/events.mjs [seconds=15]
// Prints: pgbench simple-update TPS at 8 clients; single-event POST throughput and p50/p99
// latency at 32 connections (each POST with an Idempotency-Key, as a carrier's feed sends);
// request creation throughput at 32 connections; the batch path's events per second applied
// end to end; and PostgreSQL round trips per event type, counted by the server's pool
// (lifeline_db_round_trips_total), in the request and in the jobs it causes.
// Needs PostgreSQL and Redis on their defaults and pgbench on the PATH. Asserts nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { dropQueueKeys, freePort, seedShipments, startLifeline } from './lib.mjs';

const SECONDS = Number(process.argv[2] ?? 15);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const run = `ll_bench_${Date.now().toString(36)}`;
const pgbenchDb = `${run}_pgbench`;
const appDb = `${run}_app`;

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
const sh = (cmd, args) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function pgbench() {
  sh('createdb', ['-h', '127.0.0.1', '-U', 'postgres', pgbenchDb]);
  sh('pgbench', ['-h', '127.0.0.1', '-U', 'postgres', '-i', '-s', '10', '-q', pgbenchDb]);
  const out = sh('pgbench', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-N',
    '-c',
    '8',
    '-j',
    '2',
    '-T',
    String(SECONDS),
    pgbenchDb,
  ]);
  return Number(/tps = ([\d.]+)/.exec(out)[1]);
}

function startApp(port, key) {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/benchprof'] : [];
  return startLifeline(
    port,
    {
      DATABASE_URL: process.env.BENCH_APP_SOCKET
        ? `postgres://postgres@localhost/${appDb}?host=${process.env.BENCH_APP_SOCKET}`
        : `${PG}/${appDb}`,
      QUEUE_PREFIX: run,
      ADMIN_API_KEY: key,
    },
    profile,
  );
}

/** Requests created through the API at 32 connections, each of 1 to 3 lines. */
async function requestCreation(port, headers, db, tps) {
  if (process.env.BENCH_ONLY) return;
  const tag = `Q${randomBytes(3).toString('hex').toUpperCase()}`;
  const codes = [1, 2, 3].map((n) => `${tag}-${n}`);
  for (const code of codes)
    await db.query(
      `INSERT INTO items (code, name, category, unit, created_by) VALUES ($1, 'Bench item', 'ppe', 'box', 'bench')`,
      [code],
    );
  const CONNECTIONS = 32;
  const load = await postLoad(port, headers, CONNECTIONS, SECONDS * 1000, (c, n) => ({
    path: '/api/v1/requests',
    key: `${tag}-${c}-${n}`,
    body: {
      recipientCountry: 'SO',
      organisation: 'Ministry of Health',
      destination: 'SOMGQ',
      priority: ['routine', 'urgent', 'asap', 'stat'][n % 4],
      kind: 'donation',
      receivedAt: new Date(Date.now() - 3_600_000).toISOString(),
      lines: codes.slice(0, 1 + (n % 3)).map((itemCode) => ({ itemCode, quantity: 1000 })),
    },
  }));
  console.log(
    `request creation, ${CONNECTIONS} connections:              ${load.rate.toFixed(0)} requests/s (${((100 * load.rate) / tps).toFixed(0)} % of pgbench), ` +
      `p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms, ${load.errors} non-201`,
  );
}

/**
 * POSTs from `connections` connections at once for `ms`, each sending `request(c, n)` (its n-th
 * on connection c) with an Idempotency-Key, the next when the last answered. undici's own pool:
 * a lighter client than fetch, so the load takes less of the 2 cores.
 */
async function postLoad(port, headers, connections, ms, request) {
  const client = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const latencies = [];
  let errors = 0;
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let n = 0; Date.now() < until; n++) {
        const { path, key, body } = request(c, n);
        const t0 = performance.now();
        const res = await client.request({
          path,
          method: 'POST',
          headers: { ...headers, 'idempotency-key': key },
          body: JSON.stringify(body),
        });
        await res.body.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.statusCode !== 201) errors++;
      }
    }),
  );
  await client.close();
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / (ms / 1000),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    errors,
  };
}

/** The server's count of statements sent to PostgreSQL so far. */
async function roundTripsSoFar(port) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return Number(/^lifeline_db_round_trips_total (\d+)/m.exec(text)[1]);
}

/**
 * Round trips per event of each type: 40 shipments walked one event at a time (one connection,
 * so nothing overlaps), then a pause for the jobs the events caused; the statements the idle
 * server sends in the same time (outbox poll, schedulers, the scrape itself) are taken off.
 */
async function roundTripsPerEvent(port, headers, db) {
  if (process.env.BENCH_ONLY) return;
  const N = 40;
  const SETTLE_MS = 2_500;
  const shipments = await seedShipments(db, N, `T${randomBytes(3).toString('hex').toUpperCase()}`);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await sleep(SETTLE_MS);
  const idle0 = await roundTripsSoFar(port);
  const idleStart = performance.now();
  await sleep(SETTLE_MS * 2);
  const idlePerMs = ((await roundTripsSoFar(port)) - idle0) / (performance.now() - idleStart);
  const at = (h) => new Date(Date.UTC(2020, 2, 21, h)).toISOString();
  const kinds = [
    ['dispatched', () => ({ status: 'dispatched', occurredAt: at(1), location: 'CNCAN' })],
    ['in_transit', () => ({ status: 'in_transit', occurredAt: at(2), location: 'AEDXB' })],
    ['in_transit (tracking update)', () => ({ status: 'in_transit', occurredAt: at(3) })],
    ['late fact (applied: false)', () => ({ status: 'in_transit', occurredAt: at(2.5) })],
    ['duplicate', () => ({ status: 'in_transit', occurredAt: at(3) })],
    ['on_hold', () => ({ status: 'on_hold', occurredAt: at(4), exceptionReason: 'customs_delay' })],
    [
      'exception',
      () => ({ status: 'exception', occurredAt: at(5), exceptionReason: 'weather_delay' }),
    ],
    ['arrived', () => ({ status: 'arrived', occurredAt: at(6), location: 'AFKBL' })],
    ['delivered', () => ({ status: 'delivered', occurredAt: at(7) })],
    ['refused (409)', () => ({ status: 'in_transit', occurredAt: at(8) })],
  ];
  console.log(
    `PostgreSQL round trips per event (${N} shipments each, request + the jobs it caused):`,
  );
  for (const [k, [name, body]] of kinds.entries()) {
    const before = await roundTripsSoFar(port);
    const start = performance.now();
    for (const [n, s] of shipments.entries()) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/shipments/${s.id}/events`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `${run}-rt${k}-${n}` },
        body: JSON.stringify(body(n)),
      });
      await res.arrayBuffer();
    }
    await sleep(SETTLE_MS);
    const spent = (await roundTripsSoFar(port)) - before;
    const idle = idlePerMs * (performance.now() - start);
    console.log(`  ${name.padEnd(30)} ${((spent - idle) / N).toFixed(1)}`);
  }
}

/** Batches: 10,000 events (1,000 shipments x 10 facts, shuffled), submit to last applied. */
async function batchPhase(port, headers, db) {
  const batchShipments = await seedShipments(
    db,
    1000,
    `C${randomBytes(3).toString('hex').toUpperCase()}`,
  );
  const steps = ['dispatched', ...Array(7).fill('in_transit'), 'arrived', 'delivered'];
  const events = batchShipments.flatMap((s) =>
    steps.map((status, i) => ({
      trackingReference: s.trackingReference,
      status,
      occurredAt: new Date(Date.UTC(2020, 2, 21, i)).toISOString(),
    })),
  );
  events.sort(() => Math.random() - 0.5);
  const t0 = performance.now();
  const accepted = await fetch(`http://127.0.0.1:${port}/api/v1/shipment-events/batch`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ events }),
  }).then((r) => r.json());
  const acceptedMs = performance.now() - t0;
  let batch;
  do {
    await new Promise((r) => setTimeout(r, 50));
    batch = await fetch(`http://127.0.0.1:${port}/api/v1/shipment-events/batches/${accepted.id}`, {
      headers,
    }).then((r) => r.json());
  } while (batch.status !== 'completed');
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `batch of 10,000 events, end to end:           ${(10_000 / seconds).toFixed(0)} events/s ` +
      `(202 after ${acceptedMs.toFixed(0)} ms, all applied after ${seconds.toFixed(2)} s; applied ${batch.applied}, rejected ${batch.rejected})`,
  );
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

try {
  console.log(
    `Lifeline event benchmark, ${SECONDS} s phases, 2 cores; server, PostgreSQL, Redis and load share them.`,
  );
  // For profiling: 'batch' runs the batch phase alone, 'single' the single events alone.
  const only = process.env.BENCH_ONLY;
  const tps = only ? NaN : pgbench();
  console.log(`pgbench -N (simple update), 8 clients:        ${tps.toFixed(0)} TPS`);

  await admin.query(`CREATE DATABASE "${appDb}"`);
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  const app = await startApp(port, key);
  const db = new pg.Client({ connectionString: `${PG}/${appDb}` });
  await db.connect();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  // Single events: 32 connections, each walking its own 10 shipments forward in time, so the
  // mix is like a carrier's: one dispatch, then tracking updates (in_transit) per shipment.
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const singles = await seedShipments(
    db,
    CONNECTIONS * 10,
    `B${randomBytes(3).toString('hex').toUpperCase()}`,
  );
  const walks = Array.from({ length: CONNECTIONS }, (_, c) =>
    singles.filter((_, k) => k % CONNECTIONS === c),
  );
  const load = await postLoad(
    port,
    headers,
    CONNECTIONS,
    only === 'batch' ? 0 : SECONDS * 1000,
    (c, n) => {
      const mine = walks[c];
      const step = Math.floor(n / mine.length);
      return {
        path: `/api/v1/shipments/${mine[n % mine.length].id}/events`,
        key: `${run}-${c}-${n}`,
        body: {
          status: step === 0 ? 'dispatched' : 'in_transit',
          occurredAt: new Date(Date.UTC(2020, 2, 21) + step * 60_000).toISOString(),
          location: 'AEDXB',
        },
      };
    },
  );
  if (only !== 'batch')
    console.log(
      `single-event POST, ${CONNECTIONS} connections:            ${load.rate.toFixed(0)} events/s (${((100 * load.rate) / tps).toFixed(0)} % of pgbench), ` +
        `p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms, ${load.errors} non-201`,
    );

  await requestCreation(port, headers, db, tps);
  await roundTripsPerEvent(port, headers, db);

  if (only !== 'single') await batchPhase(port, headers, db);

  await db.end();
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
} finally {
  for (const name of [pgbenchDb, appDb])
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
  await dropQueueKeys(run);
}
