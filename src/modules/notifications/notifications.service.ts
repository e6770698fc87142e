import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { type AlertsMoved, OnDomainEvent } from '../../common/events/domain-events';
import { OutboxService } from '../../common/queue/outbox.service';
import { Env, publicUrl } from '../../config/env';
import type { AlertRow } from '../alerts/alerts.repository';
import {
  type AlertFacts,
  alertMail,
  digestMail,
  escalationMail,
  type MailContent,
  resolvedMail,
} from './mail-composer';
import {
  type MatchRow,
  type NewMessage,
  NotificationsRepository,
} from './notifications.repository';

/** Wake-ups within one slice share one job (as SLA clocks' do). */
const WAKE_SLICE_MS = 100;

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });
function countryName(code: string | null): string | null {
  if (!code) return null;
  try {
    return countryNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The job that sends what is due at `dueAt` (now when absent), as the outbox queues it. */
export function sendJob(clock: Clock, dueAt?: Date) {
  const waitMs = dueAt ? clock.msUntil(dueAt) : 0;
  if (waitMs <= 1_000) return { item: { name: 'send-notifications' as const, data: {} } };
  // The job shared by a slice runs at the slice's end, when all of its messages are due.
  const slice = Math.ceil(dueAt!.getTime() / WAKE_SLICE_MS) * WAKE_SLICE_MS;
  return {
    item: { name: 'send-notifications' as const, data: {} },
    runAt: new Date(Date.now() + Math.ceil(clock.msUntil(new Date(slice)))),
    jobId: `notify-${slice}`,
  };
}

/**
 * Decides who is told what, in the transaction of the change: a raised alert becomes one
 * message per matching rule and recipient (and, for rules that escalate, one to the
 * escalation list, due later); an acknowledged alert cancels its escalations; a resolved one
 * cancels them and follows up in the same thread. The daily digests are decided here too.
 * Messages are rendered and given their Message-ID when decided; MailService sends them.
 */
@Injectable()
export class NotificationsService {
  private readonly domain: string;

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {
    this.domain = /@([^>\s]+)>?\s*$/.exec(env.MAIL_FROM)?.[1] ?? 'lifeline.localhost';
  }

  /** Email is on when SMTP_URL is set; without it no message is decided. */
  get emailOn(): boolean {
    return Boolean(this.env.SMTP_URL);
  }

  @OnDomainEvent('alerts.raised')
  async onAlertsRaised({ manager, alerts }: AlertsMoved): Promise<void> {
    if (!this.emailOn || alerts.length === 0) return;
    const matches = await this.notifications.matchRules(
      manager,
      alerts.map((a) => a.id),
    );
    if (matches.length === 0) return;
    const byId = new Map(alerts.map((a) => [a.id, a]));
    const now = this.clock.now();
    const url = publicUrl(this.env);
    const messages: NewMessage[] = [];
    for (const match of matches) {
      const facts = alertFacts(byId.get(match.alert_id)!, match);
      const mail = alertMail(facts, match.rule_name, url, now);
      for (const to of match.recipients) {
        messages.push(this.message(match, to, 'alert', mail, now));
      }
      if (match.escalate_after_seconds) {
        const due = new Date(now.getTime() + match.escalate_after_seconds * 1000);
        const escalation = escalationMail(
          facts,
          match.rule_name,
          url,
          due,
          match.escalate_after_seconds,
        );
        for (const to of match.escalate_to) {
          messages.push(this.message(match, to, 'escalation', escalation, due));
        }
      }
    }
    await this.store(manager, messages);
  }

  @OnDomainEvent('alerts.acknowledged')
  async onAlertsAcknowledged({ manager, alerts }: AlertsMoved): Promise<void> {
    await this.notifications.cancelEscalations(
      manager,
      alerts.map((a) => a.id),
      'The alert was acknowledged before its escalation.',
    );
  }

  @OnDomainEvent('alerts.resolved')
  async onAlertsResolved({ manager, alerts }: AlertsMoved): Promise<void> {
    const ids = alerts.map((a) => a.id);
    await this.notifications.cancelEscalations(
      manager,
      ids,
      'The alert was resolved before its escalation.',
    );
    if (!this.emailOn) return;
    const threads = await this.notifications.threadsToFollow(manager, ids);
    if (threads.length === 0) return;
    const byId = new Map(alerts.map((a) => [a.id, a]));
    const now = this.clock.now();
    const url = publicUrl(this.env);
    const messages = threads.map((thread) => {
      const alert = byId.get(thread.alert_id!)!;
      const mail = resolvedMail(
        alertFacts(alert),
        thread.rule_name,
        url,
        alert.resolved_at ?? now,
        alert.resolution,
      );
      return {
        ...this.message(
          { alert_id: alert.id, rule_id: thread.rule_id },
          thread.recipient,
          'resolved',
          mail,
          now,
        ),
        inReplyTo: thread.message_id,
      };
    });
    await this.store(manager, messages);
  }

  /**
   * Decides the digests whose time of day has come and that were not sent today, one
   * transaction for all: each rule is locked while its digest is decided, and its day is
   * marked with it, so many workers send each rule's digest once a day.
   */
  async queueDueDigests(): Promise<number> {
    if (!this.emailOn) return 0;
    return this.notifications.transaction(async (manager) => {
      const now = this.clock.now();
      const day = now.toISOString().slice(0, 10);
      const rules = await this.notifications.lockDueDigests(
        manager,
        day,
        now.toISOString().slice(11, 16),
      );
      const messages: NewMessage[] = [];
      for (const rule of rules) {
        const facts = await this.notifications.digestFacts(manager, rule.id, now);
        const mail = digestMail(
          {
            rule: rule.name,
            day,
            openBreaches: facts.alerts
              .filter((a) => a.kind === 'sla_breach')
              .map((a) => ({ reference: a.reference, title: a.title, since: a.cause_at })),
            atRisk: facts.atRisk.map((c) => ({
              reference: c.subject_reference,
              metric: c.metric,
              dueAt: c.due_at,
            })),
            openExceptions: facts.alerts
              .filter((a) => a.kind === 'shipment_exception')
              .map((a) => ({ reference: a.reference, title: a.title, since: a.cause_at })),
            stopped: { met: Number(facts.stopped.met), breached: Number(facts.stopped.breached) },
          },
          publicUrl(this.env),
        );
        for (const to of rule.recipients) {
          messages.push({
            ...this.message({ alert_id: null, rule_id: rule.id }, to, 'digest', mail, now),
            digestOn: day,
          });
        }
        await this.notifications.markDigest(manager, rule.id, day);
      }
      await this.store(manager, messages);
      return rules.length;
    });
  }

  private message(
    match: Pick<MatchRow, 'rule_id'> & { alert_id: string | null },
    recipient: string,
    purpose: NewMessage['purpose'],
    mail: MailContent,
    dueAt: Date,
  ): NewMessage {
    const id = randomUUID();
    return {
      id,
      ruleId: match.rule_id,
      alertId: match.alert_id,
      purpose,
      digestOn: null,
      recipient,
      messageId: `<${id}@${this.domain}>`,
      inReplyTo: null,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      dueAt,
    };
  }

  /** Stores the messages (each once) and wakes the sender when each falls due. */
  private async store(manager: EntityManager, messages: NewMessage[]): Promise<void> {
    const stored = await this.notifications.insertMessages(manager, messages);
    if (stored.length === 0) return;
    const now = this.clock.now().getTime();
    const instants = new Map<string, Date | undefined>();
    for (const m of stored) {
      const due = new Date(m.due_at);
      const key = due.getTime() <= now ? 'now' : String(due.getTime());
      instants.set(key, due.getTime() <= now ? undefined : due);
    }
    await this.outbox.enqueueMany(
      manager,
      [...instants.values()].map((due) => sendJob(this.clock, due)),
    );
  }
}

function alertFacts(alert: AlertRow, match?: Pick<MatchRow, 'carrier_name'>): AlertFacts {
  return {
    id: alert.id,
    kind: alert.kind,
    reference: alert.reference,
    title: alert.title,
    details: alert.details,
    severity: alert.severity,
    requestId: alert.request_id,
    shipmentId: alert.shipment_id,
    causeAt: new Date(alert.cause_at),
    countryName: countryName(alert.country),
    carrierName: match?.carrier_name ?? null,
  };
}
