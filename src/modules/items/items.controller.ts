import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateItemDto } from './dto/create-item.dto';
import { ItemPageDto, ItemResponseDto, mapItem } from './dto/item-response.dto';
import { ListItemsDto } from './dto/list-items.dto';
import { ItemsService } from './items.service';

@ApiTags('items')
@Controller('items')
@ApiValidationResponses()
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  /** Adds an item to the catalogue. */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: ItemResponseDto })
  @ApiConflictResponse({ description: 'The code is taken', type: ProblemDto })
  async create(
    @Body() dto: CreateItemDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ItemResponseDto> {
    return mapItem(await this.items.create(dto, principal));
  }

  /** The catalogue, by code. */
  @Get()
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: ItemPageDto })
  async list(@Query() query: ListItemsDto): Promise<ItemPageDto> {
    const page = await this.items.list(query.limit, query.category, query.cursor);
    return { data: page.data.map(mapItem), nextCursor: page.nextCursor };
  }

  @Get(':code')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: ItemResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('code') code: string): Promise<ItemResponseDto> {
    return mapItem(await this.items.get(code));
  }
}
