import { Clock } from '../../src/common/clock';
import { MailService } from '../../src/modules/notifications/mail.service';
import { NotificationsService } from '../../src/modules/notifications/notifications.service';
import { bearer, bootApp, eventually, type TestApp } from '../helpers/app';
import {
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
  unique,
} from '../helpers/factories';
import { SmtpCatcher } from '../helpers/smtp-catcher';

/** A clock that runs at real speed and that the test moves forward or back at will. */
class SetClock extends Clock {
  private offsetMs = 0;
  get at(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  set at(instant: Date) {
    this.offsetMs = instant.getTime() - Date.now();
  }
  now(): Date {
    return this.at;
  }
}

const H = 3_600_000;

async function ok(res: { status: number; body: any }, status = 201) {
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/*
 * Each scenario has a country of its own (and addresses of its own), so rules of one scenario
 * never match another's alerts.
 */
describe('alerts that reach a person by email', () => {
  const smtp = new SmtpCatcher();
  const time = new SetClock();
  let t: TestApp;

  beforeAll(async () => {
    await smtp.start();
    t = await bootApp(
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Lifeline <alerts@lifeline.test>',
        PUBLIC_URL: 'https://lifeline.test',
        MAIL_RETRY_SCALE: '0.001',
      },
      { clock: time },
    );
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const addr = (name: string) => `${name}-${unique().toLowerCase()}@example.org`;

  function createRule(body: object) {
    return t.http
      .post('/api/v1/notification-rules')
      .set(bearer(t.adminKey))
      .send({ name: `Rule ${unique()}`, channel: 'email', kinds: ['sla_breach'], ...body });
  }

  /** A request received 100 h ago in `country`: its 96 h clock is breached as it starts. */
  async function breachedRequest(country: string, destination: string, priority = 'urgent') {
    const item = await makeItem(t);
    const request = await ok(
      await t.http
        .post('/api/v1/requests')
        .set(bearer(t.adminKey))
        .send({
          recipientCountry: country,
          organisation: 'Ministry of Health',
          destination,
          priority,
          kind: 'donation',
          receivedAt: new Date(time.now().getTime() - 100 * H).toISOString(),
          lines: [{ itemCode: item.code, quantity: 100 }],
        }),
    );
    const breach = await eventually(
      async () => {
        const res = await t.http
          .get(`/api/v1/alerts?requestId=${request.id}&kind=sla_breach`)
          .set(bearer(t.adminKey));
        return res.body.data?.[0];
      },
      20_000,
      'the breach',
    );
    return { request, breach, item };
  }

  async function deliveries(ruleId: string) {
    return (
      await ok(
        await t.http.get(`/api/v1/notification-rules/${ruleId}/deliveries`).set(bearer(t.adminKey)),
        200,
      )
    ).data as any[];
  }

  it('keeps rules with If-Match, refuses bad ones naming the field, and only for coordinators', async () => {
    const created = await ok(
      await createRule({
        to: ['desk@example.org'],
        match: { countries: ['SO'] },
        digestAt: '07:00',
      }),
    );
    expect(created).toMatchObject({
      channel: 'email',
      to: ['desk@example.org'],
      kinds: ['sla_breach'],
      match: { countries: ['SO'], priorities: [], carrierIds: [] },
      escalateAfter: null,
      digestAt: '07:00',
      notifyResolved: true,
      version: 1,
    });
    const read = await t.http
      .get(`/api/v1/notification-rules/${created.id}`)
      .set(bearer(t.adminKey));
    expect(read.headers.etag).toBe('"1"');
    const stale = await t.http
      .patch(`/api/v1/notification-rules/${created.id}`)
      .set(bearer(t.adminKey))
      .set('if-match', '"7"')
      .send({ name: 'Renamed' });
    expect(stale.status).toBe(412);
    const patched = await ok(
      await t.http
        .patch(`/api/v1/notification-rules/${created.id}`)
        .set(bearer(t.adminKey))
        .set('if-match', read.headers.etag)
        .send({ escalateAfter: 'PT2H', escalateTo: ['chief@example.org'], digestAt: null }),
      200,
    );
    expect(patched).toMatchObject({
      escalateAfter: 'PT2H',
      escalateTo: ['chief@example.org'],
      digestAt: null,
      to: ['desk@example.org'],
      version: 2,
    });

    const refusals: [object, string][] = [
      [{ to: ['not-an-address'] }, 'to'],
      [{ to: ['a@example.org'], kinds: ['sla_breach', 'sunburn'] }, 'kinds'],
      [{ to: ['a@example.org'], escalateAfter: 'PT2H' }, 'escalateTo'],
      [
        { to: ['a@example.org'], escalateAfter: 'P1M', escalateTo: ['b@example.org'] },
        'escalateAfter',
      ],
      [{ to: ['a@example.org'], digestAt: '25:00' }, 'digestAt'],
      [{ to: ['a@example.org'], match: { countries: ['XX'] } }, 'match.countries'],
      [
        { to: ['a@example.org'], match: { carrierIds: ['7f6f0a52-1b1e-4a57-9d7c-0d5bb1a2f001'] } },
        'match.carrierIds',
      ],
      [{ to: ['a@example.org'], colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of refusals) {
      const res = await createRule(body);
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const viewer = await makeKey(t, 'viewer');
    const refused = await t.http
      .post('/api/v1/notification-rules')
      .set(bearer(viewer))
      .send({ name: 'x', channel: 'email', kinds: ['sla_breach'], to: ['a@example.org'] });
    expect(refused.status).toBe(403);

    await ok(
      await t.http.delete(`/api/v1/notification-rules/${created.id}`).set(bearer(t.adminKey)),
      204,
    );
    const gone = await t.http
      .get(`/api/v1/notification-rules/${created.id}`)
      .set(bearer(t.adminKey));
    expect(gone.status).toBe(404);
  });

  it('sends one message per recipient for a breach, with reference, country and console link; none outside the match', async () => {
    const [desk, deputy, other] = [addr('desk'), addr('deputy'), addr('other')];
    const rule = await ok(await createRule({ to: [desk, deputy], match: { countries: ['SO'] } }));
    await ok(await createRule({ to: [other], match: { countries: ['SO'], priorities: ['stat'] } }));
    const { request, breach } = await breachedRequest('SO', 'SOMGQ');
    await eventually(
      async () => smtp.to(desk).length + smtp.to(deputy).length === 2,
      20_000,
      'both messages',
    );
    const [mail] = smtp.to(desk);
    expect(mail.subject).toBe(`SLA breached: ${request.reference} (Somalia), 4 h overdue`);
    expect(mail.text).toContain(`https://lifeline.test/console/requests/${request.id}`);
    expect(mail.text).toContain('Overdue by:');
    expect(mail.html).toContain(`href="https://lifeline.test/console/requests/${request.id}"`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(smtp.to(deputy)[0].messageId).not.toBe(mail.messageId);
    // The urgent request is outside the rule that wants only stat ones: nothing was decided.
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM notification_messages m
         JOIN notification_rules r ON r.id = m.rule_id WHERE $1 = ANY (r.recipients)`,
      [other],
    );
    expect(n).toBe(0);
    expect(smtp.to(other)).toEqual([]);
    const sent = await deliveries(rule.id);
    expect(sent).toHaveLength(2);
    for (const m of sent) {
      expect(m).toMatchObject({
        alertId: breach.id,
        purpose: 'alert',
        state: 'sent',
        attemptCount: 1,
      });
      expect(m.attempts).toHaveLength(1);
      expect(m.attempts[0].smtpCode).toBe(250);
    }
    expect(smtp.to(desk)).toHaveLength(1);
  });

  it('retries a 451 with backoff and delivers the message exactly once; a 550 fails and shows on the rule', async () => {
    const [greylisted, missing] = [addr('greylisted'), addr('missing')];
    smtp.refuse(greylisted, 451, 451);
    smtp.refuse(missing, 550);
    const rule = await ok(
      await createRule({ to: [greylisted, missing], match: { countries: ['TD'] } }),
    );
    await breachedRequest('TD', 'TDNDJ');
    await eventually(
      async () => smtp.to(greylisted).length === 1,
      20_000,
      'the greylisted message',
    );
    const all = await eventually(
      async () => {
        const rows = await deliveries(rule.id);
        return rows.every((r) => r.state !== 'pending') && rows;
      },
      20_000,
      'settled deliveries',
    );
    const byRecipient = new Map(all.map((m: any) => [m.recipient, m]));
    const grey = byRecipient.get(greylisted);
    expect(grey).toMatchObject({ state: 'sent', attemptCount: 3 });
    expect(grey.attempts.map((a: any) => a.smtpCode)).toEqual([451, 451, 250]);
    const gone = byRecipient.get(missing);
    expect(gone).toMatchObject({ state: 'failed', attemptCount: 1 });
    expect(gone.lastError).toContain('550');
    const after = await ok(
      await t.http.get(`/api/v1/notification-rules/${rule.id}`).set(bearer(t.adminKey)),
      200,
    );
    expect(after.lastFailure).toContain(missing);
    expect(after.lastFailure).toContain('550');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.to(greylisted)).toHaveLength(1);
    expect(smtp.to(missing)).toHaveLength(0);
  });

  it('escalates an unacknowledged breach once at its time, and not an acknowledged one', async () => {
    const [desk, chief] = [addr('desk'), addr('chief')];
    await ok(
      await createRule({
        to: [desk],
        match: { countries: ['NE'] },
        escalateAfter: 'PT2H',
        escalateTo: [chief],
      }),
    );
    const first = await breachedRequest('NE', 'NENIM');
    const second = await breachedRequest('NE', 'NENIM');
    await eventually(async () => smtp.to(desk).length === 2, 20_000, 'the first messages');
    await ok(
      await t.http
        .post(`/api/v1/alerts/${second.breach.id}/acknowledge`)
        .set(bearer(t.adminKey))
        .send({ note: 'Charter booked' }),
      200,
    );
    const mail = t.app.get(MailService);
    time.at = new Date(time.at.getTime() + H);
    await mail.sendDue();
    expect(smtp.to(chief)).toEqual([]);
    time.at = new Date(time.at.getTime() + H + 1_000);
    await mail.sendDue();
    await mail.sendDue();
    await eventually(async () => smtp.to(chief).length >= 1, 10_000, 'the escalation');
    await new Promise((r) => setTimeout(r, 300));
    const escalations = smtp.to(chief);
    expect(escalations).toHaveLength(1);
    expect(escalations[0].subject).toBe(
      `[Escalation] SLA breached: ${first.request.reference} (Niger), 6 h overdue`,
    );
    expect(escalations[0].text).toContain(
      'Nobody has acknowledged this alert 2 h after it was raised.',
    );
    const cancelled = await t.dataSource.query(
      `SELECT state, last_error FROM notification_messages WHERE alert_id = $1 AND purpose = 'escalation'`,
      [second.breach.id],
    );
    expect(cancelled).toEqual([
      { state: 'cancelled', last_error: 'The alert was acknowledged before its escalation.' },
    ]);
  });

  it('escalates at its instant, by its own wake-up, with nobody calling the sender', async () => {
    const [desk, chief] = [addr('desk'), addr('chief')];
    await ok(
      await createRule({
        to: [desk],
        match: { countries: ['BJ'] },
        escalateAfter: 'PT2S',
        escalateTo: [chief],
      }),
    );
    const { breach } = await breachedRequest('BJ', 'BJCOO');
    const mail = await eventually(async () => smtp.to(chief)[0], 15_000, 'the escalation');
    const arrived = time.now().getTime();
    expect(mail.subject).toMatch(/^\[Escalation\] SLA breached: REQ-\d{4}-\d{6} \(Benin\)/);
    const [row] = await t.dataSource.query(
      `SELECT due_at FROM notification_messages WHERE alert_id = $1 AND purpose = 'escalation'`,
      [breach.id],
    );
    // Arrived once due by Lifeline's clock, and not a sweep's 15 s later.
    const late = arrived - new Date(row.due_at).getTime();
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(5_000);
  });

  it('follows up in the same thread when the breach is resolved', async () => {
    const desk = addr('desk');
    await ok(await createRule({ to: [desk], match: { countries: ['ML'] } }));
    const { request } = await breachedRequest('ML', 'MLBKO');
    await eventually(async () => smtp.to(desk).length === 1, 20_000, 'the breach message');
    await ok(
      await t.http.post(`/api/v1/requests/${request.id}/approve`).set(bearer(t.adminKey)).send({}),
      200,
    );
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 100 },
    ]);
    const carrier = await makeCarrier(t);
    const shipment = await makeShipment(
      t,
      carrier.id,
      [{ orderLineId: order.lines[0].id, quantity: 100 }],
      {
        destination: 'MLBKO',
      },
    );
    await ok(
      await t.http
        .post(`/api/v1/shipments/${shipment.id}/events`)
        .set(bearer(t.adminKey))
        .send({ status: 'dispatched', occurredAt: time.now().toISOString() }),
    );
    await eventually(async () => smtp.to(desk).length === 2, 20_000, 'the follow-up');
    const [breach, followUp] = smtp.to(desk);
    expect(followUp.subject).toBe(`Resolved: SLA breached: ${request.reference} (Mali)`);
    expect(followUp.inReplyTo).toBe(breach.messageId);
    expect(followUp.headers.get('references')).toBe(breach.messageId);
  });

  it('sends the daily digest once at its time, however many workers ask', async () => {
    const desk = addr('digest');
    // The digest is at 08:00 UTC; the test's clock starts the day before it.
    const day = new Date(Date.UTC(2031, 0, 15));
    time.at = new Date(day.getTime() + 7 * H + 59 * 60_000);
    const rule = await ok(
      await createRule({ to: [desk], match: { countries: ['BF'] }, digestAt: '08:00' }),
    );
    await breachedRequest('BF', 'BFOUA');
    const notifications = t.app.get(NotificationsService);
    await notifications.queueDueDigests();
    expect((await deliveries(rule.id)).filter((m) => m.purpose === 'digest')).toEqual([]);
    time.at = new Date(day.getTime() + 8 * H + 30_000);
    const peer = await bootApp({ SMTP_URL: smtp.url }, { workers: false, clock: time });
    try {
      await Promise.all([
        notifications.queueDueDigests(),
        peer.app.get(NotificationsService).queueDueDigests(),
        notifications.queueDueDigests(),
      ]);
    } finally {
      await peer.close();
    }
    await t.app.get(MailService).sendDue();
    await eventually(
      async () => smtp.to(desk).some((m) => m.subject.startsWith('Lifeline digest')),
      10_000,
      'the digest',
    );
    await notifications.queueDueDigests();
    await t.app.get(MailService).sendDue();
    const digests = smtp.to(desk).filter((m) => m.subject.startsWith('Lifeline digest'));
    expect(digests).toHaveLength(1);
    expect(digests[0].subject).toBe(
      'Lifeline digest 2031-01-15: 1 open breach, 0 at risk, 0 open exceptions',
    );
    expect(digests[0].text).toContain('SLA compliance, last 24 hours');
    time.at = new Date();
  });
});
