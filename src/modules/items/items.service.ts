import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import type { CreateItemDto } from './dto/create-item.dto';
import { type ItemRow, ItemsRepository } from './items.repository';

@Injectable()
export class ItemsService {
  constructor(private readonly items: ItemsRepository) {}

  async create(dto: CreateItemDto, by: Principal): Promise<ItemRow> {
    const created = await this.items.insert(
      {
        code: dto.code,
        name: dto.name,
        category: dto.category,
        unit: dto.unit,
        cold_chain: dto.coldChain,
        min_shelf_life_days: dto.minShelfLifeDays ?? 180,
      },
      by.keyId,
    );
    if (!created)
      throw new DomainError('conflict', `An item with code ${dto.code} already exists.`);
    return created;
  }

  async get(code: string): Promise<ItemRow> {
    const item = await this.items.findByCode(code);
    if (!item) throw new DomainError('not_found', `Item ${code} does not exist.`);
    return item;
  }

  async list(limit: number, category?: string, cursor?: string): Promise<Page<ItemRow>> {
    const after = cursor ? decodeCursor(cursor, ['text'])[0] : undefined;
    const rows = await this.items.list(limit + 1, category, after);
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.code],
    );
  }
}
