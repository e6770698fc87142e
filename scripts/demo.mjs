// `npm run demo`: Lifeline with its workers on a demo database; the 2020 campaign seeded and six
// months of requests, orders, shipments and events replayed through the real API and jobs in
// about three minutes (the server runs on a scaled clock: CLOCK_ANCHOR, CLOCK_RATE); then the
// turnaround, SLA and coverage reports as tables. The server then keeps running, at real speed
// from the simulated end date, until Ctrl-C. Demo data never meets real data: its own database
// (a name ending in _demo, dropped and re-created each run), its own queue prefix, and every
// name, code and tracking reference marked "demo". DEMO_SECONDS sets the replay's length.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';

const H = 3_600_000;
const DAY = 24 * H;
const SIM_START = Date.parse('2020-01-20T00:00:00Z');
const SIM_END = Date.parse('2020-07-20T00:00:00Z');
const RATE = (SIM_END - SIM_START) / (Number(process.env.DEMO_SECONDS ?? 180) * 1000);
const LEAD_MS = 10_000; // real time to boot and seed before the clock shows SIM_START
const CONCURRENCY = 8;
const PREFIX = 'lifeline-demo';
const HOST = process.env.HOST ?? '127.0.0.1';
const LOG = join(tmpdir(), 'lifeline-demo.log');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line = '') => process.stdout.write(`${line}\n`);
const iso = (ms) => new Date(ms).toISOString();

// ---- The campaign --------------------------------------------------------------------------
// Country, capital's UN/LOCODE, sea port (or -), Chinese road crossing to it (or -), weight.
const COUNTRIES =
  `AF AFKBL - - 9|BD BDDAC BDCGP - 8|DJ DJJIB DJJIB - 5|NE NENIM - - 6|BF BFOUA - - 6
SO SOMGQ SOMGQ - 6|PS PSGZA - - 7|SN SNDKR SNDKR - 6|ML MLBKO - - 6|SD SDKRT SDPZU - 6
ET ETADD DJJIB - 5|KE KENBO KEMBA - 4|NG NGLOS NGLOS - 4|GH GHACC GHTEM - 3|CM CMDLA CMDLA - 3
TD TDNDJ - - 3|ER ERASM ERMSW - 2|SS SSJUB - - 3|CF CFBGF - - 2|CD CDFIH - - 3
GN GNCKY GNCKY - 2|SL SLFNA SLFNA - 2|LR LRMLW LRMLW - 2|TG TGLFW TGLFW - 2|BJ BJCOO BJCOO - 2
CI CIABJ CIABJ - 3|MW MWLLW - - 2|MZ MZMPM MZMPM - 2|UG UGEBB - - 3|RW RWKGL - - 2
TZ TZDAR TZDAR - 3|MG MGTNR MGTMM - 2|EG EGCAI EGALY - 3|PK PKISB PKKHI CNKHG 8
NP NPKTM - CNLXA 4|LK LKCMB LKCMB - 3|MM MMRGN MMRGN CNKMG 4|KH KHPNH KHPNH - 3
LA LAVTE - CNKMG 3|MN MNULN - CNERL 3|KG KGFRU - CNURC 3|TJ TJDYU - CNURC 3|UZ UZTAS - CNURC 3
IR IRTHR IRBND - 5|IQ IQBGW IQUQR - 5|SY SYDAM - - 3|LB LBBEY LBBEY - 3|JO JOAMM JOAQJ - 3
YE YEADE YEADE - 4|VE VECCS VELAG - 3|PE PELIM PECLL - 3|EC ECUIO ECGYE - 3|BO BOLPB - - 2
HT HTPAP HTPAP - 2`
    .split(/[|\n]/)
    .map((row) =>
      row
        .trim()
        .split(' ')
        .map((field) => (field === '-' ? null : field)),
    )
    .map(([code, city, port, road, w]) => ({ code, city, port, road, w: Number(w) }));
// Item, name, category, unit, chance that a request asks for it, quantity range.
const ITEMS = [
  ['MASK-N95', 'N95 respirator', 'ppe', 'piece', 0.5, 20_000, 600_000],
  ['MASK-SURG', 'Surgical mask, 3-ply', 'ppe', 'piece', 0.6, 100_000, 3_000_000],
  ['TEST-PCR', 'SARS-CoV-2 PCR test kit (96 tests)', 'diagnostics', 'kit', 0.45, 200, 8_000],
  ['SUIT', 'Protective suit (coverall)', 'ppe', 'piece', 0.45, 5_000, 150_000],
  ['GOGGLES', 'Protective goggles', 'ppe', 'piece', 0.25, 5_000, 80_000],
  ['GLOVES', 'Nitrile examination gloves (box of 100)', 'ppe', 'box', 0.3, 1_000, 40_000],
  ['SHOE-COVER', 'Shoe covers (pair)', 'ppe', 'piece', 0.2, 20_000, 400_000],
  ['THERMO-IR', 'Infrared thermometer', 'monitoring', 'piece', 0.3, 200, 1_500],
  ['VENT', 'ICU ventilator', 'respiratory', 'piece', 0.2, 15, 150],
].map(([code, name, category, unit, chance, lo, hi]) => ({
  code: `DEMO-${code}`,
  name,
  category,
  unit,
  chance,
  lo,
  hi,
}));
// Carrier codes are letters and digits only: DEMO + three.
const CARRIERS = [
  ['SRC', 'Silk Road Charter', 'charter_operator', ['air_charter']],
  ['SBA', 'Sky Bridge Air Charter', 'charter_operator', ['air_charter']],
  ['PAC', 'Pamir Air Cargo Charter', 'charter_operator', ['air_charter']],
  ['OCA', 'Orient Cargo Airlines', 'airline', ['air_cargo', 'air_charter']],
  ['SAC', 'Sahel Air Cargo', 'airline', ['air_cargo']],
  ['HAA', 'Horn of Africa Airways', 'airline', ['air_cargo', 'air_charter']],
  ['KFT', 'Karakoram Freight Trucking', 'trucking', ['road']],
  ['MOL', 'Mekong Overland Logistics', 'trucking', ['road']],
  ['GRH', 'Gobi Road Haulage', 'trucking', ['road']],
  ['JVT', 'Jordan Valley Transport', 'trucking', ['road']],
  ['PSS', 'Pacific Star Shipping', 'shipping_line', ['sea']],
  ['IOC', 'Indian Ocean Container Line', 'shipping_line', ['sea']],
].map(([short, name, kind, modes]) => ({
  code: `DEMO${short}`,
  short,
  name: `${name} (demo)`,
  kind,
  modes,
}));
const WEATHER = { exceptionReason: 'weather_delay', notes: 'Storm: held at the hub' };
const CUSTOMS = { exceptionReason: 'customs_delay', notes: 'Awaiting the import permit' };
const TRUCKER = { CNKHG: 'KFT', CNURC: 'KFT', CNLXA: 'KFT', CNKMG: 'MOL', CNERL: 'GRH' };
// Hours after dispatch: in transit, arrived, customs cleared, delivered (each a min-max range).
const LEG_HOURS = {
  air_charter: [1, 3, 8, 26, 3, 20, 3, 18],
  air_cargo: [2, 6, 16, 40, 4, 20, 4, 16],
  road: [2, 8, 72, 170, 6, 30, 6, 24],
  sea: [12, 36, 430, 670, 24, 96, 24, 72],
};

// ---- A deterministic six months (mulberry32) ----------------------------------------------
let seed = 2020;
const rng = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const between = (lo, hi) => lo + rng() * (hi - lo);
const pick = (list) => list[Math.floor(rng() * list.length)];
const weighted = (list, weight) => {
  let r = rng() * list.reduce((sum, x) => sum + weight(x), 0);
  return list.find((x) => (r -= weight(x)) < 0) ?? list.at(-1);
};
const shuffle = (list) =>
  list
    .map((x) => [rng(), x])
    .sort((a, b) => a[0] - b[0])
    .map((x) => x[1]);
const roughly = (lo, hi) =>
  Math.round(Number(Math.exp(between(Math.log(lo), Math.log(hi))).toPrecision(2)));
const PRIORITY = { routine: 35, urgent: 45, asap: 15, stat: 5 };
const SOURCES = ['Central reserve, Guangzhou', 'Manufacturer direct', 'Regional store, Shanghai'];

function buildSchedule(count = 300) {
  // Requests per day: a trickle in January and February, the surge around April 1st.
  const perDay = Array.from({ length: 160 }, (_, d) => 0.8 + 3 * Math.exp(-(((d - 72) / 26) ** 2)));
  const everyCountry = shuffle(COUNTRIES); // each asks at least once
  const plans = Array.from({ length: count }, (_, n) => {
    const at = SIM_START + (weighted([...perDay.keys()], (d) => perDay[d]) + 0.5 + rng()) * DAY;
    const country = everyCountry[n] ?? weighted(COUNTRIES, (c) => c.w);
    const chosen = shuffle(ITEMS.filter((i) => rng() < i.chance)).slice(0, 3);
    const lines = (chosen.length ? chosen : [pick(ITEMS)]).map((item) => ({ item, quantity: 0 }));
    for (const l of lines) l.quantity = roughly(l.item.lo, l.item.hi);
    const priority = weighted(Object.keys(PRIORITY), (p) => PRIORITY[p]);
    const surge = at > Date.parse('2020-03-10') && at < Date.parse('2020-04-25');
    const late = rng() < (surge ? 0.24 : 0.09); // the 96 hours missed
    const first = at + (late ? between(100, 210) : between(priority === 'stat' ? 10 : 18, 80)) * H;
    // A third of the requests ship in two parts: the rest later, bulk goods by sea if it can.
    const split = rng() < 0.3 ? 0.55 : 1;
    const shipments = [shipmentPlan(country, at, first, lines, (q) => Math.round(q * split))];
    if (split < 1) {
      const bulk = lines.some((l) => l.item.category === 'ppe' && l.quantity >= 100_000);
      const sea = country.port && bulk && at < Date.parse('2020-05-20') && rng() < 0.6;
      const next = first + between(sea ? 5 : 3, sea ? 20 : 18) * DAY;
      const rest = (q) => q - Math.round(q * split);
      shipments.push(shipmentPlan(country, next - 2 * DAY, next, lines, rest, sea));
    }
    const organisation = pick(['Ministry of Health', 'Central Medical Stores']);
    const [source, neededBy] = [pick(SOURCES), at + between(7, 28) * DAY];
    return { n, at, country, lines, priority, organisation, source, neededBy, shipments };
  });
  plans.sort((a, b) => a.at - b.at);
  const shipments = plans.flatMap((p) => p.shipments);
  // Two shipments are lost on the way, three arrive with damaged goods.
  const notSea = shipments.filter((s) => s.mode !== 'sea');
  for (const share of [0.12, 0.7]) notSea[Math.floor(notSea.length * share)].fate = 'lost';
  for (const share of [0.2, 0.45, 0.85]) notSea[Math.floor(notSea.length * share)].fate = 'damaged';
  for (const [i, s] of shipments.entries()) {
    s.tracking = `DEMO-${s.carrier.short}-${String(i + 1).padStart(6, '0')}`;
    s.events = shipmentEvents(s);
  }
  return plans;
}

function shipmentPlan(country, after, dispatch, lines, quantity, sea = false) {
  const charterShare = dispatch < Date.parse('2020-04-15') ? 0.85 : 0.35; // then airlines resume
  let mode = rng() < charterShare ? 'air_charter' : 'air_cargo';
  if (sea) mode = 'sea';
  else if (country.road && rng() < 0.55) mode = 'road';
  const airports = ['CNCAN', 'CNPEK', 'CNSHA', 'CNCTU'];
  const origin =
    { road: country.road, sea: pick(['CNSHA', 'CNNSA', 'CNTAO']) }[mode] ?? pick(airports);
  const carrier =
    mode === 'road'
      ? CARRIERS.find((c) => c.short === TRUCKER[country.road])
      : pick(CARRIERS.filter((c) => c.kind !== 'trucking' && c.modes.includes(mode)));
  const booked = Math.max(after + 0.4 * (dispatch - after), dispatch - between(4, 16) * H);
  const items = lines
    .map((l) => ({ item: l.item, quantity: quantity(l.quantity) }))
    .filter((i) => i.quantity > 0);
  const destination = sea ? country.port : country.city;
  return { mode, origin, destination, carrier, booked, dispatch, items };
}

function shipmentEvents(s) {
  const events = [{ status: 'booked', at: s.booked, location: s.origin }];
  const add = (status, at, extra = {}) => events.push({ status, at, ...extra });
  const [h0, h1, h2, h3, h4, h5, h6, h7] = LEG_HOURS[s.mode];
  let t = s.dispatch;
  add('dispatched', t, { location: s.origin });
  add('in_transit', (t += between(h0, h1) * H));
  if (s.fate === 'lost') {
    add('lost', t + between(6, 8) * DAY, { notes: 'No trace after transhipment' });
    return events.filter((e) => e.at < SIM_END);
  }
  if (rng() < 0.04) {
    add('exception', (t += between(1, 4) * H), WEATHER);
    add('in_transit', (t += between(12, 48) * H));
  }
  const arrival = t + between(h2, h3) * H;
  // Long legs report their position every few days (TRACKING_STALE_SECONDS is 5 days here).
  for (let u = t + between(60, 90) * H; u < arrival - DAY; u += between(60, 90) * H)
    add('in_transit', u);
  add('arrived', (t = arrival), { location: s.destination });
  if (rng() < 0.07) {
    add('exception', (t += between(2, 8) * H), CUSTOMS);
    t += between(24, 96) * H;
  }
  add('customs_cleared', (t += between(h4, h5) * H), { location: s.destination });
  const proof = s.fate === 'damaged' ? { damaged: between(0.02, 0.06) } : {};
  add('delivered', (t += between(h6, h7) * H), proof);
  return events.filter((e) => e.at < SIM_END - 6 * H); // the rest is still on its way on July 20th
}

// ---- The server, on its own database and queue prefix ------------------------------------
const dbUrl = new URL(
  process.env.DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lifeline_demo',
);
const dbName = decodeURIComponent(dbUrl.pathname.slice(1));
if (!/^\w+_demo$/.test(dbName)) {
  console.error(`Refusing: the demo drops its database, and "${dbName}" does not end in _demo.`);
  process.exit(1);
}
const ADMIN = `demo_${randomBytes(24).toString('hex')}`;
let port = Number(process.env.PORT ?? 3000);
let base;
let child;
let stopping = false;
let bar;

async function resetStores() {
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(dbUrl), { pathname: '/postgres' }).href,
  });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 1,
  });
  for await (const keys of redis.scanStream({ match: `${PREFIX}:*`, count: 1000 }))
    if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
}

const listenable = (p) =>
  new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(undefined));
    s.listen(p, HOST, () => {
      const bound = s.address().port;
      s.close(() => resolve(bound));
    });
  });

// ---- The mail catcher -----------------------------------------------------------------------
// The demo's breach emails go to an SMTP server of its own, and can be read at a web page of
// its own: nothing leaves this machine.
const mails = [];
let mailCatcher;

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function startMailCatcher() {
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, callback) =>
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          callback();
        })
        .catch(callback),
  });
  const smtpPort = await listenable(0);
  await new Promise((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
  const inbox = createHttpServer((_req, res) => {
    const items = [...mails]
      .reverse()
      .map(
        (m) =>
          `<details><summary><b>${escapeHtml(m.subject ?? '')}</b> to ${escapeHtml(m.to?.text ?? '')} ` +
          `<small>${escapeHtml(m.date?.toISOString() ?? '')}</small></summary>` +
          `<pre>${escapeHtml(m.text ?? '')}</pre></details>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>Lifeline demo mail</title>` +
        `<body style="font-family:sans-serif"><h1>Lifeline demo mail (${mails.length})</h1>${items}</body></html>`,
    );
  });
  const inboxPort = await listenable(0);
  await new Promise((resolve) => inbox.listen(inboxPort, '127.0.0.1', resolve));
  mailCatcher = {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    inboxUrl: `http://127.0.0.1:${inboxPort}/`,
  };
}

async function startServer(clockAnchor, clockRate, logMode) {
  const log = openSync(LOG, logMode);
  child = spawn(process.execPath, ['dist/main.js'], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.href,
      QUEUE_PREFIX: PREFIX,
      PORT: String(port),
      HOST,
      WORKERS: 'on',
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      RATE_LIMIT_PER_MINUTE: '1000000', // the replay is one client doing the work of many
      TRACKING_STALE_SECONDS: String(5 * 24 * 3600),
      CLOCK_ANCHOR: clockAnchor,
      CLOCK_RATE: String(clockRate),
      SMTP_URL: mailCatcher.smtpUrl,
      MAIL_FROM: 'Lifeline demo <lifeline@demo.invalid>',
      PUBLIC_URL: base,
    },
  });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    bar?.stop();
    const tail = readFileSync(LOG, 'utf8').split('\n').slice(-15).join('\n');
    console.error(`\nLifeline exited (${signal ?? code}). The end of ${LOG}:\n${tail}`);
    process.exit(1);
  });
  for (let i = 0; i < 600; i++, await sleep(100))
    if ((await fetch(`${base}/health/ready`).catch(() => undefined))?.ok) return;
  throw new Error(`Lifeline was not ready within 60 s: see ${LOG}`);
}

async function stopServer() {
  stopping = true;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  stopping = false;
}

// ---- The API, every refusal counted -------------------------------------------------------
const stats = { requests: 0, shipments: 0, events: 0, skipped: 0, maxLagH: 0, late: 0 };
const errors = new Map();
const errorCount = () => [...errors.values()].reduce((sum, e) => sum + e.count, 0);

function countError(status, route, detail) {
  const entry = errors.get(`${status} ${route}`) ?? { count: 0, status, route, detail };
  entry.count++;
  errors.set(`${status} ${route}`, entry);
}

async function api(method, path, body, { idempotencyKey, quiet } = {}) {
  const headers = { authorization: `Bearer ${ADMIN}` };
  if (body) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.ok) return text ? JSON.parse(text) : undefined;
  let detail = text.slice(0, 300);
  try {
    detail = JSON.parse(text).detail ?? detail;
  } catch {
    // not a problem document: keep the text
  }
  const route = `${method} ${path.replace(/[0-9a-f-]{36}/g, ':id').replace(/\?.*/, '')}`;
  if (!quiet) countError(res.status, route, detail);
  throw Object.assign(new Error(`${route} -> ${res.status}: ${detail}`), { status: res.status });
}

// ---- The replay --------------------------------------------------------------------------
let anchorReal;
const simNow = () => SIM_START + (Date.now() - anchorReal) * RATE;
const carrierIds = new Map();
const alerts = { seen: new Set(), kinds: {} };

/** Counts new alerts: newest first, page on until one already seen (all pages if `all`). */
async function pollAlerts(all = false) {
  for (let cursor = '', page = 0; page < 1000; page++) {
    const { data, nextCursor } = await api('GET', `/api/v1/alerts?limit=200${cursor}`);
    const fresh = data.filter((a) => !alerts.seen.has(a.id));
    for (const a of fresh) alerts.kinds[a.kind] = (alerts.kinds[a.kind] ?? 0) + 1;
    for (const a of fresh) alerts.seen.add(a.id);
    if ((!all && fresh.length < data.length) || !nextCursor) return;
    cursor = `&cursor=${encodeURIComponent(nextCursor)}`;
  }
}

async function createRequest(plan) {
  const request = await api('POST', '/api/v1/requests', {
    recipientCountry: plan.country.code,
    organisation: `${plan.organisation} (demo)`,
    destination: plan.country.city,
    priority: plan.priority,
    kind: plan.n % 4 === 0 ? 'procurement' : 'donation',
    receivedAt: iso(plan.at),
    neededBy: iso(plan.neededBy),
    lines: plan.lines.map((l) => ({ itemCode: l.item.code, quantity: l.quantity })),
  });
  stats.requests++;
  await api('POST', `/api/v1/requests/${request.id}/approve`);
  const lines = request.lines.map((l) => ({ requestLineId: l.id, quantity: l.quantity }));
  const order = await api('POST', '/api/v1/orders', {
    requestId: request.id,
    source: plan.source,
    lines,
  });
  await api('POST', `/api/v1/orders/${order.id}/confirm`);
  plan.orderLines = new Map(order.lines.map((l) => [l.itemCode, l.id]));
}

async function createShipment(plan, s) {
  const viaAmman = plan.country.code === 'PS' && s.mode === 'air_charter'; // then trucks to Gaza
  const created = await api('POST', '/api/v1/shipments', {
    carrierId: carrierIds.get(s.carrier.code),
    mode: s.mode,
    origin: s.origin,
    destination: s.destination,
    trackingReference: s.tracking,
    plannedDepartureAt: iso(s.dispatch),
    notes: 'Demo data',
    items: s.items.map((i) => ({
      orderLineId: plan.orderLines.get(i.item.code),
      quantity: i.quantity,
      lot: `L${iso(s.booked).slice(0, 7)}`,
      expiresOn: '2022-12-31',
    })),
    legs: viaAmman
      ? [
          { mode: 'air_charter', from: s.origin, to: 'JOAMM' },
          { mode: 'road', carrierId: carrierIds.get('DEMOJVT'), from: 'JOAMM', to: s.destination },
        ]
      : undefined,
  });
  s.id = created.id;
  s.created = created.items;
  stats.shipments++;
}

async function postEvent(s, e, index) {
  if (!s.id) return void stats.skipped++; // its shipment was refused
  const body = { status: e.status, occurredAt: iso(e.at) };
  for (const field of ['location', 'exceptionReason', 'notes'])
    if (e[field]) body[field] = e[field];
  if (e.damaged) {
    const lines = s.created.map(({ id, quantity }) => {
      const damaged = Math.round(quantity * e.damaged);
      return { shipmentItemId: id, receivedGood: quantity - damaged, damaged, missing: 0 };
    });
    body.proofOfDelivery = { receivedBy: 'Central medical store (demo)', lines };
  }
  await api('POST', `/api/v1/shipments/${s.id}/events`, body, {
    idempotencyKey: `${s.tracking}-${index}`,
  });
  stats.events++;
}

/** Runs each step once the clock shows its time: one request's steps in order, 8 at once. */
async function replay(plans) {
  const tasks = plans.flatMap((plan) => [
    { plan, at: plan.at, run: () => createRequest(plan) },
    ...plan.shipments.flatMap((s) => [
      { plan, at: s.booked - H, run: () => createShipment(plan, s) },
      ...s.events.map((e, i) => ({ plan, at: e.at, run: () => postEvent(s, e, i) })),
    ]),
  ]);
  tasks.sort((a, b) => a.at - b.at);
  let inFlight = 0;
  const waiting = []; // first come, first served: a freed slot goes to the longest waiting
  const slot = async (task) => {
    if (inFlight < CONCURRENCY) inFlight++;
    else await new Promise((r) => waiting.push(r));
    const lagH = (simNow() - task.at) / H;
    stats.maxLagH = Math.max(stats.maxLagH, lagH);
    if (lagH > 6) stats.late++;
    await task.run().finally(() => (waiting.length ? waiting.shift()() : inFlight--));
  };
  const format =
    ' {bar} {date} | requests {requests} | shipments {shipments} | events {events}' +
    ' | alerts {alerts} | API errors {errors}';
  const options = { format, barsize: 20, hideCursor: true };
  bar = new cliProgress.SingleBar(options, cliProgress.Presets.shades_classic);
  const payload = () => ({
    date: iso(Math.min(simNow(), SIM_END)).slice(0, 10),
    ...stats,
    alerts: alerts.seen.size,
    errors: errorCount(),
  });
  const simHours = () => Math.round((Math.min(simNow(), SIM_END) - SIM_START) / H);
  bar.start((SIM_END - SIM_START) / H, 0, payload());
  const poller = setInterval(() => void pollAlerts().catch(() => undefined), 1_000);
  const ticker = setInterval(() => bar.update(simHours(), payload()), 200);
  let started = 0;
  while (started < tasks.length) {
    for (const now = simNow(); started < tasks.length && tasks[started].at <= now; started++) {
      const task = tasks[started];
      task.plan.chain = (task.plan.chain ?? Promise.resolve())
        .then(() => (task.plan.refused ? stats.skipped++ : slot(task)))
        .catch((error) => {
          if (!task.plan.orderLines) task.plan.refused = true; // its request was refused
          if (!error.status) countError('script', 'error', error.stack); // API errors are counted
        });
    }
    await sleep(5);
  }
  await Promise.all(plans.map((p) => p.chain));
  while (simNow() < SIM_END) await sleep(100);
  [poller, ticker].forEach(clearInterval);
  bar.update(simHours(), payload());
  bar.stop();
  bar = undefined;
}

// ---- The reports -------------------------------------------------------------------------
const RANGE = 'from=2020-01-01T00:00:00Z&to=2020-08-01T00:00:00Z';
const fmt = (x, f) => (x === null || x === undefined ? '-' : f(x));
const hours = (h) => fmt(h, (v) => v.toFixed(1));
const pct = (x) => fmt(x, (v) => `${Math.round(v * 100)} %`);
const num = (n) => fmt(n, (v) => Number(v).toLocaleString('en-US'));

async function report(path) {
  try {
    return await api('GET', `/api/v1/reports/${path}`, undefined, { quiet: true });
  } catch (error) {
    say(`\n(The ${path.split('?')[0]} report is not available: ${error.message})`);
  }
}

function print(title, head, rows) {
  const style = { head: process.stdout.isTTY ? ['cyan'] : [], border: [] };
  const t = new Table({
    head,
    style,
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  t.push(...rows);
  say(`\n${title}\n${t}`);
}

async function turnaround(title, metric, groupBy, top) {
  const r = await report(`turnaround?metric=${metric}&groupBy=${groupBy}&${RANGE}`);
  if (!r) return;
  const rows = top ? [...r.rows].sort((a, b) => b.count - a.count).slice(0, top) : r.rows;
  const head = [groupBy, 'count', 'mean h', 'p50 h', 'p90 h', 'p95 h', 'max h', 'within SLA'];
  print(
    title,
    head,
    rows.map((x) => [
      x.label ?? x.key,
      num(x.count),
      ...[x.meanHours, x.p50Hours, x.p90Hours, x.p95Hours, x.maxHours].map(hours),
      pct(x.withinSlaShare),
    ]),
  );
}

async function printReports() {
  const first = 'request_to_first_dispatch';
  await turnaround('Request -> first dispatch (the 96-hour promise), by month', first, 'month');
  await turnaround(
    'Request -> first dispatch, the 15 countries that asked most',
    first,
    'country',
    15,
  );
  await turnaround('Request -> first dispatch, by carrier', first, 'carrier');
  await turnaround('Dispatch -> delivery, by mode', 'dispatch_to_delivery', 'mode');
  const sla = await report(`sla-compliance?${RANGE}`);
  if (sla) {
    const head = ['metric', 'met', 'breached', 'within SLA', 'running', 'at risk', 'breaching'];
    print(
      `SLA compliance (open clocks as of ${sla.asOf ?? 'now'})`,
      [...head, 'paused'],
      sla.metrics
        .filter((m) => m.met + m.breached + m.running + m.atRisk + m.breaching + m.paused > 0)
        .map((m) => [
          m.metric,
          ...[m.met, m.breached].map(num),
          pct(m.withinSlaShare),
          ...[m.running, m.atRisk, m.breaching, m.paused].map(num),
        ]),
    );
  }
  const cov = await report(`coverage?${RANGE}`);
  if (!cov) return;
  const items = {};
  for (const i of cov.items) {
    const total = (items[i.itemCode] ??= [i.itemName, i.category, 0, 0, 0, 0]);
    [1, i.requested, i.dispatched, i.delivered].forEach((n, k) => (total[k + 2] += Number(n)));
  }
  print(
    `Coverage: ${cov.countriesAsked} countries asked, ${cov.countriesReceived} received goods ` +
      `(${pct(cov.receivedShare)})`,
    ['item', 'category', 'countries', 'requested', 'dispatched', 'delivered'],
    Object.values(items).map(([name, category, ...n]) => [name, category, ...n.map(num)]),
  );
}

// ---- Main --------------------------------------------------------------------------------
async function main() {
  const started = Date.now();
  const free = (await listenable(port)) ?? (await listenable(0));
  if (free !== port) say(`Port ${port} is taken: using ${free} (set PORT to choose another).`);
  port = free;
  base = `http://${HOST === '0.0.0.0' ? '127.0.0.1' : HOST}:${port}`;
  say(`Lifeline demo: database ${dbName} (re-created), queue prefix ${PREFIX}, server log ${LOG}`);
  await resetStores();
  await startMailCatcher();
  anchorReal = Date.now() + LEAD_MS;
  await startServer(`${iso(SIM_START)}@${anchorReal}`, RATE, 'w');
  say(`Lifeline is up at ${base}, its clock ${num(Math.round(RATE))} times as fast as real time.`);

  for (const { code, name, kind, modes } of CARRIERS)
    carrierIds.set(code, (await api('POST', '/api/v1/carriers', { code, name, kind, modes })).id);
  for (const { code, name, category, unit } of ITEMS)
    await api('POST', '/api/v1/items', { code, name, category, unit, coldChain: false });
  const viewer = await api('POST', '/api/v1/api-keys', { name: 'demo-viewer', role: 'viewer' });
  await api('POST', '/api/v1/notification-rules', {
    name: 'Coordination cell duty officer (demo)',
    channel: 'email',
    kinds: ['sla_breach', 'shipment_exception', 'temperature_excursion'],
    to: ['duty-officer@demo.invalid'],
    escalateAfter: 'PT12H',
    escalateTo: ['head-of-cell@demo.invalid'],
    digestAt: '06:00',
  });
  const plans = buildSchedule();
  const shipments = plans.flatMap((p) => p.shipments);
  const events = shipments.reduce((sum, s) => sum + s.events.length, 0);
  say(
    `Seeded ${CARRIERS.length} carriers, ${ITEMS.length} items. Replaying ${plans.length} requests`,
  );
  say(`from ${COUNTRIES.length} countries, ${shipments.length} shipments, ${events} events:`);
  while (simNow() < SIM_START) await sleep(50);
  await replay(plans);

  // From here on the clock runs at real speed, so the figures the user explores stay put.
  await sleep(1_000);
  const [resumeReal, resumeAt] = [Date.now(), iso(Math.round(simNow()))];
  await stopServer();
  await startServer(`${resumeAt}@${resumeReal}`, 1, 'a');
  await sleep(3_000); // report rollups refresh every second
  await pollAlerts(true);

  const seconds = Math.round((Date.now() - started) / 1000);
  const { requests, shipments: created, events: posted } = stats;
  say(`\nDone in ${seconds} s: ${requests} requests, ${created} shipments, ${posted} events.`);
  const lag = `at most ${hours(stats.maxLagH)} h`;
  say(`Replay lag: ${stats.late} steps ran over 6 simulated hours after their time (${lag}).`);
  const kinds = Object.entries(alerts.kinds).map(([kind, n]) => `${kind} ${n}`);
  say(`Alerts raised: ${alerts.seen.size} (${kinds.join(', ') || 'none'}).`);
  if (errors.size === 0) say('No API call was refused.');
  else say(`API refusals: ${errorCount()} (${stats.skipped} later steps skipped):`);
  for (const e of errors.values()) {
    const bug = e.status >= 500 ? '  <- a server error: a bug' : '';
    say(`  ${e.count} x ${e.status} ${e.route}: ${e.detail}${bug}`);
  }
  await printReports();
  say(
    `\nEmail: ${mails.length} messages went out to the demo's SMTP catcher ` +
      `(${mailCatcher.smtpUrl}); read them at ${mailCatcher.inboxUrl}`,
  );

  say(
    `\nLifeline keeps running, its clock at real speed from ${resumeAt.slice(0, 16)} (simulated):`,
  );
  say(`  console:     ${base}/console   (sign in with the viewer key below, or the admin key)`);
  say(`  API docs:    ${base}/docs`);
  say(`  admin key:   ${ADMIN}`);
  say(`  viewer key:  ${viewer.key}   (demo-viewer: reads only)`);
  say(`  server log:  ${LOG}`);
  say(`  demo mail:   ${mailCatcher.inboxUrl}   (every email Lifeline sent)`);
  say(`  a report as CSV:`);
  say(`    curl -s -H 'Authorization: Bearer ${viewer.key}' -H 'Accept: text/csv' \\`);
  say(`      '${base}/api/v1/reports/turnaround?metric=request_to_first_dispatch&groupBy=country'`);
  say('Ctrl-C stops it (the demo database stays until the next `npm run demo`).');
  finished = true;
}

let closing = false;
let finished = false; // the replay is over and the server is the user's: Ctrl-C is the way out
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, async () => {
    if (closing) return;
    closing = true;
    bar?.stop();
    say(`\n${signal}: stopping Lifeline...`);
    await stopServer().catch(() => undefined);
    process.exit(finished ? 0 : 128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
  });

main().catch(async (error) => {
  bar?.stop();
  console.error(`\nThe demo failed: ${error.stack}`);
  await stopServer().catch(() => undefined);
  process.exit(1);
});
