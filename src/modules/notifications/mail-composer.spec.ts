import { Clock } from '../../common/clock';
import {
  type AlertFacts,
  alertMail,
  consoleLink,
  digestMail,
  escalationMail,
  resolvedMail,
  spanText,
} from './mail-composer';
import { sendJob } from './notifications.service';

const H = 3_600_000;
const due = new Date('2020-04-02T08:00:00Z');

const breach: AlertFacts = {
  id: 'a1',
  kind: 'sla_breach',
  reference: 'REQ-2020-000123',
  title: 'REQ-2020-000123 missed its 96 h request to first dispatch target',
  details: {
    metric: 'request_to_first_dispatch',
    targetSeconds: 96 * 3600,
    dueAt: due.toISOString(),
  },
  severity: 'critical',
  requestId: 'r1',
  shipmentId: null,
  causeAt: due,
  countryName: 'Somalia',
  carrierName: null,
};

describe('email messages about alerts', () => {
  it('says a breach in its subject with reference, country and time overdue', () => {
    const mail = alertMail(
      breach,
      'Horn desk',
      'https://lifeline.example.org/',
      new Date(due.getTime() + 6 * H),
    );
    expect(mail.subject).toBe('SLA breached: REQ-2020-000123 (Somalia), 6 h overdue');
    expect(mail.text).toContain('Deadline:   2020-04-02 08:00 UTC');
    expect(mail.text).toContain('Target:     96 h request to first dispatch');
    expect(mail.text).toContain(
      'Open it in Lifeline: https://lifeline.example.org/console/requests/r1',
    );
    expect(mail.text).toContain('"Horn desk"');
    expect(mail.html).toContain('<a href="https://lifeline.example.org/console/requests/r1">');
  });

  it('says a breach caught at its deadline as a missed target, not "0 min overdue"', () => {
    expect(alertMail(breach, 'r', 'https://x', due).subject).toBe(
      'SLA breached: REQ-2020-000123 (Somalia), 96 h request to first dispatch target missed',
    );
  });

  it('escapes what carriers wrote in the HTML body', () => {
    const exception: AlertFacts = {
      ...breach,
      kind: 'shipment_exception',
      reference: 'SHP-000311',
      title: 'SHP-000311 exception: <script>alert(1)</script>',
      details: { status: 'exception' },
      requestId: null,
      shipmentId: 's1',
      carrierName: 'Sahel Air & Cargo',
    };
    const mail = alertMail(exception, 'r', 'https://x', due);
    expect(mail.subject).toBe('Shipment exception: SHP-000311 (Somalia), exception');
    const held = {
      ...exception,
      details: { status: 'exception', exceptionReason: 'customs_hold' },
    };
    expect(alertMail(held, 'r', 'https://x', due).subject).toBe(
      'Shipment exception: SHP-000311 (Somalia), customs hold',
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).toContain('Sahel Air &amp; Cargo');
    expect(consoleLink('https://x', exception)).toBe('https://x/console/shipments/s1');
  });

  it('marks an escalation and says how long nobody acted', () => {
    const mail = escalationMail(
      breach,
      'r',
      'https://x',
      new Date(due.getTime() + 2 * H),
      2 * 3600,
    );
    expect(mail.subject).toBe('[Escalation] SLA breached: REQ-2020-000123 (Somalia), 2 h overdue');
    expect(mail.text.split('\n')[0]).toBe(
      'Nobody has acknowledged this alert 2 h after it was raised.',
    );
  });

  it('follows up a resolved alert with why it ended', () => {
    const mail = resolvedMail(breach, 'r', 'https://x', new Date(due.getTime() + H), 'clock met');
    expect(mail.subject).toBe('Resolved: SLA breached: REQ-2020-000123 (Somalia)');
    expect(mail.text).toContain('clock met');
  });

  it('sums up a digest, with compliance over the stopped clocks', () => {
    const mail = digestMail(
      {
        rule: 'Sahel',
        day: '2020-04-02',
        openBreaches: [{ reference: 'REQ-1', title: 'REQ-1 missed its target', since: due }],
        atRisk: [],
        openExceptions: [],
        stopped: { met: 3, breached: 1 },
      },
      'https://x',
    );
    expect(mail.subject).toBe(
      'Lifeline digest 2020-04-02: 1 open breach, 0 at risk, 0 open exceptions',
    );
    expect(mail.text).toContain('  - REQ-1 missed its target (since 2020-04-02 08:00 UTC)');
    expect(mail.text).toContain('  - 75.0 % (3 of 4 met)');
    expect(mail.text).toContain('Clocks at risk\n  - none');
  });

  it('writes lengths of time as a duty officer reads them', () => {
    expect(spanText(35 * 60)).toBe('35 min');
    expect(spanText(2 * 3600 + 15 * 60)).toBe('2 h 15 min');
    expect(spanText(30 * 3600)).toBe('30 h');
    expect(spanText(96 * 3600)).toBe('96 h');
    expect(spanText(124 * 3600)).toBe('5 d 4 h');
  });
});

describe('waking the sender', () => {
  class At extends Clock {
    constructor(private readonly at: number) {
      super();
    }
    now() {
      return new Date(this.at);
    }
  }

  it('queues a send now for what is due, and a delayed one at the instant of an escalation', () => {
    const clock = new At(due.getTime());
    expect(sendJob(clock)).toEqual({ item: { name: 'send-notifications', data: {} } });
    const before = Date.now();
    const later = sendJob(clock, new Date(due.getTime() + 2 * H + 30));
    expect(later.jobId).toBe(`notify-${due.getTime() + 2 * H + 100}`);
    // At the end of its 100 ms slice, when every message of the slice is due.
    expect(later.runAt!.getTime() - before).toBeGreaterThanOrEqual(2 * H + 100);
    expect(later.runAt!.getTime() - Date.now()).toBeLessThanOrEqual(2 * H + 100);
  });
});
