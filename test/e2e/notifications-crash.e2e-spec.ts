import { Client } from 'pg';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import { makeItem, unique } from '../helpers/factories';
import { spawnEntry } from '../helpers/process';
import { SmtpCatcher } from '../helpers/smtp-catcher';

const H = 3_600_000;

async function ok(res: { status: number; body: any }, status = 201) {
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/*
 * Email is at least once: SMTP has no idempotency key. Here the only workers are child
 * processes, so the test decides which one dies, and where.
 */
describe('an email worker that dies between the send and its record', () => {
  const smtp = new SmtpCatcher();
  let api: TestApp;
  let holder: Client;

  beforeAll(async () => {
    await smtp.start();
    api = await bootApp({ SMTP_URL: smtp.url }, { workers: false });
    holder = new Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await api.close();
    await smtp.stop();
  });

  it('is followed by a copy with the same Message-ID, never a new message', async () => {
    const desk = `killed-${unique().toLowerCase()}@example.org`;
    const rule = await ok(
      await api.http
        .post('/api/v1/notification-rules')
        .set(bearer(api.adminKey))
        .send({ name: 'Dakar desk', channel: 'email', kinds: ['sla_breach'], to: [desk] }),
    );
    const env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      SMTP_URL: smtp.url,
      MAIL_LEASE_SECONDS: '3',
      DB_MIGRATE_ON_START: 'false',
    };
    const victim = spawnEntry('worker', env);
    let held = false;
    // The server accepts the message while its row is held, so the worker's record of it
    // waits; the worker is killed there.
    smtp.beforeAccept = async (mail) => {
      if (!mail.to.includes(desk) || held) return;
      held = true;
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM notification_messages WHERE recipient = $1 FOR UPDATE`, [
        desk,
      ]);
      setTimeout(() => victim.child.kill('SIGKILL'), 500);
    };
    try {
      const item = await makeItem(api);
      await ok(
        await api.http
          .post('/api/v1/requests')
          .set(bearer(api.adminKey))
          .send({
            recipientCountry: 'SN',
            organisation: 'Ministry of Health',
            destination: 'SNDKR',
            priority: 'urgent',
            kind: 'donation',
            receivedAt: new Date(Date.now() - 100 * H).toISOString(),
            lines: [{ itemCode: item.code, quantity: 100 }],
          }),
      );
      const { signal } = await victim.exited;
      expect(signal).toBe('SIGKILL');
      expect(held).toBe(true);
      await holder.query('ROLLBACK');
      const [row] = await api.dataSource.query(
        `SELECT state, attempts FROM notification_messages WHERE rule_id = $1`,
        [rule.id],
      );
      expect(row).toEqual({ state: 'pending', attempts: 1 });
      expect(smtp.to(desk)).toHaveLength(1);

      const successor = spawnEntry('worker', env);
      try {
        await eventually(
          async () => {
            const [m] = await api.dataSource.query(
              `SELECT state FROM notification_messages WHERE rule_id = $1`,
              [rule.id],
            );
            return m.state === 'sent';
          },
          40_000,
          'the message recorded by the successor',
        );
      } finally {
        successor.child.kill('SIGTERM');
        await successor.exited;
      }
      const copies = smtp.to(desk);
      expect(copies).toHaveLength(2);
      expect(copies[1].messageId).toBe(copies[0].messageId);
      expect(copies[1].subject).toBe(copies[0].subject);
      const { data } = await ok(
        await api.http
          .get(`/api/v1/notification-rules/${rule.id}/deliveries`)
          .set(bearer(api.adminKey)),
        200,
      );
      expect(data).toHaveLength(1);
      expect(data[0]).toMatchObject({ state: 'sent', attemptCount: 2 });
    } finally {
      smtp.beforeAccept = undefined;
      if (victim.child.exitCode === null && victim.child.signalCode === null) {
        victim.child.kill('SIGKILL');
      }
    }
  });
});
