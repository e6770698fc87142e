import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { ITEM_CATEGORIES, type ItemCategory } from '../item-vocabulary';

export class ListItemsDto extends PageQueryDto {
  @IsOptional()
  @IsIn(ITEM_CATEGORIES)
  category?: ItemCategory;
}
