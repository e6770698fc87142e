import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import {
  CLOCK_STATES,
  type ClockState,
  clockFigures,
  SLA_METRICS,
  type SlaMetric,
} from '../sla-clock';
import { type ClockRow, toTimes } from '../sla-clocks.repository';

export class ListClocksDto extends PageQueryDto {
  /** `at_risk` and `breaching` are open clocks past their warning or deadline now. */
  @IsOptional()
  @IsIn(CLOCK_STATES)
  state?: ClockState;

  @IsOptional()
  @IsIn(SLA_METRICS)
  metric?: SlaMetric;

  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country?: string;

  @IsOptional()
  @IsUUID()
  carrierId?: string;

  /** A request's or a shipment's id. */
  @IsOptional()
  @IsUUID()
  subjectId?: string;

  /** Open clocks whose deadline falls before this instant. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  dueBefore?: Date;
}

export class ClockResponseDto {
  id!: string;
  @ApiProperty({ enum: SLA_METRICS })
  metric!: SlaMetric;
  @ApiProperty({ enum: ['request', 'shipment'] })
  subjectType!: 'request' | 'shipment';
  subjectId!: string;
  subjectReference!: string;
  policyId!: string;
  @ApiProperty({ enum: CLOCK_STATES })
  state!: ClockState;
  country!: string | null;
  priority!: string | null;
  mode!: string | null;
  carrierId!: string | null;
  /** The target the clock started with (a policy change applies to new clocks). */
  targetSeconds!: number;
  warningRatio!: number;
  startedAt!: Date;
  /** When it turns at risk and when it breaches (open and running clocks only). */
  warnAt!: Date | null;
  dueAt!: Date | null;
  pausedAt!: Date | null;
  pausedSeconds!: number;
  stoppedAt!: Date | null;
  /** Clock time used so far (or in all, once stopped), holds excluded. */
  elapsedSeconds!: number;
  /** Time left before the deadline; negative once past it. */
  remainingSeconds!: number;
  /** Elapsed as a share of the target (1 = the deadline). */
  shareUsed!: number;
  /** How late it stopped (breached clocks). */
  latenessSeconds!: number | null;
}

export class ClockPageDto {
  @ApiProperty({ type: [ClockResponseDto] })
  data!: ClockResponseDto[];
  nextCursor!: string | null;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export function mapClock(row: ClockRow, now: Date): ClockResponseDto {
  const times = toTimes(row);
  const figures = clockFigures(times, now);
  return {
    id: row.id,
    metric: row.metric,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    subjectReference: row.subject_reference,
    policyId: row.policy_id,
    state: figures.state,
    country: row.country,
    priority: row.priority,
    mode: row.mode,
    carrierId: row.carrier_id,
    targetSeconds: seconds(times.targetMs),
    warningRatio: times.warningRatio,
    startedAt: row.started_at,
    warnAt: row.warn_at,
    dueAt: row.due_at,
    pausedAt: row.paused_at,
    pausedSeconds: seconds(times.pausedMs),
    stoppedAt: row.stopped_at,
    elapsedSeconds: seconds(figures.elapsedMs),
    remainingSeconds: seconds(figures.remainingMs),
    shareUsed: figures.shareUsed,
    latenessSeconds: times.latenessMs === null ? null : seconds(times.latenessMs),
  };
}
