import { ApiProperty, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { TRANSPORT_MODES } from '../../../common/vocabulary/carrier-vocabulary';
import { PRIORITIES } from '../../../common/vocabulary/request-vocabulary';
import { SLA_METRICS, type SlaMetric } from '../sla-clock';
import type { PolicyRow } from '../sla-policies.repository';

/** Which requests or shipments a policy covers; a field left out matches everything. */
export class PolicyMatchDto {
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @ArrayUnique()
  @IsIn(PRIORITIES, { each: true })
  @ApiProperty({ enum: PRIORITIES, isArray: true, required: false })
  priority?: string[];

  /** Recipient countries (ISO 3166-1 alpha-2). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(250)
  @ArrayUnique()
  @Matches(/^[A-Z]{2}$/, { each: true, message: 'each country must be an ISO 3166-1 alpha-2 code' })
  country?: string[];

  /** Transport modes: shipment metrics (dispatch_to_delivery) only. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsIn(TRANSPORT_MODES, { each: true })
  @ApiProperty({ enum: TRANSPORT_MODES, isArray: true, required: false })
  mode?: string[];
}

export class CreatePolicyDto {
  /** @example "Stat requests: 48 h to first dispatch" */
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: SLA_METRICS, example: 'request_to_first_dispatch' })
  @IsIn(SLA_METRICS)
  metric: SlaMetric;

  /** ISO 8601 duration in weeks, days, hours, minutes or seconds. @example "PT96H" */
  @IsString()
  @Length(2, 40)
  target: string;

  /** Share of the target after which the clock is at risk and a warning fires (1: no warning). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(1)
  warningRatio?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => PolicyMatchDto)
  match?: PolicyMatchDto;
}

export class UpdatePolicyDto extends PartialType(
  PickType(CreatePolicyDto, ['name', 'target', 'warningRatio', 'match'] as const),
) {}

export class ListPoliciesDto extends PageQueryDto {
  @IsOptional()
  @IsIn(SLA_METRICS)
  metric?: SlaMetric;
}

export class PolicyMatchResponseDto {
  priority!: string[] | null;
  country!: string[] | null;
  mode!: string[] | null;
}

export class PolicyResponseDto {
  id!: string;
  name!: string;
  @ApiProperty({ enum: SLA_METRICS })
  metric!: SlaMetric;
  target!: string;
  targetSeconds!: number;
  warningRatio!: number;
  match!: PolicyMatchResponseDto;
  /** How many match fields it sets: the most specific matching policy applies. */
  specificity!: number;
  version!: number;
  createdAt!: Date;
  createdBy!: string;
  updatedAt!: Date;
}

export class PolicyPageDto {
  @ApiProperty({ type: [PolicyResponseDto] })
  data!: PolicyResponseDto[];
  nextCursor!: string | null;
}

export function mapPolicy(row: PolicyRow): PolicyResponseDto {
  return {
    id: row.id,
    name: row.name,
    metric: row.metric,
    target: row.target,
    targetSeconds: Number(row.target_ms) / 1000,
    warningRatio: Number(row.warning_ratio),
    match: { priority: row.match_priority, country: row.match_country, mode: row.match_mode },
    specificity: row.specificity,
    version: row.version,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}
