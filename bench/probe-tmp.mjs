import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort, seedShipments, startLifeline } from './lib.mjs';
const PG = 'postgres://postgres@127.0.0.1:5432';
const db = `ll_probe_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: `${PG}/postgres` }); await admin.connect();
await admin.query(`CREATE DATABASE "${db}"`);
const key = randomBytes(24).toString('hex'); const port = await freePort();
const app = await startLifeline(port, { DATABASE_URL: `${PG}/${db}`, QUEUE_PREFIX: db, ADMIN_API_KEY: key, WORKERS: process.env.W ?? 'on' });
const c = new pg.Client({ connectionString: `${PG}/${db}` }); await c.connect();
const ships = await seedShipments(c, 320, 'PRB'); const s = ships[0];
const headers = { authorization: `Bearer ${key}` };
async function load(name, path, secs = 8) {
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: 32 });
  let n = 0; const until = Date.now() + secs * 1000;
  await Promise.all(Array.from({ length: 32 }, async () => { while (Date.now() < until) { const r = await client.request({ path, method: 'GET', headers }); await r.body.arrayBuffer(); n++; } }));
  await client.close(); console.log(name, (n / secs).toFixed(0), 'req/s');
}
async function post(name, statusAt, secs = 8, idem = true) {
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: 32 });
  let n = 0; const until = Date.now() + secs * 1000; const lat = [];
  await Promise.all(Array.from({ length: 32 }, async (_, k) => { for (let i = 0; Date.now() < until; i++) { const sh = ships[k * 10 + (i % 10)]; const t0 = performance.now();
    const r = await client.request({ path: `/api/v1/shipments/${sh.id}/events`, method: 'POST', headers: { ...headers, 'content-type': 'application/json', ...(idem ? { 'idempotency-key': `${name}-${k}-${i}` } : {}) }, body: JSON.stringify(statusAt(i)) }); await r.body.arrayBuffer(); lat.push(performance.now() - t0); n++; } }));
  await client.close(); lat.sort((a, b) => a - b); console.log(name, (n / secs).toFixed(0), 'events/s p50', lat[Math.floor(lat.length / 2)].toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(1));
}
const at = (m) => new Date(Date.UTC(2020, 2, 21) + m * 60000).toISOString();
await post('dispatch', (i) => ({ status: 'dispatched', occurredAt: at(0) }), 3);
await new Promise((r) => setTimeout(r, 5000));
await post('in_transit no idem', (i) => ({ status: 'in_transit', occurredAt: at(10 + i) }), 8, false);
await post('in_transit', (i) => ({ status: 'in_transit', occurredAt: at(100000 + i) }), 8);
await post('in_transit no idem again', (i) => ({ status: 'in_transit', occurredAt: at(200000 + i) }), 8, false);
await load('health/live (no auth, no db)', '/health/live');
await load('GET carrier list (auth, 1 stmt)', '/api/v1/carriers?limit=1');
await load('GET shipment (auth, several stmts)', `/api/v1/shipments/${s.id}`);
await c.end(); app.kill('SIGTERM'); await new Promise((r) => app.once('exit', r));
await admin.query(`DROP DATABASE "${db}" WITH (FORCE)`); await admin.end();
