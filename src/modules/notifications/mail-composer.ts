import { escapeXml } from '../../common/escape-markup';
import type { AlertKind } from '../../common/vocabulary/alert-vocabulary';

/** What a message about an alert says, fixed when it is decided. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** An alert as a message needs it: its facts, and the names a person reads. */
export interface AlertFacts {
  id: string;
  kind: AlertKind;
  reference: string;
  title: string;
  details: Record<string, unknown>;
  severity: string;
  requestId: string | null;
  shipmentId: string | null;
  causeAt: Date;
  countryName: string | null;
  carrierName: string | null;
}

const SUBJECT_LEAD: Record<AlertKind, string> = {
  sla_breach: 'SLA breached',
  sla_warning: 'SLA at risk',
  shipment_exception: 'Shipment exception',
  temperature_excursion: 'Cold chain broken',
  tracking_stale: 'No tracking',
  eta_overdue: 'Arrival overdue',
};

/** A length of time in words a duty officer reads at a glance: "6 h", "96 h", "5 d 4 h", "35 min". */
export function spanText(seconds: number): string {
  const minutes = Math.max(0, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  // Promises are spoken in hours ("96 hours from request to dispatch").
  if (hours < 100) {
    const rest = minutes % 60;
    return rest && hours < 10 ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The console page of what the alert is about. */
export function consoleLink(
  publicUrl: string,
  alert: Pick<AlertFacts, 'requestId' | 'shipmentId'>,
) {
  const base = publicUrl.replace(/\/+$/, '');
  if (alert.shipmentId) return `${base}/console/shipments/${alert.shipmentId}`;
  if (alert.requestId) return `${base}/console/requests/${alert.requestId}`;
  return `${base}/console`;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** "SLA breached: REQ-2020-000123 (Somalia), 6 h overdue" and the facts behind it. */
function describe(alert: AlertFacts, now: Date): { subject: string; facts: [string, string][] } {
  const where = alert.countryName ? ` (${alert.countryName})` : '';
  const d = alert.details;
  const facts: [string, string][] = [['What', alert.title]];
  let tail = '';
  if (alert.kind === 'sla_breach' || alert.kind === 'sla_warning') {
    const target = typeof d.targetSeconds === 'number' ? spanText(d.targetSeconds) : undefined;
    const metric = typeof d.metric === 'string' ? d.metric.replaceAll('_', ' ') : 'SLA';
    const due = dateOf(d.dueAt);
    if (target) facts.push(['Target', `${target} ${metric}`]);
    if (due) facts.push(['Deadline', utc(due)]);
    if (alert.kind === 'sla_breach' && due) {
      const overdue = (now.getTime() - due.getTime()) / 1000;
      facts.push(['Overdue by', spanText(overdue)]);
      tail =
        overdue >= 60
          ? `, ${spanText(overdue)} overdue`
          : `, ${target ?? ''} ${metric} target missed`;
    } else if (due) {
      const left = (due.getTime() - now.getTime()) / 1000;
      facts.push(['Time left', spanText(left)]);
      tail = `, ${spanText(left)} left of ${target ?? ''} ${metric}`;
    }
  } else if (alert.kind === 'temperature_excursion' && typeof d.temperatureC === 'number') {
    tail = `, ${d.temperatureC} °C`;
  } else if (alert.kind === 'tracking_stale' && typeof d.staleAfterSeconds === 'number') {
    tail = `, silent for ${spanText(d.staleAfterSeconds)}`;
  } else if (alert.kind === 'shipment_exception') {
    const gap = d.discrepancy as { damaged?: number; missing?: number } | undefined;
    if (gap) tail = `, delivered with ${gap.damaged ?? 0} damaged and ${gap.missing ?? 0} missing`;
    else if (typeof d.exceptionReason === 'string' && d.exceptionReason)
      tail = `, ${d.exceptionReason.replaceAll('_', ' ')}`;
    else if (typeof d.status === 'string') tail = `, ${d.status.replaceAll('_', ' ')}`;
  }
  // An SLA alert's deadline already says since when.
  if (!facts.some(([k, v]) => k === 'Deadline' && v === utc(alert.causeAt))) {
    facts.push(['Since', utc(alert.causeAt)]);
  }
  if (alert.countryName) facts.push(['Country', alert.countryName]);
  if (alert.carrierName) facts.push(['Carrier', alert.carrierName]);
  facts.push(['Severity', alert.severity]);
  return { subject: `${SUBJECT_LEAD[alert.kind]}: ${alert.reference}${where}${tail}`, facts };
}

function render(
  subject: string,
  lead: string,
  facts: [string, string][],
  link: string,
  footer: string,
): MailContent {
  const width = Math.max(...facts.map(([k]) => k.length));
  const text = [
    lead,
    '',
    ...facts.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`),
    '',
    `Open it in Lifeline: ${link}`,
    '',
    `-- ${footer}`,
    '',
  ].join('\n');
  const rows = facts
    .map(
      ([k, v]) =>
        `<tr><th align="left" valign="top" style="padding:3px 12px 3px 0;color:#555;white-space:nowrap">${escapeXml(k)}</th><td style="padding:3px 0">${escapeXml(v)}</td></tr>`,
    )
    .join('');
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:sans-serif;font-size:14px;color:#1b2330;margin:16px">` +
    `<p style="font-size:16px;font-weight:bold">${escapeXml(lead)}</p><table>${rows}</table>` +
    `<p><a href="${escapeXml(link)}">Open it in Lifeline</a></p>` +
    `<p style="color:#777;font-size:12px">${escapeXml(footer)}</p></body></html>`;
  return { subject, text, html };
}

const FOOTER = (rule: string) => `Sent by Lifeline for the notification rule "${rule}".`;

/** The message that tells a rule's recipients an alert was raised. */
export function alertMail(alert: AlertFacts, rule: string, publicUrl: string, now: Date) {
  const { subject, facts } = describe(alert, now);
  return render(subject, subject, facts, consoleLink(publicUrl, alert), FOOTER(rule));
}

/** The message to the escalation list: nobody acknowledged the alert within `afterSeconds`. */
export function escalationMail(
  alert: AlertFacts,
  rule: string,
  publicUrl: string,
  now: Date,
  afterSeconds: number,
) {
  const { subject, facts } = describe(alert, now);
  const lead = `Nobody has acknowledged this alert ${spanText(afterSeconds)} after it was raised.`;
  return render(
    `[Escalation] ${subject}`,
    lead,
    [['Escalated after', spanText(afterSeconds)], ...facts],
    consoleLink(publicUrl, alert),
    FOOTER(rule),
  );
}

/** The follow-up, in the same thread, when the alert's cause ended. */
export function resolvedMail(
  alert: AlertFacts,
  rule: string,
  publicUrl: string,
  resolvedAt: Date,
  resolution: string | null,
) {
  const where = alert.countryName ? ` (${alert.countryName})` : '';
  const subject = `Resolved: ${SUBJECT_LEAD[alert.kind]}: ${alert.reference}${where}`;
  const facts: [string, string][] = [
    ['What', alert.title],
    ['Resolved', utc(resolvedAt)],
    ['Why', resolution ?? 'its cause ended'],
  ];
  return render(subject, subject, facts, consoleLink(publicUrl, alert), FOOTER(rule));
}

/** What a digest reports for one rule's scope. */
export interface DigestFacts {
  rule: string;
  day: string;
  openBreaches: { reference: string; title: string; since: Date }[];
  atRisk: { reference: string; metric: string; dueAt: Date }[];
  openExceptions: { reference: string; title: string; since: Date }[];
  /** Clocks stopped in the last 24 hours: met and breached. */
  stopped: { met: number; breached: number };
}

const LIST_LIMIT = 50;

/** The daily digest of one rule's scope. */
export function digestMail(digest: DigestFacts, publicUrl: string): MailContent {
  const total = digest.stopped.met + digest.stopped.breached;
  const compliance =
    total === 0
      ? 'no clock stopped'
      : `${((digest.stopped.met / total) * 100).toFixed(1)} % (${digest.stopped.met} of ${total} met)`;
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const subject =
    `Lifeline digest ${digest.day}: ${count(digest.openBreaches.length, 'open breach', 'open breaches')}, ` +
    `${digest.atRisk.length} at risk, ${count(digest.openExceptions.length, 'open exception', 'open exceptions')}`;
  const section = (title: string, lines: string[]) => {
    const shown = lines.slice(0, LIST_LIMIT);
    const more = lines.length > LIST_LIMIT ? [`... and ${lines.length - LIST_LIMIT} more`] : [];
    return { title, lines: lines.length === 0 ? ['none'] : [...shown, ...more] };
  };
  const sections = [
    section(
      'Open breaches',
      digest.openBreaches.map((a) => `${a.title} (since ${utc(a.since)})`),
    ),
    section(
      'Clocks at risk',
      digest.atRisk.map(
        (c) => `${c.reference} ${c.metric.replaceAll('_', ' ')}, due ${utc(c.dueAt)}`,
      ),
    ),
    section(
      'Open exceptions',
      digest.openExceptions.map((a) => `${a.title} (since ${utc(a.since)})`),
    ),
    section('SLA compliance, last 24 hours', [compliance]),
  ];
  const link = `${publicUrl.replace(/\/+$/, '')}/console`;
  const text = [
    subject,
    '',
    ...sections.flatMap((s) => [s.title, ...s.lines.map((l) => `  - ${l}`), '']),
    `Open the board: ${link}`,
    '',
    `-- ${FOOTER(digest.rule)}`,
    '',
  ].join('\n');
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:sans-serif;font-size:14px;color:#1b2330;margin:16px">` +
    `<p><strong>${escapeXml(subject)}</strong></p>` +
    sections
      .map(
        (s) =>
          `<h3 style="font-size:15px;margin:16px 0 4px">${escapeXml(s.title)}</h3><ul>${s.lines.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul>`,
      )
      .join('') +
    `<p><a href="${escapeXml(link)}">Open the board</a></p>` +
    `<p style="color:#777;font-size:12px">${escapeXml(FOOTER(digest.rule))}</p></body></html>`;
  return { subject, text, html };
}
