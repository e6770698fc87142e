// A realistic, deterministic dataset of raw Lifeline rows for the report benchmarks.
//   node bench/seed-reports.mjs [requests=1000000] [database=lifeline_bench_reports]
// Drops and recreates the database, migrates it with dist/cli/migrate.js (build first), then
// writes items, carriers, requests, lines, orders, shipments, their items and status events,
// SLA clocks and the alerts the app would have raised by now, with set-based SQL (INSERT ...
// SELECT over generate_series, 100,000 requests per transaction). Every random draw is a hash
// of the row's index, and every id a hash of what it names, so two runs give the same rows.
// The report tables (report_dirty's triggers fill it; report_facts, coverage_cells) are left to
// the app. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth). Asserts nothing.
//
// The story: 54 countries ask for help from 2019-01-01 to 2020-12-31, with a surge in spring
// 2020; the snapshot is taken at 2021-01-01T00:00:00Z, so what would have happened after it
// has not (recent requests are open, recent sea freight is still at sea).
import { execFileSync } from 'node:child_process';
import pg from 'pg';

const REQUESTS = Number(process.argv[2] ?? 1_000_000);
const DATABASE = process.argv[3] ?? 'lifeline_bench_reports';
const CHUNK = Number(process.env.SEED_CHUNK ?? 100_000);
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
if (!Number.isInteger(REQUESTS) || REQUESTS < 1)
  throw new Error('requests must be a positive integer');
if (!/^[a-z_][a-z0-9_]*$/.test(DATABASE))
  throw new Error('database: lower-case letters, digits, _');

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2019, 0, 1);
const DAYS = 731; // 2019-01-01 .. 2020-12-31
const SNAPSHOT_MS = Date.UTC(2021, 0, 1);

// Recipient countries: ISO alpha-2, relative weight, capital (UN/LOCODE), road hub (UN/LOCODE).
const COUNTRIES = [
  ['AF', 6, 'AFKBL', 'PKKHI'],
  ['BD', 5, 'BDDAC', 'INCCU'],
  ['DJ', 1.2, 'DJJIB', 'ETADD'],
  ['NE', 2.5, 'NENIM', 'BJCOO'],
  ['BF', 2.5, 'BFOUA', 'GHACC'],
  ['SO', 4, 'SOMGQ', 'KENBO'],
  ['PS', 3, 'PSGZA', 'JOAMM'],
  ['SN', 2, 'SNDKR', 'GMBJL'],
  ['ML', 2.5, 'MLBKO', 'SNDKR'],
  ['SD', 4.5, 'SDKRT', 'EGCAI'],
  ['ET', 4, 'ETADD', 'DJJIB'],
  ['KE', 2.5, 'KENBO', 'TZDAR'],
  ['NG', 3.5, 'NGABV', 'GHACC'],
  ['CD', 3.5, 'CDFIH', 'UGKLA'],
  ['SS', 3, 'SSJUB', 'UGKLA'],
  ['TD', 2, 'TDNDJ', 'CMDLA'],
  ['CF', 1.5, 'CFBGF', 'CMDLA'],
  ['CM', 1.5, 'CMYAO', 'NGLOS'],
  ['MZ', 2, 'MZMPM', 'ZAJNB'],
  ['ZW', 1.5, 'ZWHRE', 'ZAJNB'],
  ['MW', 1.2, 'MWLLW', 'TZDAR'],
  ['UG', 2, 'UGKLA', 'KENBO'],
  ['TZ', 1.5, 'TZDAR', 'KENBO'],
  ['GN', 1.2, 'GNCKY', 'SNDKR'],
  ['SL', 1, 'SLFNA', 'SNDKR'],
  ['LR', 1, 'LRMLW', 'CIABJ'],
  ['MG', 1.2, 'MGTNR', 'MUPLU'],
  ['ZM', 1, 'ZMLUN', 'ZAJNB'],
  ['PK', 4, 'PKISB', 'AEDXB'],
  ['NP', 1.5, 'NPKTM', 'INCCU'],
  ['MM', 2, 'MMRGN', 'THBKK'],
  ['KH', 0.8, 'KHPNH', 'THBKK'],
  ['LA', 0.6, 'LAVTE', 'THBKK'],
  ['PH', 2, 'PHMNL', 'SGSIN'],
  ['ID', 2, 'IDJKT', 'SGSIN'],
  ['TJ', 0.7, 'TJDYU', 'UZTAS'],
  ['KG', 0.7, 'KGFRU', 'KZALA'],
  ['YE', 5, 'YEADE', 'OMSLL'],
  ['SY', 4, 'SYDAM', 'JOAMM'],
  ['IQ', 3, 'IQBGW', 'JOAMM'],
  ['LB', 2, 'LBBEY', 'JOAMM'],
  ['JO', 1.5, 'JOAMM', 'AEDXB'],
  ['IR', 2, 'IRTHR', 'AEDXB'],
  ['HT', 2.5, 'HTPAP', 'DOSDQ'],
  ['VE', 2.5, 'VECCS', 'COBOG'],
  ['CO', 1.5, 'COBOG', 'PAPTY'],
  ['PE', 1.2, 'PELIM', 'PAPTY'],
  ['BO', 0.8, 'BOLPB', 'PELIM'],
  ['EC', 1.2, 'ECUIO', 'PAPTY'],
  ['HN', 0.9, 'HNTGU', 'PAPTY'],
  ['GT', 0.9, 'GTGUA', 'PAPTY'],
  ['UA', 1.5, 'UAIEV', 'PLWAW'],
  ['MD', 0.6, 'MDKIV', 'ROBUH'],
  ['BA', 0.5, 'BASJJ', 'HRZAG'],
];

// Catalogue: code, name, category, unit, cold chain, typical quantity, weight before / during
// COVID-19 (from 2020-03-01).
const ITEMS = [
  ['MASK-N95', 'N95 respirator', 'ppe', 'piece', false, 50_000, 1, 9],
  [
    'GLOVE-NIT-M',
    'Nitrile examination gloves, size M, box of 100',
    'ppe',
    'box',
    false,
    2_000,
    3,
    5,
  ],
  ['GOWN-ISO-L3', 'Isolation gown, AAMI level 3', 'ppe', 'piece', false, 20_000, 1, 5],
  [
    'TEST-PCR-COV2',
    'SARS-CoV-2 RT-PCR test kit, 96 reactions',
    'diagnostics',
    'kit',
    true,
    400,
    0.2,
    7,
  ],
  [
    'TEST-AG-RDT',
    'Antigen rapid diagnostic test, box of 25',
    'diagnostics',
    'kit',
    false,
    2_000,
    1,
    4,
  ],
  [
    'SWAB-VTM',
    'Nasopharyngeal swab with viral transport medium',
    'diagnostics',
    'pack',
    false,
    5_000,
    0.5,
    4,
  ],
  ['VENT-ICU', 'ICU ventilator', 'respiratory', 'piece', false, 20, 0.4, 3],
  ['O2-CONC-10L', 'Oxygen concentrator, 10 L/min', 'respiratory', 'piece', false, 100, 1, 5],
  ['O2-REG-FLOW', 'Oxygen regulator with flowmeter', 'respiratory', 'piece', false, 200, 0.8, 2.5],
  ['PULSE-OXI', 'Pulse oximeter, fingertip', 'monitoring', 'piece', false, 500, 1, 3.5],
  ['MON-PATIENT', 'Patient monitor, multi-parameter', 'monitoring', 'piece', false, 30, 0.7, 2],
  ['THERM-IR', 'Infrared thermometer, non-contact', 'monitoring', 'piece', false, 300, 0.5, 3],
  [
    'DEXA-4MG',
    'Dexamethasone 4 mg/mL injection, 1 mL vial',
    'medicines',
    'vial',
    false,
    20_000,
    1.5,
    3,
  ],
  ['PARA-500', 'Paracetamol 500 mg tablets, pack of 1000', 'medicines', 'pack', false, 3_000, 4, 3],
  [
    'AMOX-DT-250',
    'Amoxicillin 250 mg dispersible tablets, pack of 100',
    'medicines',
    'pack',
    false,
    3_000,
    4,
    2,
  ],
  ['VAC-MR', 'Measles-rubella vaccine, 10-dose vial', 'vaccines', 'dose', true, 100_000, 3, 1],
  ['VAC-OCV', 'Oral cholera vaccine, single dose', 'vaccines', 'dose', true, 200_000, 2, 0.8],
  ['BED-HOSP', 'Hospital bed, manual, two-crank', 'equipment', 'piece', false, 100, 1.5, 2],
  ['TENT-MED-45', 'Medical tent, 45 m2', 'equipment', 'piece', false, 10, 1.5, 1.5],
  [
    'SYR-AD-05',
    'Auto-disable syringe 0.5 mL, box of 100',
    'consumables',
    'box',
    false,
    2_000,
    3,
    2,
  ],
  ['SANIT-500', 'Alcohol-based hand rub, 500 mL', 'consumables', 'piece', false, 10_000, 1, 4],
  ['SAFETY-BOX-5L', 'Safety box for sharps, 5 L', 'consumables', 'piece', false, 2_000, 2, 1.5],
];

const MODES = ['air_charter', 'air_cargo', 'road', 'sea'];
// Carriers: code, name, kind, modes, weight within each mode it serves.
const CARRIERS = [
  ['SRC', 'Silk Road Charter', 'charter_operator', ['air_charter'], 3],
  ['SAC', 'Sahel Air Charter', 'charter_operator', ['air_charter'], 2],
  ['MAC', 'Meridian Air Cargo', 'airline', ['air_cargo'], 3],
  ['KAC', 'Kestrel Airlines Cargo', 'airline', ['air_cargo', 'air_charter'], 2],
  ['GCA', 'Gulf Crescent Airways Cargo', 'airline', ['air_cargo'], 4],
  ['TST', 'TransSahara Trucking', 'trucking', ['road'], 3],
  ['EAO', 'East Africa Overland Haulage', 'trucking', ['road'], 3],
  ['AOL', 'Andes Overland Logistics', 'trucking', ['road'], 1.5],
  ['BHS', 'Blue Horizon Shipping Line', 'shipping_line', ['sea'], 3],
  ['IOC', 'Indian Ocean Container Lines', 'shipping_line', ['sea'], 2],
  ['GRF', 'Global Relief Forwarding', 'freight_forwarder', ['air_cargo', 'road', 'sea'], 2],
  [
    'CFF',
    'Caravan Freight Forwarders',
    'freight_forwarder',
    ['air_charter', 'air_cargo', 'road', 'sea'],
    1,
  ],
];
// Where goods leave from, by mode (road leaves from the country's regional hub).
const AIR_ORIGINS = ['AEDXB', 'DKCPH', 'CNCAN', 'BEBRU', 'INBOM', 'CNSHA'];
const SEA_ORIGINS = ['CNSHA', 'NLRTM', 'BEANR', 'INBOM', 'AEJEA'];
const AIR_HUBS = ['AEDXB', 'QADOH', 'ETADD', 'TRIST', 'KENBO', 'SNDKR'];
const SEA_HUBS = ['LKCMB', 'OMSLL', 'EGPSD', 'SGSIN', 'PAPTY'];
const ORGANISATIONS = [
  'Ministry of Health',
  'Ministry of Public Health',
  'National Disaster Management Authority',
  'WHO Country Office',
  'UNICEF Country Office',
  'National Red Cross / Red Crescent Society',
  'MSF Operational Centre',
  'National Public Health Institute',
];
const SOURCES = [
  'WHO Logistics Hub Dubai',
  'UNICEF Supply Division Copenhagen',
  'Regional hub Nairobi',
  'Regional hub Panama',
  'Central warehouse Guangzhou',
  'Regional hub Dakar',
];
const REJECT_REASONS = [
  'Duplicate request',
  'Outside the campaign scope',
  'Covered by another donor',
  'Incomplete specification',
];
const CANCEL_REASONS = [
  'Withdrawn by the requester',
  'Needs met locally',
  'Superseded by a new request',
];
const EXCEPTION_REASONS = [
  'customs_delay',
  'customs_documentation',
  'weather_delay',
  'carrier_capacity',
  'security',
  'regulatory_hold',
  'mechanical',
];

// Requests per day: growth through 2019, the COVID-19 surge peaking mid-April 2020, a second
// wave in the autumn, fewer on weekends.
function dayWeight(d) {
  const base = 1 + (0.4 * Math.min(d, 425)) / 425;
  const surge =
    d >= 420 ? 6 * Math.exp(-(((d - 468) / 30) ** 2)) + Math.min(1.4, (d - 420) / 30) : 0;
  const autumn = 1.2 * Math.exp(-(((d - 675) / 28) ** 2));
  const weekday = new Date(START_MS + d * DAY_MS).getUTCDay();
  return (base + surge + autumn) * (weekday === 0 || weekday === 6 ? 0.55 : 1);
}
/** Starts of the cumulative share of each bucket, for width_bucket(u, starts). */
function starts(weights) {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => {
    const s = acc / total;
    acc += w;
    return s;
  });
}
const dayStarts = starts(Array.from({ length: DAYS }, (_, d) => dayWeight(d)));
const dayEnds = [...dayStarts.slice(1), 1];

// SQL literals.
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
const textArray = (xs) => `ARRAY[${xs.map(q).join(',')}]::text[]`;
const numArray = (xs) =>
  `ARRAY[${xs.map((x) => (Number.isInteger(x) ? `${x}.0` : String(x))).join(',')}]::float8[]`;
const intArray = (xs) => `ARRAY[${xs.join(',')}]::int[]`;

const uid = (text) => `pg_temp.uid(${text})`;
const U = (key, salt) => `pg_temp.u(${key}, ${salt})`;
const Z = (key, salt) => `pg_temp.z(${key}, ${salt})`;
/** 1-based pick from cumulative starts (width_bucket answers the bucket u falls in). */
const pick = (u, weights) => `width_bucket(${u}, ${numArray(starts(weights))})`;
const ts = (ms) => `pg_temp.ts(${ms})`;

const itemCodes = ITEMS.map((i) => i[0]);
const carrierCodes = CARRIERS.map((c) => c[0]);
const byMode = Object.fromEntries(
  MODES.map((m) => [
    m,
    CARRIERS.map((c, i) => ({ i: i + 1, w: c[4], modes: c[3] })).filter((c) => c.modes.includes(m)),
  ]),
);

const HELPERS = `
CREATE FUNCTION pg_temp.u(n bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT ((hashint8extended(n, 7919 * salt + 17) & 4503599627370495)::float8 + 0.5) / 4503599627370496.0 $$;
CREATE FUNCTION pg_temp.z(n bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT sqrt(-2 * ln(pg_temp.u(n, salt))) * cos(2 * pi() * pg_temp.u(n, salt + 5000)) $$;
CREATE FUNCTION pg_temp.uid(t text) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT overlay(overlay(md5('lifeline-bench:' || t) placing '4' from 13) placing '8' from 17)::uuid $$;
CREATE FUNCTION pg_temp.ts(ms bigint) RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS
  $$ SELECT 'epoch'::timestamptz + ms * interval '1 millisecond' $$;
CREATE FUNCTION pg_temp.iso(ms bigint) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
  $$ SELECT to_char(pg_temp.ts(ms) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
CREATE FUNCTION pg_temp.seqref(prefix text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT prefix || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END $$;
`;

// ---------------------------------------------------------------------------------------------
// One chunk: requests lo..hi. Temp tables hold each request's and shipment's draws and derived
// facts once; the inserts only fan them out.

/** Request-level facts (times in ms since the epoch). */
function requestsSql(lo, hi, orderOffset) {
  const countryW = COUNTRIES.map((c) => c[1]);
  const beforeW = ITEMS.map((i) => i[6]);
  const duringW = ITEMS.map((i) => i[7]);
  const covidDay = (Date.UTC(2020, 2, 1) - START_MS) / DAY_MS;
  return `
CREATE TEMP TABLE r_ ON COMMIT DROP AS
WITH b AS MATERIALIZED (
  SELECT n, (n - 1 + ${U('n', 1)}) / ${REQUESTS}.0 AS q,
         ${U('n', 2)} AS u_country, ${U('n', 3)} AS u_pri, ${U('n', 4)} AS u_kind,
         ${U('n', 5)} AS u_lines, ${U('n', 6)} AS u_class, ${U('n', 7)} AS u_stall,
         ${U('n', 8)} AS u_open, ${Z('n', 9)} AS z_d, ${U('n', 10)} AS u_tail,
         ${U('n', 11)} AS u_two, ${U('n', 12)} AS u_appr, ${U('n', 13)} AS u_org,
         ${U('n', 14)} AS u_need, ${U('n', 15)} AS u_item, ${U('n', 16)} AS u_off2,
         ${U('n', 17)} AS u_off3, ${U('n', 18)} AS u_split, ${U('n', 19)} AS u_frac,
         ${U('n', 20)} AS u_src, ${U('n', 21)} AS u_reason, ${U('n', 22)} AS u_bylot
    FROM generate_series(${lo}::bigint, ${hi}::bigint) n
), d AS MATERIALIZED (
  SELECT b.*, width_bucket(q, ${numArray(dayStarts)}) AS dayi FROM b
), t AS MATERIALIZED (
  SELECT d.*,
         ${START_MS}::bigint + (dayi - 1)::bigint * ${DAY_MS}
           + floor((q - (${numArray(dayStarts)})[dayi]) / ((${numArray(dayEnds)})[dayi] - (${numArray(dayStarts)})[dayi]) * ${DAY_MS})::bigint AS received_ms,
         ${pick('u_country', countryW)} AS ci,
         CASE WHEN u_pri < 0.5 THEN 'routine' WHEN u_pri < 0.8 THEN 'urgent' WHEN u_pri < 0.95 THEN 'asap' ELSE 'stat' END AS priority,
         CASE WHEN u_lines < 0.45 THEN 1 WHEN u_lines < 0.8 THEN 2 ELSE 3 END AS nlines,
         CASE WHEN dayi - 1 < ${covidDay} THEN ${pick('u_item', beforeW)} ELSE ${pick('u_item', duringW)} END AS item1
    FROM d
), p AS MATERIALIZED (
  SELECT t.*,
         -- Request to first dispatch: log-normal by priority, slower in the spring 2020 surge,
         -- and a few requests that wait for stock (the long tail).
         round(${HOUR_MS} * (CASE priority WHEN 'stat' THEN 22 WHEN 'asap' THEN 35 WHEN 'urgent' THEN 50 ELSE 63 END)
               * exp(0.55 * z_d)
               * CASE WHEN received_ms BETWEEN ${Date.UTC(2020, 2, 10)} AND ${Date.UTC(2020, 5, 15)} THEN 1.25 ELSE 1 END
               * CASE WHEN u_tail < 0.03 THEN 2.5 + 4 * u_tail / 0.03 ELSE 1 END)::bigint AS d_ms,
         CASE WHEN u_class < 0.015 THEN 'rejected' WHEN u_class < 0.025 THEN 'cancelled' ELSE 'approved' END AS decision
    FROM t
), c AS MATERIALIZED (
  SELECT p.*,
         CASE WHEN decision <> 'approved' THEN decision
              WHEN received_ms + d_ms > ${SNAPSHOT_MS}
                OR (n > ${Math.floor(REQUESTS * 0.975)} AND u_stall < 0.55)
                OR u_stall < 0.003 THEN 'open'
              ELSE 'dispatched' END AS class
    FROM p
)
SELECT n, ${uid(`'r' || n`)} AS id,
       'REQ-' || to_char(${ts('received_ms')} AT TIME ZONE 'UTC', 'YYYY') || '-' || pg_temp.seqref('', n) AS reference,
       received_ms, (${textArray(COUNTRIES.map((c) => c[0]))})[ci] AS country,
       (${textArray(COUNTRIES.map((c) => c[2]))})[ci] AS destination,
       (${textArray(COUNTRIES.map((c) => c[3]))})[ci] AS road_hub,
       priority, CASE WHEN u_kind < 0.8 THEN 'donation' ELSE 'procurement' END AS kind,
       (${textArray(ORGANISATIONS)})[1 + floor(u_org * ${ORGANISATIONS.length})::int] AS organisation,
       CASE WHEN u_need < 0.7 THEN received_ms + round((3 + 25 * u_need) * ${DAY_MS})::bigint END AS needed_by_ms,
       nlines, item1,
       -- Further lines take other items (distinct offsets modulo the catalogue).
       1 + (item1 - 1 + 1 + floor(u_off2 * ${Math.floor(ITEMS.length / 2) - 1})::int) % ${ITEMS.length} AS item2,
       1 + (item1 - 1 + ${Math.floor(ITEMS.length / 2)} + floor(u_off3 * ${Math.ceil(ITEMS.length / 2) - 1})::int) % ${ITEMS.length} AS item3,
       class,
       CASE WHEN class = 'open' THEN CASE WHEN u_open < 0.25 THEN 'received' WHEN u_open < 0.45 THEN 'approved' ELSE 'in_fulfilment' END END AS open_stage,
       CASE WHEN class = 'dispatched' THEN received_ms + d_ms END AS first_ms,
       -- Approval, or the rejection / cancellation, some way into the wait for the first dispatch.
       received_ms + round((least(received_ms + d_ms, ${SNAPSHOT_MS}) - received_ms) * (0.04 + 0.25 * u_appr))::bigint AS decided_ms,
       class = 'dispatched' AND u_two < 0.4 AS two,
       nlines >= 2 AND u_split < 0.5 AS by_line, 0.3 + 0.4 * u_frac AS frac, u_bylot,
       (${textArray(SOURCES)})[1 + floor(u_src * ${SOURCES.length})::int] AS source,
       CASE class WHEN 'rejected' THEN (${textArray(REJECT_REASONS)})[1 + floor(u_reason * ${REJECT_REASONS.length})::int]
                  WHEN 'cancelled' THEN (${textArray(CANCEL_REASONS)})[1 + floor(u_reason * ${CANCEL_REASONS.length})::int] END AS reason,
       CASE WHEN class = 'dispatched' OR (class = 'open' AND u_open >= 0.45) THEN
         ${orderOffset} + count(*) FILTER (WHERE class = 'dispatched' OR (class = 'open' AND u_open >= 0.45)) OVER (ORDER BY n) END AS order_seq
  FROM c;
CREATE INDEX ON r_ (n);
ANALYZE r_;`;
}

/** Request lines (and their order lines' split over the shipments). */
function linesSql() {
  const qty = numArray(ITEMS.map((i) => i[5]));
  return `
CREATE TEMP TABLE l_ ON COMMIT DROP AS
SELECT r.n, l.line_no, l.item, ${uid(`'rl' || r.n || '.' || l.line_no`)} AS id,
       ${uid(`'ol' || r.n || '.' || l.line_no`)} AS order_line_id,
       greatest(2, round((${qty})[l.item] * exp(0.9 * ${Z('r.n * 4 + l.line_no', 30)})))::int AS quantity
  FROM r_ r CROSS JOIN LATERAL (VALUES (1, r.item1), (2, r.item2), (3, r.item3)) AS l(line_no, item)
 WHERE l.line_no <= r.nlines;
ALTER TABLE l_ ADD COLUMN q1 int, ADD COLUMN q2 int;
UPDATE l_ SET q1 = CASE WHEN NOT r.two THEN l_.quantity
                        WHEN r.by_line THEN CASE WHEN l_.line_no = 1 THEN l_.quantity ELSE 0 END
                        ELSE greatest(1, least(l_.quantity - 1, round(l_.quantity * r.frac)::int)) END
  FROM r_ r WHERE r.n = l_.n;
UPDATE l_ SET q2 = l_.quantity - l_.q1;
CREATE INDEX ON l_ (n);
ANALYZE l_;`;
}

/** Shipments: one for each dispatched request (or open one in fulfilment), a second for 40 %. */
function shipmentsSql(shipmentOffset) {
  const modeCase = (k) => {
    const w =
      k === 1
        ? {
            stat: [45, 45, 10, 0],
            asap: [40, 48, 12, 0],
            urgent: [18, 50, 23, 9],
            routine: [8, 42, 30, 20],
          }
        : { any: [5, 35, 35, 25] };
    const one = (weights) => `(${textArray(MODES)})[${pick('u_mode', weights)}]`;
    if (k === 2) return one(w.any);
    return `CASE r.priority ${['stat', 'asap', 'urgent'].map((p) => `WHEN '${p}' THEN ${one(w[p])}`).join(' ')} ELSE ${one(w.routine)} END`;
  };
  const carrierCase = `CASE mode ${MODES.map(
    (m) =>
      `WHEN '${m}' THEN (${intArray(byMode[m].map((c) => c.i))})[${pick(
        'u_carrier',
        byMode[m].map((c) => c.w),
      )}]`,
  ).join(' ')} END`;
  // Dispatch to delivery, hours, by mode.
  const transit = `CASE mode WHEN 'air_charter' THEN 40 * exp(0.3 * z_transit) WHEN 'air_cargo' THEN 55 * exp(0.3 * z_transit)
                             WHEN 'road' THEN 175 * exp(0.3 * z_transit) ELSE 610 * exp(0.2 * z_transit) END`;
  return `
CREATE TEMP TABLE s_ ON COMMIT DROP AS
WITH k AS MATERIALIZED (
  SELECT r.n, k.k, r.n * 4 + k.k AS key, r.received_ms, r.decided_ms, r.first_ms, r.priority, r.country,
         r.destination, r.road_hub, r.open_stage,
         CASE WHEN k.k = 1 THEN r.first_ms
              WHEN r.first_ms + greatest(1000, round(${HOUR_MS} * 40 * exp(0.8 * ${Z('r.n * 4 + 2', 40)})))::bigint <= ${SNAPSHOT_MS}
                   AND ${U('r.n * 4 + 2', 41)} >= 0.05
              THEN r.first_ms + greatest(1000, round(${HOUR_MS} * 40 * exp(0.8 * ${Z('r.n * 4 + 2', 40)})))::bigint END AS disp_ms,
         -- When it would have left, for a shipment that has not.
         CASE WHEN k.k = 1 AND r.first_ms IS NULL THEN ${SNAPSHOT_MS}
              WHEN k.k = 2 THEN least(${SNAPSHOT_MS}, r.first_ms + greatest(1000, round(${HOUR_MS} * 40 * exp(0.8 * ${Z('r.n * 4 + 2', 40)})))::bigint) END AS until_ms,
         ${U('r.n * 4 + k.k', 42)} AS u_mode, ${U('r.n * 4 + k.k', 43)} AS u_carrier,
         ${Z('r.n * 4 + k.k', 44)} AS z_transit, ${U('r.n * 4 + k.k', 45)} AS u_fate,
         ${U('r.n * 4 + k.k', 46)} AS u_side, ${U('r.n * 4 + k.k', 47)} AS u_created,
         ${U('r.n * 4 + k.k', 48)} AS u_booked, ${U('r.n * 4 + k.k', 49)} AS u_origin,
         ${U('r.n * 4 + k.k', 50)} AS u_reason, ${U('r.n * 4 + k.k', 51)} AS u_rec, ${U('r.n * 4 + k.k', 52)} AS u_hub
    FROM r_ r CROSS JOIN LATERAL (VALUES (1), (2)) AS k(k)
   WHERE (k.k = 1 AND (r.class = 'dispatched' OR r.open_stage = 'in_fulfilment')) OR (k.k = 2 AND r.two)
), m AS MATERIALIZED (
  SELECT k.*, ${'' /* mode needs u_mode and priority */}
         ${modeCase(1).replaceAll('r.priority', 'k.priority')} AS mode1, ${modeCase(2)} AS mode2
    FROM k
), m2 AS MATERIALIZED (
  SELECT m.*, CASE WHEN k = 1 THEN mode1 ELSE mode2 END AS mode FROM m
), c AS MATERIALIZED (
  SELECT m2.*, ${carrierCase} AS ci, round(${HOUR_MS} * (${transit}))::bigint AS transit_ms,
         -- Created (planned) between the decision and departure; booked half way to departure.
         decided_ms + round((coalesce(disp_ms, until_ms) - decided_ms) * (0.2 + 0.6 * u_created))::bigint AS created_ms
    FROM m2
), f AS MATERIALIZED (
  SELECT c.*,
         CASE WHEN disp_ms IS NOT NULL OR u_booked < 0.55 THEN created_ms + (coalesce(disp_ms, until_ms) - created_ms) / 2 END AS booked_ms,
         -- What happened on the way: lost, returned, stuck in an exception or on hold, or nothing.
         CASE WHEN disp_ms IS NULL THEN NULL
              WHEN u_fate < 0.004 THEN 'lost' WHEN u_fate < 0.007 THEN 'returned'
              WHEN u_fate < 0.027 THEN 'exception' WHEN u_fate < 0.035 THEN 'on_hold' END AS side,
         disp_ms + round(transit_ms * (0.35 + 0.45 * u_side))::bigint AS side_ms
    FROM c
), g AS MATERIALIZED (
  SELECT f.*,
         CASE WHEN side IS NOT NULL AND side_ms <= ${SNAPSHOT_MS} THEN side END AS side_status,
         disp_ms + round(transit_ms * 0.3)::bigint AS transit_event_ms,
         disp_ms + round(transit_ms * 0.85)::bigint AS arrived_ms,
         disp_ms + round(transit_ms * 0.93)::bigint AS customs_ms,
         disp_ms + transit_ms AS delivery_ms
    FROM f
)
SELECT n, k, key, ${uid(`'s' || n || '.' || k`)} AS id, mode, ci,
       (${textArray(carrierCodes)})[ci] AS carrier_code, country, destination, priority,
       CASE mode WHEN 'road' THEN road_hub
                 WHEN 'sea' THEN (${textArray(SEA_ORIGINS)})[1 + floor(u_origin * ${SEA_ORIGINS.length})::int]
                 ELSE (${textArray(AIR_ORIGINS)})[1 + floor(u_origin * ${AIR_ORIGINS.length})::int] END AS origin,
       CASE WHEN mode = 'sea' THEN (${textArray(SEA_HUBS)})[1 + floor(u_hub * ${SEA_HUBS.length})::int]
            WHEN mode = 'road' THEN road_hub
            ELSE (${textArray(AIR_HUBS)})[1 + floor(u_hub * ${AIR_HUBS.length})::int] END AS hub,
       created_ms, booked_ms, disp_ms, transit_ms, u_rec,
       CASE WHEN disp_ms IS NOT NULL AND side_status IS NULL AND transit_event_ms <= ${SNAPSHOT_MS} THEN transit_event_ms
            WHEN side_status IS NOT NULL THEN transit_event_ms END AS in_transit_ms,
       CASE WHEN disp_ms IS NOT NULL AND side_status IS NULL AND delivery_ms > ${SNAPSHOT_MS} AND arrived_ms <= ${SNAPSHOT_MS} THEN arrived_ms END AS arrived_ms,
       CASE WHEN disp_ms IS NOT NULL AND side_status IS NULL AND delivery_ms > ${SNAPSHOT_MS} AND customs_ms <= ${SNAPSHOT_MS} THEN customs_ms END AS customs_ms,
       side_status, CASE WHEN side_status IS NOT NULL THEN side_ms END AS side_ms,
       CASE WHEN side_status = 'exception' THEN (${textArray(EXCEPTION_REASONS)})[1 + floor(u_reason * ${EXCEPTION_REASONS.length})::int] END AS exception_reason,
       CASE WHEN disp_ms IS NOT NULL AND side_status IS NULL AND delivery_ms <= ${SNAPSHOT_MS} THEN delivery_ms END AS delivered_ms,
       -- Planned departure and estimated arrival, as the coordinator set them at creation.
       created_ms + round((coalesce(disp_ms, until_ms) - created_ms) * 0.8)::bigint AS planned_departure_ms,
       created_ms + round((coalesce(disp_ms, until_ms) - created_ms) * 0.8)::bigint
         + ${HOUR_MS}::bigint * CASE mode WHEN 'air_charter' THEN 48 WHEN 'air_cargo' THEN 72 WHEN 'road' THEN 192 ELSE 720 END AS eta_ms,
       ${shipmentOffset} + row_number() OVER (ORDER BY n, k) AS seq
  FROM g;
ALTER TABLE s_ ADD COLUMN status text, ADD COLUMN resume_status text, ADD COLUMN last_event_ms bigint;
UPDATE s_ SET status = CASE WHEN delivered_ms IS NOT NULL THEN 'delivered'
                            WHEN side_status IS NOT NULL THEN side_status
                            WHEN customs_ms IS NOT NULL THEN 'customs_cleared'
                            WHEN arrived_ms IS NOT NULL THEN 'arrived'
                            WHEN in_transit_ms IS NOT NULL THEN 'in_transit'
                            WHEN disp_ms IS NOT NULL THEN 'dispatched'
                            WHEN booked_ms IS NOT NULL THEN 'booked' ELSE 'planned' END,
              resume_status = CASE WHEN side_status IN ('exception', 'on_hold') THEN 'in_transit' END,
              last_event_ms = coalesce(delivered_ms, side_ms, customs_ms, arrived_ms, in_transit_ms, disp_ms, booked_ms);
CREATE INDEX ON s_ (n, k);
ANALYZE s_;
-- Per request: its shipments' outcome (every shipment carries some of every line it lists).
CREATE TEMP TABLE ra_ ON COMMIT DROP AS
SELECT n, count(*) AS shipments, bool_and(disp_ms IS NOT NULL) AS all_dispatched,
       bool_and(status = 'delivered') AS all_delivered, max(delivered_ms) AS last_delivery_ms,
       max(last_event_ms) AS last_event_ms, count(*) FILTER (WHERE disp_ms IS NOT NULL) AS dispatched,
       count(*) FILTER (WHERE status = 'delivered') AS delivered
  FROM s_ GROUP BY n;
CREATE INDEX ON ra_ (n);
ANALYZE ra_;`;
}

const insertsSql = `
INSERT INTO requests (id, reference, recipient_country, organisation, destination, priority, kind,
       workflow_status, status, received_at, needed_by, first_dispatch_at, delivered_at, decided_at,
       decided_by, decision_reason, version, created_at, created_by, updated_at, updated_by)
SELECT r.id, r.reference, r.country, r.organisation, r.destination, r.priority, r.kind,
       w.workflow, x.status, ${ts('r.received_ms')}, ${ts('r.needed_by_ms')}, ${ts('r.first_ms')},
       ${ts("CASE WHEN x.status = 'delivered' THEN a.last_delivery_ms END")},
       ${ts("CASE WHEN w.workflow <> 'received' THEN r.decided_ms END")},
       CASE WHEN w.workflow <> 'received' THEN 'bench-coordinator' END, r.reason,
       1 + (w.workflow <> 'received')::int + coalesce(a.dispatched + a.delivered, 0)::int,
       ${ts('r.received_ms + 60000 + (r.n % 600000)')}, 'bench-seed',
       ${ts("greatest(r.received_ms + 60000 + (r.n % 600000), CASE WHEN w.workflow <> 'received' THEN r.decided_ms END, a.last_event_ms)")},
       'bench-seed'
  FROM r_ r LEFT JOIN ra_ a ON a.n = r.n
  CROSS JOIN LATERAL (SELECT CASE WHEN r.class IN ('rejected', 'cancelled') THEN r.class
                                  WHEN r.open_stage = 'received' THEN 'received' ELSE 'approved' END AS workflow) w
  CROSS JOIN LATERAL (SELECT CASE WHEN w.workflow <> 'approved' THEN w.workflow
                                  WHEN a.all_delivered THEN 'delivered'
                                  WHEN a.all_dispatched THEN 'dispatched'
                                  WHEN r.order_seq IS NOT NULL THEN 'in_fulfilment'
                                  ELSE 'approved' END AS status) x
 ORDER BY r.n;

INSERT INTO request_lines (id, request_id, line_no, item_id, quantity, allocated, dispatched, delivered)
SELECT l.id, r.id, l.line_no, ${uid("'item:' || (" + textArray(itemCodes) + ')[l.item]')}, l.quantity,
       CASE WHEN r.order_seq IS NOT NULL THEN l.quantity ELSE 0 END,
       coalesce((l.q1 * (s1.disp_ms IS NOT NULL)::int) + (l.q2 * (s2.disp_ms IS NOT NULL)::int), 0),
       coalesce((l.q1 * (s1.status = 'delivered')::int) + (l.q2 * coalesce(s2.status = 'delivered', false)::int), 0)
  FROM l_ l JOIN r_ r ON r.n = l.n
  LEFT JOIN s_ s1 ON s1.n = l.n AND s1.k = 1 LEFT JOIN s_ s2 ON s2.n = l.n AND s2.k = 2
 ORDER BY l.n, l.line_no;

INSERT INTO orders (id, reference, request_id, source, workflow_status, status, version, created_at,
       created_by, updated_at, updated_by)
SELECT ${uid("'o' || r.n")}, pg_temp.seqref('ORD-', r.order_seq), r.id, r.source, 'confirmed',
       CASE WHEN a.all_delivered THEN 'delivered' WHEN a.all_dispatched THEN 'dispatched' ELSE 'confirmed' END,
       2 + (a.all_dispatched)::int + (a.all_delivered)::int,
       ${ts('r.decided_ms + 600000')}, 'bench-coordinator',
       ${ts('greatest(r.decided_ms + 1200000, a.last_event_ms)')}, 'bench-coordinator'
  FROM r_ r LEFT JOIN ra_ a ON a.n = r.n
 WHERE r.order_seq IS NOT NULL ORDER BY r.n;

INSERT INTO order_lines (id, order_id, request_line_id, quantity, shipped, dispatched, delivered)
SELECT l.order_line_id, ${uid("'o' || r.n")}, l.id, l.quantity,
       coalesce(l.q1 * (s1.n IS NOT NULL)::int, 0) + coalesce(l.q2 * (s2.n IS NOT NULL)::int, 0),
       coalesce((l.q1 * (s1.disp_ms IS NOT NULL)::int), 0) + coalesce((l.q2 * (s2.disp_ms IS NOT NULL)::int), 0),
       coalesce((l.q1 * (s1.status = 'delivered')::int), 0) + coalesce((l.q2 * (s2.status = 'delivered')::int), 0)
  FROM l_ l JOIN r_ r ON r.n = l.n
  LEFT JOIN s_ s1 ON s1.n = l.n AND s1.k = 1 LEFT JOIN s_ s2 ON s2.n = l.n AND s2.k = 2
 WHERE r.order_seq IS NOT NULL ORDER BY l.n, l.line_no;

INSERT INTO shipments (id, reference, carrier_id, mode, origin, destination, destination_country,
       tracking_reference, status, resume_status, last_event_at, dispatched_at, delivered_at,
       planned_departure_at, estimated_arrival_at, version, created_at, created_by, updated_at, updated_by)
SELECT s.id, pg_temp.seqref('SHP-', s.seq), ${uid("'carrier:' || s.carrier_code")}, s.mode, s.origin,
       s.destination, s.country, s.carrier_code || '-' || upper(to_hex(s.key * 7 + 1000003)), s.status,
       s.resume_status, ${ts('s.last_event_ms')}, ${ts('s.disp_ms')}, ${ts('s.delivered_ms')},
       ${ts('s.planned_departure_ms')}, ${ts('s.eta_ms')},
       1 + (s.booked_ms IS NOT NULL)::int + (s.disp_ms IS NOT NULL)::int + (s.in_transit_ms IS NOT NULL)::int
         + (s.arrived_ms IS NOT NULL)::int + (s.customs_ms IS NOT NULL)::int + (s.side_ms IS NOT NULL)::int
         + (s.delivered_ms IS NOT NULL)::int,
       ${ts('s.created_ms')}, 'bench-coordinator', ${ts('coalesce(s.last_event_ms, s.created_ms)')}, 'bench-seed'
  FROM s_ s ORDER BY s.n, s.k;

INSERT INTO shipment_items (id, shipment_id, order_line_id, quantity, lot, expires_on, received_good, damaged, missing)
SELECT ${uid("'si' || s.n || '.' || s.k || '.' || l.line_no")}, s.id, l.order_line_id, x.qty,
       'L' || to_char(${ts('s.created_ms')} AT TIME ZONE 'UTC', 'YYMM') || '-' || upper(to_hex((s.key * 31 + l.line_no) % 65536)),
       (${ts('s.created_ms')} AT TIME ZONE 'UTC')::date + 400 + ((s.key * 13 + l.line_no * 7) % 500)::int,
       CASE WHEN s.status = 'delivered' THEN x.qty END, CASE WHEN s.status = 'delivered' THEN 0 END,
       CASE WHEN s.status = 'delivered' THEN 0 END
  FROM s_ s JOIN l_ l ON l.n = s.n
  CROSS JOIN LATERAL (SELECT CASE s.k WHEN 1 THEN l.q1 ELSE l.q2 END AS qty) x
 WHERE x.qty > 0 ORDER BY s.n, s.k, l.line_no;

INSERT INTO shipment_events (id, shipment_id, status, occurred_at, recorded_at, recorded_by, outcome,
       location, exception_reason)
SELECT ${uid("'e' || s.n || '.' || s.k || '.' || e.status")}, s.id, e.status, ${ts('e.at')},
       ${ts('e.at + 1000 + floor(s.u_rec * 900000)::bigint')}, 'carrier:' || s.carrier_code, 'applied', e.location,
       CASE WHEN e.status = 'exception' THEN s.exception_reason END
  FROM s_ s CROSS JOIN LATERAL (VALUES
         ('booked', s.booked_ms, s.origin), ('dispatched', s.disp_ms, s.origin),
         ('in_transit', s.in_transit_ms, s.hub), ('arrived', s.arrived_ms, s.destination),
         ('customs_cleared', s.customs_ms, s.destination), (s.side_status, s.side_ms, s.hub),
         ('delivered', s.delivered_ms, s.destination)) AS e(status, at, location)
 WHERE e.at IS NOT NULL AND e.status IS NOT NULL ORDER BY s.n, s.k, e.at;
`;

// SLA clocks, as SlaClocksService.apply() / settleClock() leave them; alerts owed by now (the
// app's sweeps would raise them at start otherwise) are written as already raised.
const clocksSql = `
CREATE TEMP TABLE c_ ON COMMIT DROP AS
SELECT ${uid("'clock:r' || r.n")} AS id, 'request_to_first_dispatch' AS metric, 'request' AS subject_type,
       r.id AS subject_id, r.reference AS subject_reference, p.id AS policy_id, r.country, r.priority,
       NULL::text AS mode, NULL::uuid AS carrier_id, p.target_ms, p.warning_ratio,
       r.received_ms AS start_ms, r.first_ms AS stop_ms,
       CASE WHEN r.class IN ('rejected', 'cancelled') THEN r.decided_ms END AS cancel_ms, NULL::bigint AS pause_ms
  FROM r_ r CROSS JOIN (SELECT id, target_ms, warning_ratio FROM sla_policies
                         WHERE metric = 'request_to_first_dispatch' AND specificity = 0 AND archived_at IS NULL
                         ORDER BY created_at DESC LIMIT 1) p
UNION ALL
SELECT ${uid("'clock:s' || s.n || '.' || s.k")}, 'dispatch_to_delivery', 'shipment', s.id, pg_temp.seqref('SHP-', s.seq),
       p.id, s.country, s.priority, s.mode, ${uid("'carrier:' || s.carrier_code")}, p.target_ms, p.warning_ratio,
       s.disp_ms, s.delivered_ms, CASE WHEN s.side_status IN ('lost', 'returned') THEN s.side_ms END,
       CASE WHEN s.side_status = 'on_hold' THEN s.side_ms END
  FROM s_ s JOIN LATERAL (SELECT id, target_ms, warning_ratio FROM sla_policies
                           WHERE metric = 'dispatch_to_delivery' AND s.mode = ANY(match_mode) AND archived_at IS NULL
                           ORDER BY specificity DESC, created_at DESC, id DESC LIMIT 1) p ON true
 WHERE s.disp_ms IS NOT NULL;
ALTER TABLE c_ ADD COLUMN warn_ms bigint, ADD COLUMN due_ms bigint, ADD COLUMN end_ms bigint, ADD COLUMN state text;
UPDATE c_ SET warn_ms = start_ms + round(target_ms * warning_ratio)::bigint, due_ms = start_ms + target_ms,
              end_ms = coalesce(stop_ms, cancel_ms, pause_ms),
              state = CASE WHEN stop_ms IS NOT NULL THEN CASE WHEN stop_ms - start_ms <= target_ms THEN 'met' ELSE 'breached' END
                           WHEN cancel_ms IS NOT NULL THEN 'cancelled' WHEN pause_ms IS NOT NULL THEN 'paused' ELSE 'running' END;

INSERT INTO sla_clocks (id, metric, subject_type, subject_id, subject_reference, policy_id, country,
       priority, mode, carrier_id, target_ms, warning_ratio, started_at, paused_ms, paused_at, state,
       warn_at, due_at, warning_fired_at, breach_fired_at, next_alert_at, stopped_at, elapsed_ms,
       lateness_ms, created_at, updated_at)
SELECT id, metric, subject_type, subject_id, subject_reference, policy_id, country, priority, mode,
       carrier_id, target_ms, warning_ratio, ${ts('start_ms')}, 0, ${ts('pause_ms')}, state,
       ${ts("CASE WHEN state = 'running' THEN warn_ms END")}, ${ts("CASE WHEN state = 'running' THEN due_ms END")},
       -- Fired on time (a wake-up a moment after the instant); a running clock has fired both by now.
       ${ts('CASE WHEN end_ms IS NULL OR end_ms >= warn_ms THEN warn_ms + 100 END')},
       ${ts('CASE WHEN end_ms IS NULL OR end_ms >= due_ms THEN due_ms + 100 END')},
       NULL, ${ts('stop_ms')}, stop_ms - start_ms, CASE WHEN stop_ms IS NOT NULL THEN greatest(0, stop_ms - start_ms - target_ms) END,
       ${ts('start_ms + 50')}, ${ts('coalesce(end_ms, due_ms) + 100')}
  FROM c_ ORDER BY subject_id, metric;

INSERT INTO alerts (id, kind, dedupe_key, state, severity, title, details, clock_id, request_id,
       shipment_id, country, carrier_id, cause_at, raised_at, resolved_at, resolution)
SELECT ${uid("'alert:' || a.kind || ':' || c.id")}, a.kind,
       a.kind || ':' || c.id || ':' || c.start_ms, a.state, a.severity,
       c.subject_reference || CASE a.kind WHEN 'sla_breach' THEN ' missed its ' ELSE ' has used 75 % of its ' END
         || (c.target_ms / ${HOUR_MS}) || ' h ' || replace(c.metric, '_', ' ') || ' target',
       jsonb_build_object('metric', c.metric, 'policyId', c.policy_id, 'targetSeconds', c.target_ms / 1000,
                          'startedAt', pg_temp.iso(c.start_ms), 'warnAt', pg_temp.iso(c.warn_ms),
                          'dueAt', pg_temp.iso(c.due_ms), 'priority', c.priority, 'mode', c.mode),
       c.id, CASE WHEN c.subject_type = 'request' THEN c.subject_id END,
       CASE WHEN c.subject_type = 'shipment' THEN c.subject_id END, c.country, c.carrier_id,
       ${ts('a.cause_ms')}, ${ts('a.cause_ms + 100')}, ${ts('a.resolved_ms')}, a.resolution
  FROM c_ c CROSS JOIN LATERAL (VALUES
         ('sla_warning', 'resolved', 'warning', c.warn_ms, c.due_ms + 100, 'superseded by the breach'),
         ('sla_breach', 'open', 'critical', c.due_ms, NULL, NULL)) AS a(kind, state, severity, cause_ms, resolved_ms, resolution)
 WHERE c.state = 'running';

INSERT INTO alerts (id, kind, dedupe_key, state, severity, title, details, shipment_id, event_id,
       country, carrier_id, cause_at, raised_at)
SELECT ${uid("'alert:' || a.kind || ':' || s.id")}, a.kind, a.dedupe_key, 'open', a.severity, a.title, a.details,
       s.id, a.event_id, s.country, ${uid("'carrier:' || s.carrier_code")}, ${ts('a.cause_ms')},
       ${ts('a.cause_ms + 100')}
  FROM s_ s CROSS JOIN LATERAL (
    -- A moving shipment unheard of for 24 h (TRACKING_STALE_SECONDS' default).
    SELECT 'tracking_stale' AS kind, 'tracking_stale:' || s.id || ':' || s.last_event_ms AS dedupe_key,
           'warning' AS severity,
           pg_temp.seqref('SHP-', s.seq) || ' (' || s.status || ') has had no tracking event for 24 h' AS title,
           jsonb_build_object('lastEventAt', pg_temp.iso(s.last_event_ms), 'status', s.status, 'staleAfterSeconds', 86400) AS details,
           NULL::uuid AS event_id, s.last_event_ms + ${DAY_MS} AS cause_ms
     WHERE s.status IN ('dispatched', 'in_transit', 'arrived', 'customs_cleared', 'out_for_delivery', 'exception')
    UNION ALL
    -- Past its estimated arrival without arriving.
    SELECT 'eta_overdue', 'eta_overdue:' || s.id || ':' || s.eta_ms, 'warning',
           pg_temp.seqref('SHP-', s.seq) || ' (' || s.status || ') was estimated to arrive by ' || pg_temp.iso(s.eta_ms),
           jsonb_build_object('estimatedArrivalAt', pg_temp.iso(s.eta_ms), 'status', s.status), NULL, s.eta_ms
     WHERE s.eta_ms < extract(epoch FROM now()) * 1000
       AND (s.status IN ('planned', 'booked', 'dispatched', 'in_transit')
            OR (s.status IN ('exception', 'on_hold') AND s.resume_status IN ('planned', 'booked', 'dispatched', 'in_transit')))
    UNION ALL
    -- The exception, loss or return itself.
    SELECT 'shipment_exception', 'shipment_exception:' || ${uid("'e' || s.n || '.' || s.k || '.' || s.side_status")},
           CASE WHEN s.side_status = 'lost' THEN 'critical' ELSE 'warning' END,
           pg_temp.seqref('SHP-', s.seq) || ' ' || s.side_status || coalesce(': ' || s.exception_reason, '') || ' at ' || s.hub,
           jsonb_build_object('status', s.side_status, 'exceptionReason', s.exception_reason, 'location', s.hub),
           ${uid("'e' || s.n || '.' || s.k || '.' || s.side_status")}, s.side_ms
     WHERE s.side_status IN ('exception', 'lost', 'returned')) a;
`;

// ---------------------------------------------------------------------------------------------

const secs = (t0) => ((performance.now() - t0) / 1000).toFixed(1);
const t0 = performance.now();
const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
await admin.query(`CREATE DATABASE "${DATABASE}"`);
await admin.end();
execFileSync(process.execPath, ['dist/cli/migrate.js'], {
  env: { ...process.env, DATABASE_URL: `${PG}/${DATABASE}`, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
console.log(
  `${DATABASE}: created and migrated in ${secs(t0)} s; seeding ${REQUESTS.toLocaleString('en')} requests`,
);

const db = new pg.Client({
  connectionString: `${PG}/${DATABASE}`,
  application_name: 'seed-reports',
});
await db.connect();
await db.query(`SET synchronous_commit = off`);
await db.query(`SET work_mem = '64MB'`);
await db.query(`SET temp_buffers = '1GB'`); // the chunk's temp tables stay in memory
await db.query(`SET jit = off`);
await db.query(HELPERS);

await db.query(
  `INSERT INTO items (id, code, name, category, unit, cold_chain, min_shelf_life_days, created_at, created_by)
   SELECT ${uid("'item:' || code")}, code, name, category, unit, cold_chain, CASE WHEN cold_chain THEN 90 ELSE 180 END,
          '2018-12-01T09:00:00Z', 'bench-seed'
     FROM unnest(${textArray(itemCodes)}, ${textArray(ITEMS.map((i) => i[1]))}, ${textArray(ITEMS.map((i) => i[2]))},
                 ${textArray(ITEMS.map((i) => i[3]))}, ARRAY[${ITEMS.map((i) => i[4]).join(',')}]::boolean[])
          AS t(code, name, category, unit, cold_chain)`,
);
await db.query(
  `INSERT INTO carriers (id, code, name, kind, modes, contact, created_at, created_by, updated_at, updated_by)
   SELECT ${uid("'carrier:' || code")}, code, name, kind, string_to_array(modes, ','),
          jsonb_build_object('email', 'ops@' || lower(code) || '.example.org'),
          '2018-12-01T09:00:00Z', 'bench-seed', '2018-12-01T09:00:00Z', 'bench-seed'
     FROM unnest(${textArray(carrierCodes)}, ${textArray(CARRIERS.map((c) => c[1]))}, ${textArray(CARRIERS.map((c) => c[2]))},
                 ${textArray(CARRIERS.map((c) => c[3].join(',')))}) AS t(code, name, kind, modes)`,
);

// Load without keys and indexes, then build them once: per-row foreign-key checks and random-uuid
// index inserts would otherwise be most of the time. Their definitions are read from the
// catalogue and put back exactly (names included); statement triggers stay on.
const SEEDED = [
  'requests',
  'request_lines',
  'orders',
  'order_lines',
  'shipments',
  'shipment_items',
  'shipment_events',
  'sla_clocks',
  'alerts',
];
const { rows: foreignKeys } = await db.query(
  `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE contype = 'f' AND (conrelid::regclass::text = ANY($1) OR confrelid::regclass::text = ANY($1)) ORDER BY oid`,
  [SEEDED],
);
const { rows: keys } = await db.query(
  `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY($1) ORDER BY oid`,
  [SEEDED],
);
const { rows: indexes } = await db.query(
  `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
    WHERE i.indrelid::regclass::text = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY i.indexrelid`,
  [SEEDED],
);
for (const fk of foreignKeys) await db.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT ${fk.conname}`);
for (const key of keys) await db.query(`ALTER TABLE ${key.tbl} DROP CONSTRAINT ${key.conname}`);
for (const index of indexes) await db.query(`DROP INDEX ${index.name}`);

let orderOffset = 0;
let shipmentOffset = 0;
for (let lo = 1; lo <= REQUESTS; lo += CHUNK) {
  const hi = Math.min(REQUESTS, lo + CHUNK - 1);
  const tc = performance.now();
  await db.query('BEGIN');
  await db.query(requestsSql(lo, hi, orderOffset));
  await db.query(linesSql());
  await db.query(shipmentsSql(shipmentOffset));
  await db.query(insertsSql);
  await db.query(clocksSql);
  const [{ orders, shipments }] = (
    await db.query(
      `SELECT (SELECT count(*) FROM r_ WHERE order_seq IS NOT NULL)::int AS orders, (SELECT count(*) FROM s_)::int AS shipments`,
    )
  ).rows;
  await db.query('COMMIT');
  orderOffset += orders;
  shipmentOffset += shipments;
  console.log(
    `  requests ${lo.toLocaleString('en')}-${hi.toLocaleString('en')}: ${secs(tc)} s (${Math.round(((hi - lo + 1) / (performance.now() - tc)) * 1000).toLocaleString('en')} requests/s), total ${secs(t0)} s`,
  );
}
// The app's reference sequences go on after the seeded rows.
await db.query(
  `SELECT setval('request_reference_seq', $1), setval('order_reference_seq', greatest($2, 1)), setval('shipment_reference_seq', greatest($3, 1))`,
  [REQUESTS, orderOffset, shipmentOffset],
);
const tk = performance.now();
await db.query(`SET maintenance_work_mem = '1GB'`);
for (const index of indexes) await db.query(index.def);
for (const key of keys)
  await db.query(`ALTER TABLE ${key.tbl} ADD CONSTRAINT ${key.conname} ${key.def}`);
for (const fk of foreignKeys)
  await db.query(`ALTER TABLE ${fk.tbl} ADD CONSTRAINT ${fk.conname} ${fk.def}`);
console.log(
  `keys and indexes: ${keys.length} keys, ${indexes.length} indexes and ${foreignKeys.length} foreign keys built and checked in ${secs(tk)} s`,
);
const tv = performance.now();
await db.query('VACUUM ANALYZE');
console.log(`VACUUM ANALYZE: ${secs(tv)} s`);

const tables = [
  'requests',
  'request_lines',
  'orders',
  'order_lines',
  'shipments',
  'shipment_items',
  'shipment_events',
  'sla_clocks',
  'alerts',
  'report_dirty',
];
const sizes = (
  await db.query(
    `SELECT t AS table, (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ' || t, false, true, '')))[1]::text::bigint AS rows,
            pg_size_pretty(pg_total_relation_size(t)) AS size
       FROM unnest($1::text[]) t`,
    [tables],
  )
).rows;
console.table(sizes);
const mix = (
  await db.query(
    `SELECT count(*) AS requests,
            round(100.0 * count(*) FILTER (WHERE first_dispatch_at IS NOT NULL) / count(*), 1) AS dispatched_pct,
            round(100.0 * count(*) FILTER (WHERE delivered_at IS NOT NULL) / count(*), 1) AS delivered_pct,
            round(100.0 * count(*) FILTER (WHERE status IN ('rejected', 'cancelled')) / count(*), 1) AS withdrawn_pct,
            round(100.0 * count(*) FILTER (WHERE status IN ('received', 'approved', 'in_fulfilment')) / count(*), 1) AS open_pct,
            round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_dispatch_at - received_at) / 3600))::numeric, 1) AS dispatch_p50_h,
            round(100.0 * count(*) FILTER (WHERE first_dispatch_at - received_at > interval '96 hours') / nullif(count(first_dispatch_at), 0), 1) AS over_96h_pct
       FROM requests`,
  )
).rows[0];
console.log(
  `requests: ${mix.dispatched_pct} % dispatched, ${mix.delivered_pct} % delivered, ${mix.withdrawn_pct} % rejected or cancelled, ${mix.open_pct} % open; ` +
    `first dispatch p50 ${mix.dispatch_p50_h} h, ${mix.over_96h_pct} % over 96 h`,
);
const size = (await db.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`))
  .rows[0].s;
console.log(
  `${DATABASE}: ${REQUESTS.toLocaleString('en')} requests seeded in ${secs(t0)} s; database size ${size}`,
);
await db.end();
