import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';

export interface CarrierRow {
  id: string;
  code: string;
  name: string;
  kind: string;
  modes: string[];
  contact: { name?: string; email?: string; phone?: string } | null;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface CarrierFilter {
  kind?: string;
  mode?: string;
  active?: boolean;
  /** A carrier key sees only its own carrier. */
  onlyId?: string;
}

@Injectable()
export class CarriersRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    c: Omit<CarrierRow, 'id' | 'created_at' | 'updated_at' | 'version'>,
    by: string,
  ): Promise<CarrierRow | undefined> {
    const rows: CarrierRow[] = await this.dataSource.query(
      `INSERT INTO carriers (code, name, kind, modes, contact, active, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (code) DO NOTHING RETURNING *`,
      [c.code, c.name, c.kind, c.modes, c.contact ? JSON.stringify(c.contact) : null, c.active, by],
    );
    return rows[0];
  }

  /** Updates the carrier if it is still at `version`; undefined if it changed meanwhile. */
  async update(
    id: string,
    version: number,
    patch: Partial<Pick<CarrierRow, 'name' | 'modes' | 'contact' | 'active'>>,
    by: string,
  ): Promise<CarrierRow | undefined> {
    const rows = await returning<CarrierRow>(
      this.dataSource,
      `UPDATE carriers SET
         name = coalesce($2, name), modes = coalesce($3, modes), contact = coalesce($4, contact),
         active = coalesce($5, active), updated_at = date_trunc('milliseconds', now()), updated_by = $6,
         version = version + 1
       WHERE id = $1 AND version = $7 RETURNING *`,
      [
        id,
        patch.name ?? null,
        patch.modes ?? null,
        patch.contact ? JSON.stringify(patch.contact) : null,
        patch.active ?? null,
        by,
        version,
      ],
    );
    return rows[0];
  }

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CarrierRow | undefined> {
    const rows: CarrierRow[] = await manager.query(`SELECT * FROM carriers WHERE id = $1`, [id]);
    return rows[0];
  }

  list(limit: number, filter: CarrierFilter, after?: string): Promise<CarrierRow[]> {
    return this.dataSource.query(
      `SELECT * FROM carriers
        WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR $2 = ANY(modes))
          AND ($3::boolean IS NULL OR active = $3) AND ($4::uuid IS NULL OR id = $4)
          AND ($5::text IS NULL OR code > $5)
        ORDER BY code LIMIT $6`,
      [
        filter.kind ?? null,
        filter.mode ?? null,
        filter.active ?? null,
        filter.onlyId ?? null,
        after ?? null,
        limit,
      ],
    );
  }
}
