import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { eventually } from '../helpers/app';
import { serviceEnv, spawnEntry, type Spawned, startApi } from '../helpers/process';
import { SmtpCatcher } from '../helpers/smtp-catcher';
import { Receiver } from '../helpers/webhook-receiver';

const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
const COUNT = 40;

/**
 * Two APIs and two workers, as Lifeline grows past one machine, on one PostgreSQL and one
 * Redis; one worker is killed half way through the deadlines. Every effect still happens once.
 */
describe('two APIs and two workers on one database', () => {
  const smtp = new SmtpCatcher();
  const receiver = new Receiver();
  const processes: Spawned[] = [];
  const apis: string[] = [];
  let db: Client;

  const env = (extra: Record<string, string>) =>
    serviceEnv({
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      RATE_LIMIT_PER_MINUTE: '1000000',
      SMTP_URL: smtp.url,
      ...extra,
    });

  async function call(base: string, method: string, path: string, body?: object): Promise<any> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (res.status >= 300)
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  beforeAll(async () => {
    await smtp.start();
    await receiver.start();
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const workers = [spawnEntry('worker', env({})), spawnEntry('worker', env({}))];
    for (let i = 0; i < 2; i++) {
      const { api, base } = await startApi(env({ WORKERS: 'off' }));
      processes.push(api);
      apis.push(base);
    }
    processes.push(...workers);
    for (const worker of workers) {
      await eventually(
        async () => worker.output().includes('Lifeline workers running'),
        30_000,
        'a worker',
      );
    }
  });
  afterAll(async () => {
    for (const p of processes) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      await p.exited;
    }
    await db.end();
    await smtp.stop();
    await receiver.stop();
  });

  it('raise every breach, webhook and email once, whichever process takes the request or fires the clock', async () => {
    const [a, b] = apis;
    const url = receiver.url();
    await call(a, 'POST', '/api/v1/webhooks', { url, events: ['alert.sla_breach'] });
    await call(b, 'POST', '/api/v1/notification-rules', {
      name: 'Gaza desk',
      channel: 'email',
      kinds: ['sla_breach'],
      to: ['gaza-desk@example.org'],
      match: { countries: ['PS'] },
    });
    await call(a, 'POST', '/api/v1/sla/policies', {
      name: 'Gaza: 4 s',
      metric: 'request_to_first_dispatch',
      target: 'PT4S',
      warningRatio: 1,
      match: { country: ['PS'] },
    });
    const item = await call(b, 'POST', '/api/v1/items', {
      code: `MANY-${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'Test kit',
      category: 'diagnostics',
      unit: 'kit',
      coldChain: false,
    });
    // Requests through both APIs, their clocks falling due over the next seconds, and a
    // carrier's events on a shipment through both APIs meanwhile.
    const created = await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        call(apis[i % 2], 'POST', '/api/v1/requests', {
          recipientCountry: 'PS',
          organisation: 'Ministry of Health',
          destination: 'PSGZA',
          priority: 'urgent',
          kind: 'donation',
          lines: [{ itemCode: item.code, quantity: 10 }],
        }),
      ),
    );
    expect(created).toHaveLength(COUNT);
    await new Promise((r) => setTimeout(r, 2_000));
    processes[3].child.kill('SIGKILL');

    await eventually(
      async () => {
        const [{ n }] = (
          await db.query(
            `SELECT count(*)::int AS n FROM alerts WHERE kind = 'sla_breach' AND country = 'PS'`,
          )
        ).rows;
        return (
          n === COUNT &&
          receiver.at(url).length >= COUNT &&
          smtp.to('gaza-desk@example.org').length >= COUNT
        );
      },
      40_000,
      'every breach, webhook and email',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const perClock = (
      await db.query(
        `SELECT c.id, count(a.id)::int AS n FROM sla_clocks c
           LEFT JOIN alerts a ON a.clock_id = c.id AND a.kind = 'sla_breach'
          WHERE c.country = 'PS' GROUP BY c.id`,
      )
    ).rows;
    expect(perClock).toHaveLength(COUNT);
    expect(perClock.every((c) => c.n === 1)).toBe(true);
    const hooks = receiver.at(url);
    expect(hooks).toHaveLength(COUNT);
    expect(new Set(hooks.map((h) => JSON.parse(h.body).data.id)).size).toBe(COUNT);
    const mails = smtp.to('gaza-desk@example.org');
    expect(mails).toHaveLength(COUNT);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(COUNT);
    const [{ n: requests }] = (
      await db.query(`SELECT count(*)::int AS n FROM requests WHERE recipient_country = 'PS'`)
    ).rows;
    expect(requests).toBe(COUNT);
  });
});
