import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { assertIfMatch } from '../../common/http/etag';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import type {
  CreateNotificationRuleDto,
  UpdateNotificationRuleDto,
} from './dto/notification-rule.dto';
import { durationSeconds } from './iso-duration';
import type { MessageState } from './notification-vocabulary';
import {
  type AttemptRow,
  type MessageRow,
  NotificationsRepository,
  type RuleFields,
  type RuleRow,
} from './notifications.repository';

/** Writes and reads notification rules, and the messages they sent. */
@Injectable()
export class NotificationRulesService {
  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateNotificationRuleDto, by: Principal): Promise<RuleRow> {
    const fields = await this.fields(dto);
    return this.notifications.insertRule(fields, this.digestDoneOn(fields.digest_at), by.keyId);
  }

  async get(id: string): Promise<RuleRow> {
    const rule = await this.notifications.findRule(id);
    if (!rule) throw new DomainError('not_found', `Notification rule ${id} does not exist.`);
    return rule;
  }

  async list(limit: number, cursor?: string): Promise<Page<RuleRow>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.notifications.listRules(
      limit + 1,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [new Date(r.created_at).toISOString(), r.id],
    );
  }

  /** Changes a rule; If-Match must carry the version last read. */
  async update(
    id: string,
    dto: UpdateNotificationRuleDto,
    ifMatch: string | undefined,
  ): Promise<RuleRow> {
    const current = await this.get(id);
    assertIfMatch(ifMatch, current.version);
    for (const required of ['name', 'channel', 'to', 'kinds'] as const) {
      if (dto[required] === null) throw fieldError(required, 'may not be null');
    }
    const has = (key: keyof UpdateNotificationRuleDto) => dto[key] !== undefined;
    const fields = await this.fields({
      name: dto.name ?? current.name,
      channel: 'email',
      to: dto.to ?? current.recipients,
      kinds: dto.kinds ?? current.kinds,
      match: has('match')
        ? (dto.match ?? {})
        : {
            countries: current.countries,
            priorities: current.priorities as never,
            carrierIds: current.carrier_ids,
          },
      escalateAfter: has('escalateAfter')
        ? (dto.escalateAfter ?? undefined)
        : (current.escalate_after ?? undefined),
      escalateTo: has('escalateTo')
        ? (dto.escalateTo ?? undefined)
        : current.escalate_to.length > 0
          ? current.escalate_to
          : undefined,
      digestAt: has('digestAt') ? (dto.digestAt ?? undefined) : (current.digest_at ?? undefined),
      notifyResolved: dto.notifyResolved ?? current.notify_resolved,
    });
    const lastDigestOn =
      fields.digest_at === current.digest_at
        ? current.last_digest_on
        : this.digestDoneOn(fields.digest_at);
    const updated = await this.notifications.updateRule(id, current.version, fields, lastDigestOn);
    if (!updated) {
      throw new DomainError(
        'precondition_failed',
        `Notification rule ${id} changed meanwhile: read it again.`,
      );
    }
    return updated;
  }

  /** Deletes a rule: it sends nothing more, and its unsent messages are given up. */
  async remove(id: string): Promise<void> {
    const deleted = await this.notifications.transaction((manager) =>
      this.notifications.deleteRule(manager, id),
    );
    if (!deleted) throw new DomainError('not_found', `Notification rule ${id} does not exist.`);
  }

  /** A rule's messages, newest first, each with its attempts. */
  async messages(
    ruleId: string,
    limit: number,
    state?: MessageState,
    cursor?: string,
  ): Promise<Page<{ message: MessageRow; attempts: AttemptRow[] }>> {
    await this.get(ruleId);
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.notifications.listMessages(
      ruleId,
      limit + 1,
      state,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    const attempts = await this.notifications.attemptsOf(rows.slice(0, limit).map((r) => r.id));
    return toPage(
      rows,
      limit,
      (message) => ({ message, attempts: attempts.filter((a) => a.message_id === message.id) }),
      (r) => [new Date(r.created_at).toISOString(), r.id],
    );
  }

  /** The latest messages of every rule, with their rule's name (the console's view). */
  recent(limit: number) {
    return this.notifications.recentMessages(limit);
  }

  /**
   * A rule's fields from what was sent, refusing a rule that could match nothing: an
   * escalation without its list (or a list without its delay), or carriers that do not exist.
   */
  private async fields(dto: CreateNotificationRuleDto): Promise<RuleFields> {
    if (dto.escalateAfter && !dto.escalateTo?.length) {
      throw fieldError('escalateTo', 'is required with escalateAfter: who is told?');
    }
    if (dto.escalateTo?.length && !dto.escalateAfter) {
      throw fieldError('escalateAfter', 'is required with escalateTo: after how long?');
    }
    const carrierIds = dto.match?.carrierIds ?? [];
    const known = await this.notifications.carriersExist(carrierIds);
    const unknown = carrierIds.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw fieldError(
        'match.carrierIds',
        `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a carrier' : 'are not carriers'}: the rule would match nothing`,
      );
    }
    return {
      name: dto.name,
      recipients: dto.to.map((a) => a.trim()),
      kinds: dto.kinds,
      countries: dto.match?.countries ?? [],
      priorities: dto.match?.priorities ?? [],
      carrier_ids: carrierIds,
      escalate_after: dto.escalateAfter ?? null,
      escalate_after_seconds: dto.escalateAfter ? durationSeconds(dto.escalateAfter)! : null,
      escalate_to: dto.escalateTo ?? [],
      digest_at: dto.digestAt ?? null,
      notify_resolved: dto.notifyResolved ?? true,
    };
  }

  /** A digest whose time already passed today starts tomorrow, not the moment it is written. */
  private digestDoneOn(digestAt: string | null): string | null {
    if (!digestAt) return null;
    const now = this.clock.now().toISOString();
    return now.slice(11, 16) >= digestAt ? now.slice(0, 10) : null;
  }
}
