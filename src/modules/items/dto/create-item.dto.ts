import { ApiProperty } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ITEM_CATEGORIES, ITEM_UNITS, type ItemCategory, type ItemUnit } from '../item-vocabulary';

export class CreateItemDto {
  /** Catalogue code, upper case. @example "MASK-N95" */
  @Matches(/^[A-Z0-9][A-Z0-9._-]{0,39}$/, {
    message: 'code must be 1-40 upper-case letters, digits, ., _ or -',
  })
  code: string;

  /** @example "N95 respirator" */
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ITEM_CATEGORIES, example: 'ppe' })
  @IsIn(ITEM_CATEGORIES)
  category: ItemCategory;

  @ApiProperty({ enum: ITEM_UNITS, example: 'piece' })
  @IsIn(ITEM_UNITS)
  unit: ItemUnit;

  /** Needs an unbroken cold chain (temperature readings are watched). */
  @IsBoolean()
  coldChain: boolean;

  /** Shipment lines expiring sooner than this after departure are flagged. @example 180 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3650)
  minShelfLifeDays?: number;
}
