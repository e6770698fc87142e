import { ApiProperty, PickType } from '@nestjs/swagger';
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
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { TRANSPORT_MODES, type TransportMode } from '../../../common/vocabulary/carrier-vocabulary';
import { MAX_QUANTITY } from '../../requests/dto/request.dto';
import { SHIPMENT_STATUSES } from '../shipment-status';

export class ShipmentItemInputDto {
  @IsUUID()
  orderLineId: string;

  /** @example 50000 */
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;

  /** Manufacturer's lot. @example "L2020-03" */
  @IsString()
  @Length(1, 64)
  lot: string;

  /** @example "2023-03-01" */
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'expiresOn must be a date (YYYY-MM-DD)' })
  expiresOn: string;
}

/** Planned, estimated and actual times of a leg end (the DCSA classifiers). */
export class LegTimesDto {
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  planned?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  estimated?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  actual?: Date;
}

export class LegInputDto {
  @ApiProperty({ enum: TRANSPORT_MODES })
  @IsIn(TRANSPORT_MODES)
  mode: TransportMode;

  /** Defaults to the shipment's carrier. */
  @IsOptional()
  @IsUUID()
  carrierId?: string;

  /** UN/LOCODE or IATA code. @example "CNCAN" */
  @IsString()
  @Length(3, 5)
  from: string;

  /** @example "AFKBL" */
  @IsString()
  @Length(3, 5)
  to: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => LegTimesDto)
  departure?: LegTimesDto;

  @IsOptional()
  @ValidateNested()
  @Type(() => LegTimesDto)
  arrival?: LegTimesDto;
}

/** ISO 4217 currency codes, as the runtime's ICU data (kept current with Node) knows them. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export class DeclaredValueDto {
  /** @example 48000 */
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1e13)
  amount: number;

  /** ISO 4217. @example "USD" */
  @ValidateBy({
    name: 'isCurrency',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && CURRENCIES.has(value),
      defaultMessage: (args) => `currency ${JSON.stringify(args?.value)} is not an ISO 4217 code`,
    },
  })
  currency: string;
}

export class CreateShipmentDto {
  @IsUUID()
  carrierId: string;

  @ApiProperty({ enum: TRANSPORT_MODES, example: 'air_charter' })
  @IsIn(TRANSPORT_MODES)
  mode: TransportMode;

  /** @example "CNCAN" */
  @IsString()
  @Length(3, 5)
  origin: string;

  /** @example "AFKBL" */
  @IsString()
  @Length(3, 5)
  destination: string;

  /** The carrier's own reference, unique per carrier. @example "SRC-0001" */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, {
    message: 'trackingReference must be 1-64 letters, digits, . _ / -',
  })
  trackingReference: string;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  plannedDepartureAt?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  estimatedArrivalAt?: Date;

  @IsOptional()
  @IsString()
  @Length(0, 2000)
  notes?: string;

  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ShipmentItemInputDto)
  items: ShipmentItemInputDto[];

  /** Packages (cartons, pallets) making up the shipment. @example 120 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  packages?: number;

  /** Each package's marks, when they are known (as many as packages at most). */
  @IsOptional()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  packageMarks?: string[];

  /** Gross weight in kilograms. @example 2350.5 */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(1e9)
  grossWeightKg?: number;

  /** Volume in cubic metres. @example 14.2 */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(1e9)
  volumeM3?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => DeclaredValueDto)
  declaredValue?: DeclaredValueDto;

  /** For multimodal routes, in order (a charter to a hub, then trucks). */
  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => LegInputDto)
  legs?: LegInputDto[];
}

/**
 * Planned fields a coordinator or operator may change (send If-Match). `plannedDepartureAt`
 * only before dispatch; `legs` replaces every leg.
 */
export class UpdateShipmentDto extends PickType(CreateShipmentDto, [
  'plannedDepartureAt',
  'estimatedArrivalAt',
  'notes',
  'legs',
] as const) {}

export class CancelShipmentDto {
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  reason?: string;
}

export class ListShipmentsDto extends PageQueryDto {
  @IsOptional()
  @IsIn(SHIPMENT_STATUSES)
  status?: string;

  @IsOptional()
  @IsUUID()
  carrierId?: string;

  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'destinationCountry must be an ISO 3166-1 alpha-2 code' })
  destinationCountry?: string;

  @IsOptional()
  @IsIn(TRANSPORT_MODES)
  mode?: string;

  @IsOptional()
  @IsUUID()
  requestId?: string;
}
