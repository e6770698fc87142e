import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface ItemRow {
  id: string;
  code: string;
  name: string;
  category: string;
  unit: string;
  cold_chain: boolean;
  min_shelf_life_days: number;
  created_at: Date;
}

@Injectable()
export class ItemsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    item: Omit<ItemRow, 'id' | 'created_at'>,
    createdBy: string,
  ): Promise<ItemRow | undefined> {
    const rows: ItemRow[] = await this.dataSource.query(
      `INSERT INTO items (code, name, category, unit, cold_chain, min_shelf_life_days, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING RETURNING *`,
      [
        item.code,
        item.name,
        item.category,
        item.unit,
        item.cold_chain,
        item.min_shelf_life_days,
        createdBy,
      ],
    );
    return rows[0];
  }

  /** Every item's code and name: the catalogue an import matches its rows against. */
  catalogue(): Promise<{ code: string; name: string }[]> {
    return this.dataSource.query(`SELECT code, name FROM items ORDER BY code`);
  }

  async findByCode(code: string): Promise<ItemRow | undefined> {
    const rows: ItemRow[] = await this.dataSource.query(`SELECT * FROM items WHERE code = $1`, [
      code,
    ]);
    return rows[0];
  }

  async findByCodes(manager: EntityManager, codes: string[]): Promise<ItemRow[]> {
    return manager.query(`SELECT * FROM items WHERE code = ANY($1::text[])`, [codes]);
  }

  list(limit: number, category?: string, after?: string): Promise<ItemRow[]> {
    return this.dataSource.query(
      `SELECT * FROM items WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR code > $2)
        ORDER BY code LIMIT $3`,
      [category ?? null, after ?? null, limit],
    );
  }
}
