import { ApiProperty, PartialType, PickType } from '@nestjs/swagger';
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
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import {
  CARRIER_KINDS,
  TRANSPORT_MODES,
  type CarrierKind,
  type TransportMode,
} from '../../../common/vocabulary/carrier-vocabulary';
import type { CarrierRow } from '../carriers.repository';

export class CarrierContactDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @IsOptional()
  @IsEmail()
  email?: string;

  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{5,30}$/, { message: 'phone must be a phone number' })
  phone?: string;
}

export class CreateCarrierDto {
  /** @example "Silk Road Charter" */
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: CARRIER_KINDS, example: 'charter_operator' })
  @IsIn(CARRIER_KINDS)
  kind: CarrierKind;

  @ApiProperty({ enum: TRANSPORT_MODES, isArray: true, example: ['air_charter'] })
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsIn(TRANSPORT_MODES, { each: true })
  modes: TransportMode[];

  /** Short unique code. @example "SRC" */
  @Matches(/^[A-Z0-9]{2,10}$/, { message: 'code must be 2-10 upper-case letters or digits' })
  code: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => CarrierContactDto)
  contact?: CarrierContactDto;

  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UpdateCarrierDto extends PartialType(
  PickType(CreateCarrierDto, ['name', 'modes', 'contact', 'active'] as const),
) {}

export class ListCarriersDto extends PageQueryDto {
  @IsOptional()
  @IsIn(CARRIER_KINDS)
  kind?: CarrierKind;

  @IsOptional()
  @IsIn(TRANSPORT_MODES)
  mode?: TransportMode;

  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}

export class CarrierResponseDto {
  id: string;
  name: string;
  @ApiProperty({ enum: CARRIER_KINDS })
  kind: string;
  @ApiProperty({ enum: TRANSPORT_MODES, isArray: true })
  modes: string[];
  code: string;
  contact: CarrierContactDto | null;
  active: boolean;
  /** Also in the ETag header; send it as If-Match to PATCH. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export class CarrierPageDto {
  data: CarrierResponseDto[];
  nextCursor: string | null;
}

export function mapCarrier(row: CarrierRow): CarrierResponseDto {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    modes: row.modes,
    code: row.code,
    contact: row.contact,
    active: row.active,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
