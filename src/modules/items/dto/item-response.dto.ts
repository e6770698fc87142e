import { ApiProperty } from '@nestjs/swagger';
import { ITEM_CATEGORIES, ITEM_UNITS } from '../item-vocabulary';
import type { ItemRow } from '../items.repository';

export class ItemResponseDto {
  id: string;
  /** @example "MASK-N95" */
  code: string;
  name: string;
  @ApiProperty({ enum: ITEM_CATEGORIES })
  category: string;
  @ApiProperty({ enum: ITEM_UNITS })
  unit: string;
  coldChain: boolean;
  minShelfLifeDays: number;
  createdAt: string;
}

export class ItemPageDto {
  data: ItemResponseDto[];
  nextCursor: string | null;
}

export function mapItem(row: ItemRow): ItemResponseDto {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    category: row.category,
    unit: row.unit,
    coldChain: row.cold_chain,
    minShelfLifeDays: row.min_shelf_life_days,
    createdAt: row.created_at.toISOString(),
  };
}
