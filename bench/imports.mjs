// Spreadsheet intake: how many rows a second POST /api/v1/imports/requests checks (dry run) and
// imports (commit, one transaction), for a CSV and an XLSX of the same rows, beside a baseline
// measured in the same run: the same requests and lines written straight to PostgreSQL by a
// plain script, one statement per request, in one transaction (no validation, no clocks).
//   npm run build && node bench/imports.mjs [rows=10000] [linesPerRequest=5]
// Needs PostgreSQL and Redis on their defaults. Asserts nothing.
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import pg from 'pg';
import { dropQueueKeys, freePort, startLifeline } from './lib.mjs';

const ROWS = Number(process.argv[2] ?? 10_000);
const PER = Number(process.argv[3] ?? 5);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const run = `ll_bench_imp_${Date.now().toString(36)}`;
const ITEMS = Array.from({ length: PER }, (_, i) => `BENCH-ITEM-${i}`);
const COUNTRIES = [
  ['Somalia', 'SOMGQ'],
  ['Tchad', 'TDNDJ'],
  ['النيجر', 'NENIM'],
  ['Mali', 'MLBKO'],
];
const HEADER = [
  'request_ref',
  'country',
  'destination',
  'requested_by',
  'priority',
  'kind',
  'item',
  'quantity',
  'need_by',
  'received_at',
  'notes',
];

function rows(tag) {
  return Array.from({ length: ROWS }, (_, i) => {
    const r = Math.floor(i / PER);
    const [country, destination] = COUNTRIES[r % COUNTRIES.length];
    return [
      `${tag}-${r}`,
      country,
      destination,
      'وزارة الصحة',
      'urgent',
      'donation',
      ITEMS[i % PER],
      String(100 + i),
      '',
      '2020-03-20',
      '',
    ];
  });
}

async function xlsx(data) {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('requests');
  sheet.addRow(HEADER);
  for (const row of data) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${run}"`);
const key = randomBytes(24).toString('hex');
const port = await freePort();
let app;
try {
  app = await startLifeline(port, {
    DATABASE_URL: `${PG}/${run}`,
    QUEUE_PREFIX: run,
    ADMIN_API_KEY: key,
  });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${key}` };
  for (const code of ITEMS) {
    await fetch(`${base}/api/v1/items`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        code,
        name: `Bench ${code}`,
        category: 'ppe',
        unit: 'piece',
        coldChain: false,
      }),
    });
  }
  const post = async (file, name, dryRun) => {
    const form = new FormData();
    form.append('file', new Blob([file]), name);
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/imports/requests${dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers,
      body: form,
    });
    const body = await res.json();
    const seconds = (performance.now() - started) / 1000;
    if (res.status >= 300) throw new Error(`${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    return { seconds, body };
  };
  console.log(
    `Lifeline import benchmark: ${ROWS} rows, ${PER} lines per request (${ROWS / PER} requests); ` +
      '2 cores shared by the app (workers in-process), PostgreSQL, Redis and this bench.',
  );

  // Baseline: the same requests and lines straight into PostgreSQL, one transaction.
  const db = new pg.Client({ connectionString: `${PG}/${run}` });
  await db.connect();
  const itemIds = new Map(
    (await db.query(`SELECT id, code FROM items`)).rows.map((r) => [r.code, r.id]),
  );
  await db.query(
    `CREATE TABLE bench_requests (id bigserial PRIMARY KEY, ref text, country text, destination text, organisation text);
     CREATE TABLE bench_lines (request_id bigint, item_id uuid, quantity int)`,
  );
  const data = rows('BASE');
  const started = performance.now();
  await db.query('BEGIN');
  for (let i = 0; i < data.length; i += PER) {
    const group = data.slice(i, i + PER);
    await db.query(
      `WITH r AS (INSERT INTO bench_requests (ref, country, destination, organisation) VALUES ($1, $2, $3, $4) RETURNING id)
       INSERT INTO bench_lines SELECT r.id, x.item, x.q FROM r, unnest($5::uuid[], $6::int[]) AS x(item, q)`,
      [
        group[0][0],
        group[0][1],
        group[0][2],
        group[0][3],
        group.map((g) => itemIds.get(g[6])),
        group.map((g) => Number(g[7])),
      ],
    );
  }
  await db.query('COMMIT');
  const baseline = ROWS / ((performance.now() - started) / 1000);
  await db.end();
  console.log(
    `baseline: plain inserts of the same requests and lines, one transaction: ${baseline.toFixed(0)} rows/s`,
  );

  for (const [kind, make] of [
    ['CSV', async (tag) => Buffer.from(stringify([HEADER, ...rows(tag)], { bom: true }))],
    ['XLSX', async (tag) => xlsx(rows(tag))],
  ]) {
    const file = await make(kind);
    const name = `requests.${kind.toLowerCase()}`;
    const dry = await post(file, name, true);
    if (!dry.body.valid)
      throw new Error(`dry run found problems: ${JSON.stringify(dry.body.errors[0])}`);
    const commit = await post(file, name, false);
    const rate = (s) => ROWS / s;
    console.log(
      `${kind.padEnd(4)} (${(file.length / 1024).toFixed(0)} KiB): dry run ${rate(dry.seconds).toFixed(0)} rows/s ` +
        `(${dry.seconds.toFixed(2)} s); import ${rate(commit.seconds).toFixed(0)} rows/s ` +
        `(${commit.seconds.toFixed(2)} s, ${commit.body.requests.length} requests created; ` +
        `${(rate(commit.seconds) / baseline).toFixed(2)}x the baseline); goal >= 1,000 rows/s: ` +
        `${rate(commit.seconds) >= 1000 ? 'met' : 'NOT met'}`,
    );
  }
} finally {
  app?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3_000));
  await admin.query(`DROP DATABASE IF EXISTS "${run}" WITH (FORCE)`);
  await admin.end();
  await dropQueueKeys(run);
}
