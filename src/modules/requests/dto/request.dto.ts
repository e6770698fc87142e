import { ClockResponseDto } from '../../sla/dto/sla-clock.dto';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import {
  PRIORITIES,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  type Priority,
  type RequestKind,
  type RequestStatus,
} from '../../../common/vocabulary/request-vocabulary';

export const MAX_QUANTITY = 1_000_000_000;

export class RequestLineInputDto {
  /** @example "MASK-N95" */
  @IsString()
  @Length(1, 40)
  itemCode: string;

  /** @example 200000 */
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;
}

export class CreateRequestDto {
  /** ISO 3166-1 alpha-2. @example "AF" */
  @Matches(/^[A-Z]{2}$/, { message: 'recipientCountry must be an ISO 3166-1 alpha-2 code' })
  recipientCountry: string;

  /** @example "Ministry of Public Health" */
  @IsString()
  @Length(1, 200)
  organisation: string;

  /** UN/LOCODE or IATA code in the recipient country. @example "AFKBL" */
  @IsString()
  @Length(3, 5)
  destination: string;

  @ApiProperty({ enum: PRIORITIES, example: 'urgent' })
  @IsIn(PRIORITIES)
  priority: Priority;

  @ApiProperty({ enum: REQUEST_KINDS, example: 'donation' })
  @IsIn(REQUEST_KINDS)
  kind: RequestKind;

  /** When the request was received: the 96-hour clock starts here. Defaults to now. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  receivedAt?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  neededBy?: Date;

  /** What the requester wrote beside the request. */
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  notes?: string;

  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => RequestLineInputDto)
  lines: RequestLineInputDto[];
}

export class DecisionDto {
  /** Why (required to reject or cancel). @example "Duplicate of REQ-2020-000041" */
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  reason?: string;
}

export class ListRequestsDto extends PageQueryDto {
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country?: string;

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  receivedFrom?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  receivedTo?: Date;
}

export class RequestLineResponseDto {
  id: string;
  lineNo: number;
  itemCode: string;
  itemName: string;
  quantity: number;
  /** Allocated by live orders. */
  allocated: number;
  dispatched: number;
  delivered: number;
}

export class RequestResponseDto {
  id: string;
  /** @example "REQ-2020-000042" */
  reference: string;
  recipientCountry: string;
  organisation: string;
  destination: string;
  @ApiProperty({ enum: PRIORITIES })
  priority: string;
  @ApiProperty({ enum: REQUEST_KINDS })
  kind: string;
  @ApiProperty({ enum: REQUEST_STATUSES })
  status: string;
  receivedAt: string;
  neededBy: string | null;
  notes: string | null;
  /** When the first goods of this request left their origin (stops the 96-hour clock). */
  firstDispatchAt: string | null;
  deliveredAt: string | null;
  decisionReason: string | null;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  lines: RequestLineResponseDto[];
  /** Its SLA clocks (request to first dispatch, request to delivery) with their figures now. */
  @ApiProperty({ type: [ClockResponseDto] })
  slaClocks: ClockResponseDto[];
}

export class RequestPageDto {
  data: RequestResponseDto[];
  nextCursor: string | null;
}
