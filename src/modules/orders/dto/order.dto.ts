import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { MAX_QUANTITY } from '../../requests/dto/request.dto';

export const ORDER_STATUSES = [
  'draft',
  'confirmed',
  'ready',
  'dispatched',
  'delivered',
  'cancelled',
] as const;

export class OrderLineInputDto {
  @IsUUID()
  requestLineId: string;

  /** @example 100000 */
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;
}

export class CreateOrderDto {
  @IsUUID()
  requestId: string;

  /** Warehouse or manufacturer the goods come from. @example "Central warehouse" */
  @IsString()
  @Length(1, 200)
  source: string;

  /** Allow lines beyond what the request still needs (e.g. buffer stock). */
  @IsOptional()
  @IsBoolean()
  allowOverAllocation?: boolean;

  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => OrderLineInputDto)
  lines: OrderLineInputDto[];
}

export class ListOrdersDto extends PageQueryDto {
  @IsOptional()
  @IsUUID()
  requestId?: string;

  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: (typeof ORDER_STATUSES)[number];
}

export class OrderLineResponseDto {
  id: string;
  requestLineId: string;
  itemCode: string;
  quantity: number;
  /** On shipments that are not cancelled. */
  shipped: number;
  dispatched: number;
  delivered: number;
}

export class OrderResponseDto {
  id: string;
  /** @example "ORD-000042" */
  reference: string;
  requestId: string;
  source: string;
  @ApiProperty({ enum: ORDER_STATUSES })
  status: string;
  allowOverAllocation: boolean;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  lines: OrderLineResponseDto[];
}

export class OrderPageDto {
  data: OrderResponseDto[];
  nextCursor: string | null;
}
