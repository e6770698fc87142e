import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  ALERT_STATES,
  type AlertKind,
  type AlertSeverity,
  type AlertState,
} from '../../../common/vocabulary/alert-vocabulary';
import type { AlertRow } from '../alerts.repository';

export class AlertFilterDto {
  @IsOptional()
  @IsIn(ALERT_KINDS)
  kind?: AlertKind;

  @IsOptional()
  @IsIn(ALERT_STATES)
  state?: AlertState;

  /** Recipient country (ISO 3166-1 alpha-2). */
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country?: string;

  @IsOptional()
  @IsUUID()
  carrierId?: string;

  @IsOptional()
  @IsUUID()
  shipmentId?: string;

  @IsOptional()
  @IsUUID()
  requestId?: string;
}

export class ListAlertsDto extends IntersectionType(PageQueryDto, AlertFilterDto) {}

export class AcknowledgeAlertDto {
  /** What the operator is doing about it. */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class AlertResponseDto {
  id!: string;
  @ApiProperty({ enum: ALERT_KINDS })
  kind!: AlertKind;
  @ApiProperty({ enum: ALERT_STATES })
  state!: AlertState;
  @ApiProperty({ enum: ALERT_SEVERITIES })
  severity!: AlertSeverity;
  /** The reference of the request or shipment it is about. */
  reference!: string;
  title!: string;
  /** Kind-specific facts: the deadline and target of an SLA alert, a reading, a reason. */
  details!: Record<string, unknown>;
  clockId!: string | null;
  requestId!: string | null;
  shipmentId!: string | null;
  eventId!: string | null;
  country!: string | null;
  carrierId!: string | null;
  /** When the cause happened: the deadline passed, the event occurred. */
  causeAt!: Date;
  /** When Lifeline stored the alert. */
  raisedAt!: Date;
  acknowledgedAt!: Date | null;
  acknowledgedBy!: string | null;
  acknowledgementNote!: string | null;
  resolvedAt!: Date | null;
  /** Why it was resolved (the clock stopped, tracking resumed, the event was voided). */
  resolution!: string | null;
}

export class AlertPageDto {
  @ApiProperty({ type: [AlertResponseDto] })
  data!: AlertResponseDto[];
  nextCursor!: string | null;
}

export function mapAlert(row: AlertRow): AlertResponseDto {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    severity: row.severity,
    reference: row.reference,
    title: row.title,
    details: row.details,
    clockId: row.clock_id,
    requestId: row.request_id,
    shipmentId: row.shipment_id,
    eventId: row.event_id,
    country: row.country,
    carrierId: row.carrier_id,
    causeAt: row.cause_at,
    raisedAt: row.raised_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    acknowledgementNote: row.acknowledgement_note,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
  };
}
