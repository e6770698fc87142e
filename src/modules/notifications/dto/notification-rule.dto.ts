import { ApiProperty, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { isValid as isCountryCode } from 'i18n-iso-countries';
import { PageQueryDto } from '../../../common/http/pagination';
import { ALERT_KINDS, type AlertKind } from '../../../common/vocabulary/alert-vocabulary';
import { PRIORITIES, type Priority } from '../../../common/vocabulary/request-vocabulary';
import { durationSeconds } from '../iso-duration';
import {
  MESSAGE_PURPOSES,
  MESSAGE_STATES,
  type MessageState,
  NOTIFICATION_CHANNELS,
  type NotificationChannel,
} from '../notification-vocabulary';
import type { AttemptRow, MessageRow, RuleRow } from '../notifications.repository';

const MAX_ADDRESSES = 50;

/** Which alerts a rule is about, beyond their kinds; an empty or absent list means all. */
export class RuleMatchDto {
  /** ISO 3166-1 alpha-2 codes of the receiving countries. @example ["SO", "TD"] */
  @IsOptional()
  @ArrayMaxSize(250)
  @ArrayUnique()
  @ValidateBy(
    {
      name: 'isCountryCode',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && /^[A-Z]{2}$/.test(value) && isCountryCode(value),
        defaultMessage: (args) =>
          `countries must be ISO 3166-1 alpha-2 codes: ${JSON.stringify(args?.value)} is not one`,
      },
    },
    { each: true },
  )
  countries?: string[];

  @ApiProperty({ enum: PRIORITIES, isArray: true, required: false })
  @IsOptional()
  @ArrayMaxSize(PRIORITIES.length)
  @ArrayUnique()
  @IsIn(PRIORITIES, { each: true })
  priorities?: Priority[];

  /** Carriers' ids. */
  @IsOptional()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  carrierIds?: string[];
}

export class CreateNotificationRuleDto {
  /** @example "Sahel desk: breaches" */
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: NOTIFICATION_CHANNELS, example: 'email' })
  @IsIn(NOTIFICATION_CHANNELS)
  channel: NotificationChannel;

  /** Who receives each alert: one message per address. @example ["duty@example.org"] */
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ADDRESSES)
  @ArrayUnique()
  @IsEmail({}, { each: true, message: 'to must hold email addresses' })
  to: string[];

  @ApiProperty({ enum: ALERT_KINDS, isArray: true, example: ['sla_breach'] })
  @ArrayMinSize(1)
  @ArrayMaxSize(ALERT_KINDS.length)
  @ArrayUnique()
  @IsIn(ALERT_KINDS, { each: true })
  kinds: AlertKind[];

  @IsOptional()
  @ValidateNested()
  @Type(() => RuleMatchDto)
  match?: RuleMatchDto;

  /**
   * An alert still unacknowledged this long after it was raised goes once to `escalateTo`
   * (ISO 8601: weeks, days, hours, minutes, seconds). @example "PT2H"
   */
  @IsOptional()
  @ValidateBy({
    name: 'isFixedDuration',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.length <= 40 && durationSeconds(value) !== undefined,
      defaultMessage: () =>
        'escalateAfter must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. PT2H',
    },
  })
  escalateAfter?: string;

  /** Who is told when nobody acknowledged in time. @example ["head-of-cell@example.org"] */
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ADDRESSES)
  @ArrayUnique()
  @IsEmail({}, { each: true, message: 'escalateTo must hold email addresses' })
  escalateTo?: string[];

  /** A daily digest of the rule's scope at this time, UTC ("HH:MM"). @example "07:00" */
  @IsOptional()
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'digestAt must be HH:MM (UTC)' })
  digestAt?: string;

  /** Also tell the recipients, in the same thread, when the alert is resolved (default true). */
  @IsOptional()
  @IsBoolean()
  notifyResolved?: boolean;
}

/** Any field of the rule; absent fields keep their value, `null` clears an optional one. */
export class UpdateNotificationRuleDto extends PartialType(CreateNotificationRuleDto) {}

export class ListMessagesDto extends PageQueryDto {
  @IsOptional()
  @IsIn(MESSAGE_STATES)
  state?: MessageState;
}

export class NotificationRuleResponseDto {
  id: string;
  name: string;
  @ApiProperty({ enum: NOTIFICATION_CHANNELS })
  channel: string;
  to: string[];
  @ApiProperty({ enum: ALERT_KINDS, isArray: true })
  kinds: string[];
  match: RuleMatchDto;
  escalateAfter: string | null;
  escalateTo: string[];
  digestAt: string | null;
  notifyResolved: boolean;
  /** The last message that failed for good (a 5xx reply, or retries exhausted). */
  lastFailureAt: string | null;
  lastFailure: string | null;
  /** Also in the ETag header; send it as If-Match to PATCH. */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export class NotificationRulePageDto {
  data: NotificationRuleResponseDto[];
  nextCursor: string | null;
}

export class NotificationAttemptDto {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** The SMTP server's reply code; null when it did not answer. */
  smtpCode: number | null;
  error: string | null;
}

export class NotificationMessageDto {
  id: string;
  ruleId: string;
  alertId: string | null;
  @ApiProperty({ enum: MESSAGE_PURPOSES })
  purpose: string;
  digestOn: string | null;
  recipient: string;
  /** The RFC 5322 Message-ID every attempt sends. */
  messageId: string;
  inReplyTo: string | null;
  subject: string;
  @ApiProperty({ enum: MESSAGE_STATES })
  state: string;
  /** When it may go: at once, or an escalation's instant. */
  dueAt: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  /** The SMTP server's reply when it accepted the message. */
  smtpResponse: string | null;
  sentAt: string | null;
  createdAt: string;
  /** Every attempt, oldest first. */
  attempts: NotificationAttemptDto[];
}

export class NotificationMessagePageDto {
  data: NotificationMessageDto[];
  nextCursor: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function mapRule(row: RuleRow): NotificationRuleResponseDto {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    to: row.recipients,
    kinds: row.kinds,
    match: {
      countries: row.countries,
      priorities: row.priorities as Priority[],
      carrierIds: row.carrier_ids,
    },
    escalateAfter: row.escalate_after,
    escalateTo: row.escalate_to,
    digestAt: row.digest_at,
    notifyResolved: row.notify_resolved,
    lastFailureAt: iso(row.last_failure_at),
    lastFailure: row.last_failure,
    version: row.version,
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
    updatedAt: iso(row.updated_at)!,
  };
}

export function mapAttempt(row: AttemptRow): NotificationAttemptDto {
  return {
    attempt: row.attempt,
    startedAt: iso(row.started_at)!,
    durationMs: row.duration_ms,
    smtpCode: row.smtp_code,
    error: row.error,
  };
}

export function mapMessage(row: MessageRow, attempts: AttemptRow[]): NotificationMessageDto {
  return {
    id: row.id,
    ruleId: row.rule_id,
    alertId: row.alert_id,
    purpose: row.purpose,
    digestOn: row.digest_on,
    recipient: row.recipient,
    messageId: row.message_id,
    inReplyTo: row.in_reply_to,
    subject: row.subject,
    state: row.state,
    dueAt: iso(row.due_at)!,
    attemptCount: row.attempts,
    nextAttemptAt: row.state === 'pending' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    smtpResponse: row.smtp_response,
    sentAt: iso(row.sent_at),
    createdAt: iso(row.created_at)!,
    attempts: attempts.map(mapAttempt),
  };
}
