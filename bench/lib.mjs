// What the benchmarks share: a free port, and Lifeline started as a child process.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * Starts `node dist/main.js` (workers in-process) on 127.0.0.1:`port` with `env` (its database,
 * queue prefix and admin key at least) and resolves once /health/ready answers. The admin key is
 * rate-limited like any other, so the limit is set to its maximum.
 */
export async function startLifeline(port, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '20',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Lifeline did not become ready within 30 s');
}

/** Shipments spread over requests of 10 (a realistic fan-out), written straight to the tables. */
export async function seedShipments(db, shipments, tag) {
  const requests = Math.ceil(shipments / 10);
  await db.query(
    `INSERT INTO carriers (code, name, kind, modes, created_by, updated_by) VALUES ($1, 'Bench Air', 'airline', '{air_cargo}', 'bench', 'bench')`,
    [tag],
  );
  await db.query(
    `INSERT INTO items (code, name, category, unit, created_by) VALUES ($1, 'Bench kit', 'diagnostics', 'kit', 'bench')`,
    [tag],
  );
  const rows = await db.query(
    `WITH c AS (SELECT id FROM carriers WHERE code = $1), i AS (SELECT id FROM items WHERE code = $1),
     r AS (INSERT INTO requests (reference, recipient_country, organisation, destination, priority, kind, workflow_status, status, received_at, created_by, updated_by)
           SELECT $1 || '-R' || n, 'AF', 'Bench', 'AFKBL', 'urgent', 'donation', 'approved', 'in_fulfilment', '2020-03-20', 'bench', 'bench'
             FROM generate_series(1, $2) n RETURNING id, reference),
     rl AS (INSERT INTO request_lines (request_id, line_no, item_id, quantity, allocated)
            SELECT r.id, 1, (SELECT id FROM i), 10, 10 FROM r RETURNING id, request_id),
     o AS (INSERT INTO orders (reference, request_id, source, workflow_status, status, created_by, updated_by)
           SELECT 'O' || r.reference, r.id, 'Bench', 'confirmed', 'confirmed', 'bench', 'bench' FROM r RETURNING id, request_id),
     ol AS (INSERT INTO order_lines (order_id, request_line_id, quantity, shipped)
            SELECT o.id, rl.id, 10, 10 FROM o JOIN rl ON rl.request_id = o.request_id RETURNING id),
     s AS (INSERT INTO shipments (reference, carrier_id, mode, origin, destination, destination_country, tracking_reference, created_by, updated_by)
           SELECT $1 || '-S' || n, (SELECT id FROM c), 'air_cargo', 'CNCAN', 'AFKBL', 'AF', $1 || '-' || n, 'bench', 'bench'
             FROM generate_series(1, $3) n RETURNING id, tracking_reference)
     SELECT s.id, s.tracking_reference, (SELECT array_agg(id) FROM ol) AS lines FROM s`,
    [tag, requests, shipments],
  );
  const lines = rows.rows[0].lines;
  await db.query(
    `INSERT INTO shipment_items (shipment_id, order_line_id, quantity, lot, expires_on)
     SELECT s, l, 1, 'L1', '2030-01-01' FROM unnest($1::uuid[], $2::uuid[]) AS t(s, l)`,
    [rows.rows.map((r) => r.id), rows.rows.map((_, k) => lines[Math.floor(k / 10)])],
  );
  return rows.rows.map((r) => ({ id: r.id, trackingReference: r.tracking_reference }));
}

/** Deletes a run's queue keys from Redis (BullMQ's, and the rate limiter's {hash-tagged} ones). */
export async function dropQueueKeys(
  prefix,
  url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
