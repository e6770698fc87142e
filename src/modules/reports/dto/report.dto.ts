import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsUUID, Matches, MaxDate, MinDate } from 'class-validator';
import { TRANSPORT_MODES } from '../../../common/vocabulary/carrier-vocabulary';
import { ITEM_CATEGORIES } from '../../items/item-vocabulary';
import { PRIORITIES } from '../../../common/vocabulary/request-vocabulary';
import {
  REMAINING_BUCKETS,
  REPORT_METRICS,
  type ReportMetric,
  TURNAROUND_GROUP_BYS,
  type TurnaroundGroupBy,
} from '../report-vocabulary';

const EARLIEST = new Date('1970-01-01T00:00:00Z');
const LATEST = new Date('2200-01-01T00:00:00Z');

/** The range every report takes, and its country filter. */
export class ReportRangeDto {
  /** Start of the range (inclusive): an ISO 8601 date or instant, UTC. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(EARLIEST)
  @MaxDate(LATEST)
  from?: Date;

  /** End of the range (exclusive). */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(EARLIEST)
  @MaxDate(LATEST)
  to?: Date;

  /** Recipient country (ISO 3166-1 alpha-2). */
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country?: string;
}

/** Filters on where goods go and what they are. */
export class ReportFilterDto extends ReportRangeDto {
  /** UN M49 region code (intermediate region or subregion, e.g. `011` Western Africa). */
  @IsOptional()
  @Matches(/^\d{3}$/, { message: 'region must be a three-digit UN M49 code' })
  region?: string;

  @IsOptional()
  @IsIn(ITEM_CATEGORIES)
  @ApiProperty({ enum: ITEM_CATEGORIES, required: false })
  category?: string;
}

/** Filters on how goods move: who carries them, how urgent, by what mode. */
class ReportCarriageDto {
  @IsOptional()
  @IsUUID()
  carrierId?: string;

  @IsOptional()
  @IsIn(PRIORITIES)
  @ApiProperty({ enum: PRIORITIES, required: false })
  priority?: string;

  @IsOptional()
  @IsIn(TRANSPORT_MODES)
  @ApiProperty({ enum: TRANSPORT_MODES, required: false })
  mode?: string;
}

export class TurnaroundQueryDto extends IntersectionType(ReportFilterDto, ReportCarriageDto) {
  @IsIn(REPORT_METRICS)
  @ApiProperty({ enum: REPORT_METRICS })
  metric!: ReportMetric;

  @IsIn(TURNAROUND_GROUP_BYS)
  @ApiProperty({ enum: TURNAROUND_GROUP_BYS })
  groupBy!: TurnaroundGroupBy;
}

export class ComplianceQueryDto extends IntersectionType(ReportRangeDto, ReportCarriageDto) {
  /** One metric only (default: all three). */
  @IsOptional()
  @IsIn(REPORT_METRICS)
  @ApiProperty({ enum: REPORT_METRICS, required: false })
  metric?: ReportMetric;
}

export class CoverageQueryDto extends ReportFilterDto {}

export class TurnaroundRowDto {
  /** The group: a country code, an M49 region code, a carrier id, a priority, a mode, a
   * category, an ISO week (`2020-W12`) or a month (`2020-03`); null when unknown. */
  key!: string | null;
  /** A readable name for the key (country and region names, carrier name). */
  label!: string;
  count!: number;
  meanHours!: number;
  /** Exact: as PostgreSQL's percentile_cont over the group's values in hours. */
  p50Hours!: number;
  p90Hours!: number;
  p95Hours!: number;
  maxHours!: number;
  /** Met / (met + breached) among the values whose SLA clock stopped; null without any. */
  withinSlaShare!: number | null;
}

export class TurnaroundReportDto {
  @ApiProperty({ enum: REPORT_METRICS })
  metric!: ReportMetric;
  @ApiProperty({ enum: TURNAROUND_GROUP_BYS })
  groupBy!: TurnaroundGroupBy;
  from!: Date | null;
  to!: Date | null;
  @ApiProperty({ type: [TurnaroundRowDto] })
  rows!: TurnaroundRowDto[];
}

export class RemainingBucketDto {
  @ApiProperty({ enum: REMAINING_BUCKETS.map((b) => b.bucket) })
  bucket!: string;
  count!: number;
}

export class MetricComplianceDto {
  @ApiProperty({ enum: REPORT_METRICS })
  metric!: ReportMetric;
  /** Clocks stopped in time and late, started in the range. */
  met!: number;
  breached!: number;
  withinSlaShare!: number | null;
  /** Open clocks now: on track, past the warning threshold, past the deadline, on hold. */
  running!: number;
  atRisk!: number;
  breaching!: number;
  paused!: number;
  @ApiProperty({ type: [RemainingBucketDto] })
  openByRemaining!: RemainingBucketDto[];
}

export class ComplianceReportDto {
  from!: Date | null;
  to!: Date | null;
  /** The instant the open clocks were judged at. */
  asOf!: Date;
  @ApiProperty({ type: [MetricComplianceDto] })
  metrics!: MetricComplianceDto[];
}

export class CountryCoverageDto {
  country!: string;
  name!: string;
  region!: string | null;
  /** Requests received in the range. */
  requests!: number;
  requested!: number;
  dispatched!: number;
  delivered!: number;
  /** Whether any goods were delivered. */
  received!: boolean;
}

export class ItemCoverageDto {
  country!: string;
  itemCode!: string;
  itemName!: string;
  category!: string;
  requested!: number;
  dispatched!: number;
  delivered!: number;
}

export class CoverageReportDto {
  from!: Date | null;
  to!: Date | null;
  countriesAsked!: number;
  countriesReceived!: number;
  /** Share of the countries that asked which received goods. */
  receivedShare!: number | null;
  @ApiProperty({ type: [CountryCoverageDto] })
  countries!: CountryCoverageDto[];
  @ApiProperty({ type: [ItemCoverageDto] })
  items!: ItemCoverageDto[];
}
