import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '../helpers/app';
import { serviceEnv, type Spawned, startApi } from '../helpers/process';

const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
const dbName = new URL(process.env.DATABASE_URL!).pathname.slice(1);

/**
 * The built API, run as a user runs it, against this file's database; the database is made to
 * refuse Lifeline (its sessions terminated, new ones refused) without stopping the shared server.
 */
describe('faults a client can rely on', () => {
  let api: Spawned;
  let base: string;
  const admin = new Client({
    connectionString: Object.assign(new URL(process.env.DATABASE_URL!), { pathname: '/postgres' })
      .href,
  });

  async function call(method: string, path: string, body?: object, headers = {}) {
    const started = Date.now();
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? JSON.parse(text) : undefined,
      ms: Date.now() - started,
    };
  }

  beforeAll(async () => {
    await admin.connect();
    ({ api, base } = await startApi(serviceEnv({ ADMIN_API_KEY: ADMIN, WORKERS: 'off' })));
  });
  afterAll(async () => {
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    await admin.end();
    api.child.kill('SIGKILL');
    await api.exited;
  });

  it('answers 503 with Retry-After while PostgreSQL refuses, changes nothing, and takes the same retry after', async () => {
    const item = await call('POST', '/api/v1/items', {
      code: `FAULT-${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'N95 respirator',
      category: 'ppe',
      unit: 'piece',
      coldChain: false,
    });
    expect(item.status).toBe(201);
    const request = (n: number) => ({
      recipientCountry: 'SO',
      organisation: `Ministry of Health ${n}`,
      destination: 'SOMGQ',
      priority: 'urgent',
      kind: 'donation',
      lines: [{ itemCode: item.body.code, quantity: 10 }],
    });
    const keys = Array.from({ length: 12 }, () => randomUUID());

    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
      dbName,
    ]);
    const during = await Promise.all(
      keys.map((key, n) =>
        call('POST', '/api/v1/requests', request(n), { 'idempotency-key': key }),
      ),
    );
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(res.ms).toBeLessThan(4_000);
    }
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);

    const restoredAt = Date.now();
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    const after = await eventually(
      async () => {
        const answers = await Promise.all(
          keys.map((key, n) =>
            call('POST', '/api/v1/requests', request(n), { 'idempotency-key': key }),
          ),
        );
        return answers.every((a) => a.status === 201) && answers;
      },
      15_000,
      'the retries to succeed',
    );
    const recoveredMs = Date.now() - restoredAt;
    process.stdout.write(`writes accepted again ${recoveredMs} ms after PostgreSQL came back\n`);
    expect(recoveredMs).toBeLessThan(10_000);
    // Each retry created its request once; replaying the key answers the same request.
    const replay = await call('POST', '/api/v1/requests', request(0), {
      'idempotency-key': keys[0],
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(after[0].body.id);
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const [{ n }] = (
      await db.query(
        `SELECT count(*)::int AS n FROM requests WHERE organisation LIKE 'Ministry of Health %'`,
      )
    ).rows;
    await db.end();
    expect(n).toBe(keys.length);
  });
});
