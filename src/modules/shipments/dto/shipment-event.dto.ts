import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsDate,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_QUANTITY } from '../../requests/dto/request.dto';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '../shipment-status';
import {
  EXCEPTION_REASONS,
  type ExceptionReason,
  statusMappingTable,
} from '../shipment-vocabulary';

export class ProofOfDeliveryLineDto {
  @IsUUID()
  shipmentItemId: string;

  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  receivedGood: number;

  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  damaged: number;

  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  missing: number;
}

export class ProofOfDeliveryDto {
  /** @example "Dr. A. Rahimi, central medical store" */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  receivedBy?: string;

  /** One line per shipment item; the three counts add up to its quantity. */
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ProofOfDeliveryLineDto)
  lines: ProofOfDeliveryLineDto[];
}

/** The facts of one status event, as a client reports them. */
export class ShipmentEventFieldsDto {
  @ApiProperty({
    enum: SHIPMENT_STATUSES,
    example: 'dispatched',
    description:
      'Lifeline status. Mapping to AfterShip / FHIR SupplyDelivery / GS1 EPCIS business step:\n\n' +
      '| status | AfterShip | FHIR | EPCIS |\n|---|---|---|---|\n' +
      statusMappingTable(),
  })
  @IsIn(SHIPMENT_STATUSES)
  status: ShipmentStatus;

  /** When it happened (may be in the past, not in the future). */
  @Type(() => Date)
  @IsDate()
  occurredAt: Date;

  /** UN/LOCODE or IATA code where it happened. @example "CNCAN" */
  @IsOptional()
  @IsString()
  @Length(3, 5)
  location?: string;

  @ApiProperty({ enum: EXCEPTION_REASONS, required: false })
  @IsOptional()
  @IsIn(EXCEPTION_REASONS)
  exceptionReason?: ExceptionReason;

  /** Sensor reading for cold-chain goods, in °C, kept to two decimals. @example 5.5 */
  @IsOptional()
  // No maxDecimalPlaces: class-validator 0.15 throws on numbers written with an exponent (5e-324).
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-100)
  @Max(100)
  temperatureC?: number;

  @IsOptional()
  @IsString()
  @Length(0, 2000)
  notes?: string;
}

export class CreateShipmentEventDto extends ShipmentEventFieldsDto {
  /** Only with `delivered`: what arrived in good condition, damaged and missing. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ProofOfDeliveryDto)
  proofOfDelivery?: ProofOfDeliveryDto;
}

export class VoidEventDto {
  /** Why the event was a mistake. @example "Scanned the wrong pallet" */
  @IsString()
  @Length(1, 1000)
  reason: string;
}

export class BatchEventDto extends ShipmentEventFieldsDto {
  /** The shipment, by id ... */
  @IsOptional()
  @IsUUID()
  shipmentId?: string;

  /** ... or by its tracking reference (with carrierCode for non-carrier keys if ambiguous). */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  trackingReference?: string;

  @IsOptional()
  @IsString()
  @Length(2, 10)
  carrierCode?: string;
}

export const MAX_BATCH_EVENTS = 10_000;

export class CreateEventBatchDto {
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_EVENTS)
  @ValidateNested({ each: true })
  @Type(() => BatchEventDto)
  events: BatchEventDto[];
}

export class ShipmentRefDto {
  id: string;
  status: string;
  version: number;
}

export class ShipmentEventResponseDto {
  id: string;
  shipmentId: string;
  @ApiProperty({ enum: SHIPMENT_STATUSES })
  status: string;
  occurredAt: string;
  recordedAt: string;
  /** The API key that recorded it. */
  recordedBy: string;
  /** Whether it moved (or confirmed) the shipment's status when it arrived. */
  applied: boolean;
  @ApiProperty({ enum: ['applied', 'late', 'conflicting', 'duplicate'] })
  outcome: string;
  location: string | null;
  exceptionReason: string | null;
  temperatureC: number | null;
  notes: string | null;
  voidedAt: string | null;
  voidedBy: string | null;
  voidReason: string | null;
  shipment?: ShipmentRefDto;
}

export class EventBatchAcceptedDto {
  id: string;
  status: string;
  total: number;
}

export class RejectedBatchEventDto {
  index: number;
  reason: string;
}

export class EventBatchResponseDto {
  id: string;
  @ApiProperty({ enum: ['processing', 'completed'] })
  status: string;
  total: number;
  applied: number;
  late: number;
  duplicate: number;
  conflicting: number;
  rejected: number;
  pending: number;
  submittedAt: string;
  completedAt: string | null;
  /** Up to 1000 rejected events, by their index in the batch. */
  rejections: RejectedBatchEventDto[];
}
