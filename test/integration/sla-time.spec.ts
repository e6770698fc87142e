import { Clock } from '../../src/common/clock';
import { SlaClocksService } from '../../src/modules/sla/sla-clocks.service';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import { makeItem } from '../helpers/factories';

/** A clock the test sets: SLA figures and firing follow it, no sleeping. */
class SetClock extends Clock {
  constructor(public at: Date) {
    super();
  }
  now(): Date {
    return this.at;
  }
}

const H = 3_600_000;

describe('SLA decisions on an injected clock', () => {
  let t: TestApp;
  const time = new SetClock(new Date());

  beforeAll(async () => {
    // No workers: this test alone decides when alerts are fired.
    t = await bootApp({}, { workers: false, clock: time });
  });
  afterAll(() => t.close());

  it('reports figures and raises the warning, then the breach, as the clock moves', async () => {
    await t.http
      .post('/api/v1/sla/policies')
      .set(bearer(t.adminKey))
      .send({
        name: 'Chad: 96 h',
        metric: 'request_to_first_dispatch',
        target: 'P4D',
        warningRatio: 0.75,
        match: { country: ['TD'], priority: ['routine'] },
      })
      .expect(201);
    const item = await makeItem(t);
    const receivedAt = new Date(Date.now() - 10 * H);
    const created = await t.http
      .post('/api/v1/requests')
      .set(bearer(t.adminKey))
      .send({
        recipientCountry: 'TD',
        organisation: 'Ministère de la Santé',
        destination: 'TDNDJ',
        priority: 'routine',
        kind: 'donation',
        receivedAt: receivedAt.toISOString(),
        lines: [{ itemCode: item.code, quantity: 10 }],
      })
      .expect(201);
    const clockAt = async (offsetHours: number) => {
      time.at = new Date(receivedAt.getTime() + offsetHours * H);
      const res = await t.http.get(`/api/v1/requests/${created.body.id}`).set(bearer(t.adminKey));
      return res.body.slaClocks[0];
    };
    const fire = () => t.app.get(SlaClocksService).fireDue();
    const kinds = async () =>
      (
        await t.dataSource.query(
          `SELECT kind FROM alerts WHERE request_id = $1 ORDER BY raised_at, kind`,
          [created.body.id],
        )
      ).map((a: { kind: string }) => a.kind);

    expect(await clockAt(24)).toMatchObject({
      state: 'running',
      elapsedSeconds: 24 * 3600,
      remainingSeconds: 72 * 3600,
      shareUsed: 0.25,
    });
    // Other files' clocks share this database: only this request's alerts are asserted.
    await fire();
    expect(await kinds()).toEqual([]);

    expect(await clockAt(72)).toMatchObject({ state: 'at_risk', shareUsed: 0.75 });
    await fire();
    await fire();
    expect(await kinds()).toEqual(['sla_warning']);

    expect(await clockAt(96 + 2)).toMatchObject({
      state: 'breaching',
      remainingSeconds: -2 * 3600,
    });
    await fire();
    expect(await kinds()).toEqual(['sla_warning', 'sla_breach']);
  });
});
