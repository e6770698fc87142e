import { ApiProperty, PartialType, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  ValidateBy,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { isValidSecret } from '../webhook-signature';
import { MAX_URL_LENGTH, urlFormProblem } from '../webhook-target';
import {
  DELIVERY_STATES,
  type DeliveryState,
  SUBSCRIBABLE_EVENT_TYPES,
  type SubscribableEventType,
} from '../webhook-vocabulary';
import type { AttemptRow, DeliveryRow, SubscriptionRow } from '../webhooks.repository';

export class CreateWebhookDto {
  /**
   * Where to POST messages: http(s), no credentials. Private, loopback and link-local
   * addresses are refused. @example "https://alerts.example.org/lifeline"
   */
  @ApiProperty({ format: 'uri', maxLength: MAX_URL_LENGTH })
  @ValidateBy({
    name: 'isWebhookUrl',
    validator: {
      validate: (value) => typeof value === 'string' && urlFormProblem(value) === undefined,
      defaultMessage: (args) =>
        `url ${(typeof args?.value === 'string' && urlFormProblem(args.value)) || 'must be an absolute http(s) URL'}`,
    },
  })
  url: string;

  /**
   * The messages to receive. `alert.<kind>` when an alert of that kind is raised, and
   * `alert.resolved` when any ends. Lifecycle messages follow the goods:
   * `shipment.status_changed` (every applied status change, with `previousStatus` and
   * `status`), `shipment.delivered` (with the proof of delivery, when recorded),
   * `request.approved`, `request.fulfilled` (every line delivered; once per request). A
   * shipment's (or request's) lifecycle messages arrive in the order they happened: the next
   * waits while an earlier one is being retried. Alert messages go before lifecycle ones.
   */
  @ApiProperty({
    enum: SUBSCRIBABLE_EVENT_TYPES,
    isArray: true,
    example: ['alert.sla_breach', 'shipment.status_changed'],
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE_EVENT_TYPES, { each: true })
  events: SubscribableEventType[];

  /**
   * The signing secret: `whsec_` and the base64 of 24 to 64 random bytes. Generated when
   * absent; returned once, in the response to this request.
   */
  @IsOptional()
  @ValidateBy({
    name: 'isWebhookSecret',
    validator: {
      validate: (value) => typeof value === 'string' && isValidSecret(value),
      defaultMessage: () => 'secret must be whsec_ and the base64 of 24 to 64 bytes',
    },
  })
  secret?: string;

  /** @example "Duty officers on call" */
  @IsOptional()
  @IsString()
  @Length(1, 500)
  description?: string;
}

export class UpdateWebhookDto extends PartialType(
  PickType(CreateWebhookDto, ['url', 'events', 'description'] as const),
) {
  /** `true` turns a disabled subscription back on and clears its failures; `false` pauses it. */
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class ListDeliveriesDto extends PageQueryDto {
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;
}

export class WebhookResponseDto {
  id: string;
  url: string;
  @ApiProperty({ enum: SUBSCRIBABLE_EVENT_TYPES, isArray: true })
  events: string[];
  description: string | null;
  /** False once disabled, by hand or for failing (410 Gone, or a day of failures). */
  active: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  /** Failed attempts in a row, and since when; reset by a success. */
  consecutiveFailures: number;
  failingSince: string | null;
  /** Also in the ETag header; send it as If-Match to PATCH. */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export class CreatedWebhookResponseDto extends WebhookResponseDto {
  /** The signing secret, shown this once. @example "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" */
  secret: string;
}

export class WebhookPageDto {
  data: WebhookResponseDto[];
  nextCursor: string | null;
}

export class WebhookMessageDto {
  /** @example "shipment.status_changed" */
  type: string;
  /** When it happened: an alert's raising, a status event's occurredAt, an approval. */
  timestamp: string;
  /** An alert as GET /alerts/{id} shows it, or the shipment or request and what changed. */
  data: object;
}

export class WebhookDeliveryResponseDto {
  id: string;
  subscriptionId: string;
  alertId: string | null;
  /** @example "alert.sla_breach" */
  type: string;
  /** The body every attempt sends; `webhook-id` is `msg_` and this delivery's id. */
  payload: WebhookMessageDto;
  @ApiProperty({ enum: DELIVERY_STATES })
  state: string;
  attemptCount: number;
  /** When the next attempt is due, while pending. */
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export class WebhookAttemptDto {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** The receiver's status; null when it did not answer. */
  statusCode: number | null;
  error: string | null;
  /** The first 1000 characters of the response body. */
  responseExcerpt: string | null;
}

export class WebhookDeliveryDetailDto extends WebhookDeliveryResponseDto {
  /** Every attempt, oldest first. */
  attempts: WebhookAttemptDto[];
}

export class WebhookDeliveryPageDto {
  data: WebhookDeliveryResponseDto[];
  nextCursor: string | null;
}

/** Never the secret: that is shown once, on creation. */
export function mapWebhook(row: SubscriptionRow): WebhookResponseDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    active: row.active,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    disabledReason: row.disabled_reason,
    consecutiveFailures: row.consecutive_failures,
    failingSince: row.failing_since?.toISOString() ?? null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

export function mapDelivery(row: DeliveryRow): WebhookDeliveryResponseDto {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    alertId: row.alert_id,
    type: row.type,
    payload: {
      type: row.payload.type,
      timestamp: row.payload.timestamp,
      data: row.payload.data,
    },
    state: row.state,
    attemptCount: row.attempts,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

export function mapAttempt(row: AttemptRow): WebhookAttemptDto {
  return {
    attempt: row.attempt,
    startedAt: row.started_at.toISOString(),
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    responseExcerpt: row.response_excerpt,
  };
}
