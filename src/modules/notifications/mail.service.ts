import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { Clock } from '../../common/clock';
import { OutboxService } from '../../common/queue/outbox.service';
import { Env } from '../../config/env';
import { retryDelayMs } from '../webhooks/retry-schedule';
import { type MessageRow, NotificationsRepository } from './notifications.repository';
import { sendJob } from './notifications.service';
import { smtpAccepted, smtpFailure, type SmtpOutcome } from './smtp-outcome';

/**
 * Messages one job leases at once: no more than its SMTP connections carry together, so no
 * message waits for a connection while its lease runs.
 */
const POOL_CONNECTIONS = 5;
const BATCH = POOL_CONNECTIONS * 2;

export interface SendResult {
  sent: number;
  failed: number;
  retrying: number;
}

/**
 * Sends the messages that are due, over SMTP, and records every attempt.
 *
 * SMTP has no idempotency key, so a message can't be sent exactly once if a worker dies
 * between the server's "250 accepted" and our record of it: Lifeline chose at least once, and
 * narrowed the gap. A message is leased (MAIL_LEASE_SECONDS) before it is sent; each one is
 * recorded in its own short transaction the moment its server accepts it, not at the end of a
 * batch; and its Message-ID was fixed when it was decided, so the rare second copy (the lease
 * ran out after such a death) carries the same Message-ID, which mail clients and servers
 * treat as one message.
 */
@Injectable()
export class MailService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Email');
  private transport: Transporter | undefined;

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.SMTP_URL) {
      this.logger.warn(
        'Email is off: SMTP_URL is not set (notification rules can be written; no email is sent).',
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.transport?.close();
  }

  private smtp(): Transporter {
    if (!this.transport) {
      // Every SMTP wait stays well inside the lease, so a live send never outlasts it.
      const timeout = Math.max(1_000, Math.floor((this.env.MAIL_LEASE_SECONDS * 1000) / 4));
      this.transport = createTransport({
        url: this.env.SMTP_URL,
        pool: true,
        maxConnections: POOL_CONNECTIONS,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      } as never);
    }
    return this.transport;
  }

  /** Sends everything due now, a leased batch at a time. */
  async sendDue(): Promise<SendResult> {
    const result: SendResult = { sent: 0, failed: 0, retrying: 0 };
    if (!this.env.SMTP_URL) return result;
    for (;;) {
      const leased = await this.notifications.leaseDue(
        this.clock.now(),
        BATCH,
        this.env.MAIL_LEASE_SECONDS,
      );
      const states = await Promise.all(leased.map((m) => this.sendOne(m)));
      for (const state of states) {
        if (state === 'sent') result.sent += 1;
        else if (state === 'failed') result.failed += 1;
        else if (state === 'pending') result.retrying += 1;
      }
      if (leased.length < BATCH) return result;
    }
  }

  private async sendOne(message: MessageRow): Promise<string | undefined> {
    const startedAt = new Date();
    let outcome: SmtpOutcome;
    try {
      const info = await this.smtp().sendMail({
        from: this.env.MAIL_FROM,
        to: message.recipient,
        subject: message.subject,
        text: message.text_body,
        html: message.html_body,
        messageId: message.message_id,
        inReplyTo: message.in_reply_to ?? undefined,
        references: message.in_reply_to ?? undefined,
        date: message.created_at,
        headers: {
          'Auto-Submitted': 'auto-generated',
          'X-Lifeline-Purpose': message.purpose,
        },
      });
      outcome = smtpAccepted(info.response);
    } catch (error) {
      outcome = smtpFailure(error);
    }
    const durationMs = Date.now() - startedAt.getTime();
    const delay =
      outcome.accepted || outcome.permanent
        ? undefined
        : retryDelayMs(message.attempts, this.env.MAIL_RETRY_SCALE);
    const state = outcome.accepted ? 'sent' : delay === undefined ? 'failed' : 'pending';
    const nextAttemptAt = delay === undefined ? null : new Date(Date.now() + delay);
    const settled = await this.notifications.transaction(async (manager) => {
      const ruleId = await this.notifications.settle(
        manager,
        { id: message.id, attempt: message.attempts },
        {
          state,
          nextAttemptAt,
          error: outcome.accepted ? null : outcome.text,
          smtpResponse: outcome.accepted ? outcome.text : null,
          smtpCode: outcome.code,
          startedAt,
          durationMs,
        },
      );
      if (!ruleId) return false;
      if (state === 'failed') {
        await this.notifications.recordRuleFailure(
          manager,
          ruleId,
          `${message.recipient}: ${outcome.text}`,
        );
      }
      if (nextAttemptAt) {
        await this.outbox.enqueueMany(manager, [
          {
            ...sendJob(this.clock),
            runAt: nextAttemptAt,
            jobId: `notify-retry-${message.id}-${message.attempts + 1}`,
          },
        ]);
      }
      return true;
    });
    if (!settled) return undefined;
    if (state === 'failed') {
      this.logger.warn(`Email to ${message.recipient} failed for good: ${outcome.text}`);
    }
    return state;
  }
}
