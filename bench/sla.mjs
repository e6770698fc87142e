// SLA breach latency: many running clocks whose deadlines fall within a minute, and how long
// after each deadline its breach alert is stored, its webhook reaches a subscriber and its
// email is accepted by an SMTP server (one notification rule, one recipient).
//   npm run build && node bench/sla.mjs [clocks=100000] [spreadSeconds=60]
// Prints p50/p95/p99/max of deadline -> alert stored (from PostgreSQL), deadline -> webhook
// received (at a receiver in this process) and deadline -> email accepted (by an SMTP server
// in this process), beside the goals (p99 under 1 s and under 2 s).
// Needs PostgreSQL and Redis on their defaults. Asserts nothing.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { Pool } from 'undici';
import { freePort, startLifeline } from './lib.mjs';

const CLOCKS = Number(process.argv[2] ?? 100_000);
const SPREAD_S = Number(process.argv[3] ?? 60);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 32;
// Requests to a country no bench policy covers, timed to pick the first deadline (below): the
// first half warms the app up, the second half is timed.
const CALIBRATION = 2 * Math.min(1_000, Math.max(100, Math.ceil(CLOCKS / 20)));
// Waiting for stragglers ends this long after the last deadline.
const GRACE_MS = 120_000;
const run = `ll_bench_${Date.now().toString(36)}`;
const appDb = `${run}_app`;

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x) => `${Math.round(x)} ms`;

/** Resident memory (MiB) and CPU seconds used so far by one process, from /proc. */
function usage(pid) {
  const rssLine = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssMiB: Number(rssLine.split(/\s+/)[1]) / 1024,
    cpuS: (Number(fields[11]) + Number(fields[12])) / 100, // USER_HZ is 100 on Linux
  };
}

/** Busy and total jiffies of the whole machine, to tell a saturated box from a slow app. */
function machineCpu() {
  const [, ...t] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = t.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3] - n[4], total }; // idle and iowait
}

// The subscriber: records when each breach message arrived and the deadline it names. It
// answers at once, so the figures are Lifeline's delivery time, not a slow receiver's.
const received = []; // { at, causeAt, raisedAt }, first receipt of each message only
const seen = new Set();
let duplicates = 0;
const baselineReceived = []; // { at, causeAt } of the baseline's plain POSTs
const receiver = createHttpServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    res.writeHead(204).end();
    if (req.url === '/baseline') {
      const { causeAt } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return void baselineReceived.push({ at, causeAt });
    }
    const id = req.headers['webhook-id'];
    if (seen.has(id)) return void duplicates++;
    seen.add(id);
    const { type, data } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (type === 'alert.sla_breach')
      received.push({ at, causeAt: Date.parse(data.causeAt), raisedAt: Date.parse(data.raisedAt) });
  });
});

// The SMTP server: records when it accepted each message, by Message-ID (read from the raw
// headers, so the bench spends little CPU on it); the deadline is looked up afterwards.
const accepted = new Map(); // Message-ID -> accepted at
let mailDuplicates = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, _session, callback) => {
    let head = '';
    stream.on('data', (chunk) => {
      if (head.length < 8192) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1];
      if (id && accepted.has(id)) mailDuplicates++;
      else if (id) accepted.set(id, Date.now());
      callback();
    });
  },
});

function startApp(port, key) {
  return startLifeline(port, {
    DATABASE_URL: `${PG}/${appDb}`,
    REDIS_URL: REDIS,
    QUEUE_PREFIX: run,
    ADMIN_API_KEY: key,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    SMTP_URL: `smtp://127.0.0.1:${smtp.server.address().port}`,
  });
}

/**
 * The baseline, on the same services in the same run: the plainest design, one BullMQ delayed
 * job per deadline whose worker inserts one row and POSTs one unsigned message. Lifeline adds
 * to it the clock logic, exactly-once guarantees, signing, retries and the attempt log.
 */
async function baseline(n, spreadS, receiverPort) {
  const redis = () => new Redis(REDIS, { maxRetriesPerRequest: null });
  const queue = new Queue('baseline', { connection: redis(), prefix: run });
  const pool = new pg.Pool({ connectionString: `${PG}/${appDb}`, max: 20 });
  const post = new Pool(`http://127.0.0.1:${receiverPort}`, { connections: 128 });
  await pool.query(
    `CREATE TABLE bench_baseline (id int PRIMARY KEY, due timestamptz NOT NULL,
       stored timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
  const start = Date.now() + 5_000 + n / 20; // adding the jobs takes about 1 s per 20,000
  const jobs = Array.from({ length: n }, (_, i) => ({
    id: i,
    due: start + (i * spreadS * 1000) / n,
  }));
  for (let i = 0; i < n; i += 5_000) {
    await queue.addBulk(
      jobs.slice(i, i + 5_000).map((j) => ({
        name: 'due',
        data: j,
        opts: { delay: Math.max(0, j.due - Date.now()), removeOnComplete: true },
      })),
    );
  }
  const worker = new Worker(
    'baseline',
    async ({ data }) => {
      await pool.query(
        `INSERT INTO bench_baseline (id, due) VALUES ($1, to_timestamp($2 / 1000.0))`,
        [data.id, data.due],
      );
      const res = await post.request({
        method: 'POST',
        path: '/baseline',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: data.id, causeAt: data.due }),
      });
      await res.body.dump();
    },
    { connection: redis(), prefix: run, concurrency: 64 },
  );
  const lastDue = start + spreadS * 1000;
  while (baselineReceived.length < n && Date.now() < lastDue + GRACE_MS) await sleep(500);
  await worker.close();
  await queue.close();
  await post.close();
  const stored = (
    await pool.query(
      `SELECT extract(epoch FROM stored - due)::float8 * 1000 AS ms FROM bench_baseline ORDER BY 1`,
    )
  ).rows.map((r) => r.ms);
  await pool.query(`DROP TABLE bench_baseline`);
  await pool.end();
  const got = baselineReceived.map((r) => r.at - r.causeAt).sort((x, y) => x - y);
  return { stored, received: got };
}

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
let app;
let db;
let client;
try {
  console.log(
    `Lifeline SLA benchmark: ${CLOCKS} clocks, deadlines spread over ${SPREAD_S} s; ` +
      `2 cores shared by the app (workers in-process), PostgreSQL, Redis and this bench.`,
  );
  await admin.query(`CREATE DATABASE "${appDb}"`);
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  await new Promise((r) => smtp.listen(0, '127.0.0.1', r));
  const base = await baseline(CLOCKS, SPREAD_S, receiver.address().port);
  const baseRow = (label, xs) =>
    `${label.padEnd(34)} ${String(xs.length).padStart(7)} of ${CLOCKS}   p50 ${ms(pct(xs, 50)).padStart(8)}` +
    `   p95 ${ms(pct(xs, 95)).padStart(8)}   p99 ${ms(pct(xs, 99)).padStart(8)}   max ${ms(xs.at(-1)).padStart(8)}`;
  console.log(
    'baseline: one BullMQ delayed job per deadline, its worker inserting a row and POSTing a message',
  );
  console.log(baseRow('  deadline -> row stored', base.stored));
  console.log(baseRow('  deadline -> POST received', base.received));
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  app = await startApp(port, key);
  db = new pg.Client({ connectionString: `${PG}/${appDb}` });
  await db.connect();

  // undici's own pool: a lighter client than fetch, so the load takes less of the 2 cores.
  client = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (path, body) => {
    const res = await client.request({
      path,
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const setup = async (path, body) => {
    const res = await call(path, body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body);
  };

  /** Creates requests with CONNECTIONS in flight; body(i) gives the i-th. */
  async function createRequests(count, body) {
    let next = 0;
    let failed = 0;
    let firstError;
    const started = performance.now();
    const cpu = { app: usage(app.pid).cpuS, machine: machineCpu() };
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < count) {
          // A failure costs one clock, not the run: counted, and the first one shown.
          const res = await call('/api/v1/requests', body(next++)).catch((e) => ({
            status: 0,
            body: String(e.message),
          }));
          if (res.status !== 201) {
            failed++;
            firstError ??= `${res.status} ${res.body.slice(0, 300)}`;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const m = machineCpu();
    const appCpu = (usage(app.pid).cpuS - cpu.app) / seconds;
    const machine = (m.busy - cpu.machine.busy) / (m.total - cpu.machine.total);
    const cpuUsed = `app ${(100 * appCpu).toFixed(0)} % of one core, machine ${(100 * machine).toFixed(0)} % of both (whatever else runs included)`;
    return { created: count - failed, failed, firstError, seconds, rate: count / seconds, cpuUsed };
  }

  await setup('/api/v1/items', {
    code: 'SLA-BENCH',
    name: 'Bench mask',
    category: 'ppe',
    unit: 'piece',
    coldChain: false,
  });
  await setup('/api/v1/webhooks', {
    url: `http://127.0.0.1:${receiver.address().port}/lifeline`,
    events: ['alert.sla_breach'],
  });
  await setup('/api/v1/notification-rules', {
    name: 'Bench: Djibouti desk',
    channel: 'email',
    kinds: ['sla_breach'],
    to: ['djibouti-desk@bench.invalid'],
    match: { countries: ['DJ'] },
    notifyResolved: false,
  });
  const request = (country, destination, receivedAt) => ({
    recipientCountry: country,
    organisation: 'Bench ministry',
    destination,
    priority: 'urgent',
    kind: 'donation',
    ...(receivedAt && { receivedAt: new Date(receivedAt).toISOString() }),
    lines: [{ itemCode: 'SLA-BENCH', quantity: 100 }],
  });

  // Every request must exist before the first deadline, or its alert measures its creation
  // rather than the engine. Time the same path on requests the default 96 h policy covers (their
  // clocks stay running all along), then leave 20 % and 30 s beyond the creation time expected.
  const warmUp = await createRequests(CALIBRATION / 2, () => request('AF', 'AFKBL'));
  const calibration = await createRequests(CALIBRATION / 2, () => request('AF', 'AFKBL'));
  for (const c of [warmUp, calibration])
    if (c.failed > 0) throw new Error(`calibration: ${c.firstError}`);
  console.log(
    `calibration: ${CALIBRATION} requests (96 h clocks, never due), ${CONNECTIONS} connections: ` +
      `${calibration.rate.toFixed(0)} requests/s after warming up (first half: ${warmUp.rate.toFixed(0)} requests/s)`,
  );
  const firstDeadline =
    Math.ceil((Date.now() + (1.2 * CLOCKS * 1000) / calibration.rate + 30_000) / 1000) * 1000;
  const lastDeadline = firstDeadline + SPREAD_S * 1000;

  // A request's clock starts at receivedAt = deadline - target, which must not be in the
  // future: a target longer than the time to the last deadline keeps every receivedAt past.
  const targetS = Math.ceil((lastDeadline - Date.now()) / 1000) + 60;
  const policy = await setup('/api/v1/sla/policies', {
    name: 'Bench: Djibouti, breach only',
    metric: 'request_to_first_dispatch',
    target: `PT${targetS}S`,
    warningRatio: 1,
    match: { country: ['DJ'] },
  });

  // Deadlines evenly spaced over the spread, handed out in shuffled order so the order of the
  // clocks in the tables and queues owes nothing to the order of their deadlines.
  const order = Int32Array.from({ length: CLOCKS }, (_, i) => i);
  for (let i = CLOCKS - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const deadline = (i) =>
    firstDeadline + Math.round((order[i] * SPREAD_S * 1000) / Math.max(1, CLOCKS - 1));
  const created = await createRequests(CLOCKS, (i) =>
    request('DJ', 'DJJIB', deadline(i) - targetS * 1000),
  );
  const headroom = (firstDeadline - Date.now()) / 1000;
  console.log(
    `created ${created.created} requests with running clocks in ${created.seconds.toFixed(1)} s: ` +
      `${created.rate.toFixed(0)} requests/s (${created.failed} failed` +
      `${created.firstError ? `, first: ${created.firstError}` : ''}); ` +
      (headroom >= 0
        ? `done ${headroom.toFixed(1)} s before the first deadline`
        : `NOT done before the first deadline (${(-headroom).toFixed(1)} s late): early figures include creation`),
  );
  console.log(`CPU while creating them: ${created.cpuUsed}`);
  const expected = created.created;

  // Wake-up jobs still in the outbox at the first deadline would delay alerts for reasons
  // other than firing them.
  await sleep(firstDeadline - 1_000 - Date.now());
  const unsent = (await db.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`))
    .rows[0].n;
  console.log(`outbox rows not yet relayed to Redis 1 s before the first deadline: ${unsent}`);

  // Until everything arrived, or the grace after the last deadline ran out: sample the app's
  // memory, and the CPU it and the whole machine used while the deadlines passed. PostgreSQL is
  // asked for its count only after the last deadline, to take nothing from the engine before.
  await sleep(firstDeadline - Date.now());
  const cpuStart = { at: Date.now(), app: usage(app.pid).cpuS, machine: machineCpu() };
  let cpuWindow;
  let peakRss = 0;
  let stored = 0;
  let lastProgress = Date.now();
  for (;;) {
    peakRss = Math.max(peakRss, usage(app.pid).rssMiB);
    if (Date.now() >= lastDeadline) {
      if (!cpuWindow) {
        const m = machineCpu();
        cpuWindow = {
          app: (usage(app.pid).cpuS - cpuStart.app) / ((Date.now() - cpuStart.at) / 1000),
          machine: (m.busy - cpuStart.machine.busy) / (m.total - cpuStart.machine.total),
        };
      }
      stored = (await db.query(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'sla_breach'`))
        .rows[0].n;
      if (stored >= expected && received.length >= expected && accepted.size >= expected) break;
      if (Date.now() > lastDeadline + GRACE_MS) break;
    }
    if (Date.now() - lastProgress >= 15_000) {
      lastProgress = Date.now();
      console.error(
        `  ${((Date.now() - firstDeadline) / 1000).toFixed(0)} s after the first deadline: ` +
          `${received.length} webhooks received, ${accepted.size} emails accepted`,
      );
    }
    await sleep(500);
  }
  const endRss = usage(app.pid).rssMiB;

  // Stored: raised_at is the insert's clock_timestamp(), a moment before its commit.
  const a = (
    await db.query(
      `SELECT count(*)::int AS n, min(ms) AS min, max(ms) AS max,
              percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p,
              extract(epoch FROM max(raised_at))::float8 * 1000 AS last_raised
         FROM (SELECT raised_at, extract(epoch FROM raised_at - cause_at)::float8 * 1000 AS ms
                 FROM alerts WHERE kind = 'sla_breach') x`,
    )
  ).rows[0];
  const perClock = (
    await db.query(
      `SELECT count(*)::int AS clocks, count(*) FILTER (WHERE n <> 1)::int AS off
         FROM (SELECT c.id, count(a.id) AS n FROM sla_clocks c
                 LEFT JOIN alerts a ON a.clock_id = c.id AND a.kind = 'sla_breach'
                WHERE c.policy_id = $1 GROUP BY c.id) x`,
      [policy.id],
    )
  ).rows[0];
  const late = received.map((r) => r.at - r.causeAt).sort((x, y) => x - y);
  const mailDue = new Map(
    (
      await db.query(
        `SELECT m.message_id, extract(epoch FROM a.cause_at)::float8 * 1000 AS due
           FROM notification_messages m JOIN alerts a ON a.id = m.alert_id
          WHERE m.purpose = 'alert' AND a.kind = 'sla_breach'`,
      )
    ).rows.map((r) => [r.message_id, r.due]),
  );
  const mailLate = [...accepted]
    .filter(([id]) => mailDue.has(id))
    .map(([id, at]) => at - mailDue.get(id))
    .sort((x, y) => x - y);
  const hop = received.map((r) => r.at - r.raisedAt).sort((x, y) => x - y);
  const lastAt = received.reduce((m, r) => Math.max(m, r.at), 0);

  const row = (label, n, p50, p95, p99, max, goalMs) =>
    `${label.padEnd(34)} ${String(n).padStart(7)} of ${expected}   p50 ${ms(p50).padStart(8)}` +
    `   p95 ${ms(p95).padStart(8)}   p99 ${ms(p99).padStart(8)}   max ${ms(max).padStart(8)}` +
    (goalMs
      ? `   goal p99 < ${goalMs / 1000} s: ${n === expected && p99 < goalMs ? 'met' : 'NOT met'}`
      : '');
  if (a.n > 0)
    console.log(row('deadline -> alert stored', a.n, ...a.p, a.max, 1_000), `(min ${ms(a.min)})`);
  else console.log('deadline -> alert stored: no alerts');
  if (late.length > 0) {
    console.log(
      row(
        'deadline -> webhook received',
        late.length,
        pct(late, 50),
        pct(late, 95),
        pct(late, 99),
        late.at(-1),
        2_000,
      ),
    );
    console.log(
      row(
        'alert stored -> webhook received',
        hop.length,
        pct(hop, 50),
        pct(hop, 95),
        pct(hop, 99),
        hop.at(-1),
      ),
    );
  } else console.log('deadline -> webhook received: no webhooks');
  if (mailLate.length > 0) {
    console.log(
      row(
        'deadline -> email accepted (SMTP)',
        mailLate.length,
        pct(mailLate, 50),
        pct(mailLate, 95),
        pct(mailLate, 99),
        mailLate.at(-1),
      ),
    );
  } else console.log('deadline -> email accepted: no emails');
  console.log(
    `after the last deadline: last alert stored ${a.n ? ms(a.last_raised - lastDeadline) : '-'}, ` +
      `last webhook received ${lastAt ? ms(lastAt - lastDeadline) : '-'}`,
  );
  console.log(
    `bench clocks with other than 1 breach alert: ${perClock.off} of ${perClock.clocks}; ` +
      `duplicate webhook deliveries (same webhook-id): ${duplicates}; ` +
      `duplicate emails (same Message-ID): ${mailDuplicates}`,
  );
  if (a.n > 0 && late.length > 0 && base.stored.length > 0 && base.received.length > 0) {
    console.log(
      `p99 against the baseline: alert stored ${(a.p[2] / pct(base.stored, 99)).toFixed(1)}x, ` +
        `webhook received ${(pct(late, 99) / pct(base.received, 99)).toFixed(1)}x`,
    );
  }
  console.log(
    `app RSS: peak ${peakRss.toFixed(0)} MiB while alerts fired, ${endRss.toFixed(0)} MiB at the end; ` +
      `CPU over the ${SPREAD_S} s of deadlines: app ${(100 * (cpuWindow?.app ?? NaN)).toFixed(0)} % of one core, ` +
      `machine ${(100 * (cpuWindow?.machine ?? NaN)).toFixed(0)} % of both (whatever else runs included)`,
  );
} finally {
  // Stop the app first: a running worker would recreate queue keys after they were deleted.
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((r) => app.once('exit', r));
    app.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
  }
  await client?.close();
  await db?.end();
  receiver.closeAllConnections();
  receiver.close();
  smtp.close();
  await admin.query(`DROP DATABASE IF EXISTS "${appDb}" WITH (FORCE)`);
  await admin.end();
  // Every key the app wrote (queues, schedulers, rate-limit counters) starts with its prefix.
  const redis = new Redis(REDIS);
  let removed = 0;
  for await (const keys of redis.scanStream({ match: `${run}:*`, count: 1_000 })) {
    if (keys.length > 0) removed += await redis.unlink(...keys);
  }
  await redis.quit();
  if (removed === 0) console.error(`note: no Redis keys under ${run}: found to delete`);
}
