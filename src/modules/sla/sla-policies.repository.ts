import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returning } from '../../common/db/returning';
import { ActivePolicyCache } from './active-policy-cache';
import type { SlaMetric } from './sla-clock';

export interface PolicyRow {
  id: string;
  name: string;
  metric: SlaMetric;
  target: string;
  target_ms: string;
  warning_ratio: string;
  match_priority: string[] | null;
  match_country: string[] | null;
  match_mode: string[] | null;
  specificity: number;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

export interface PolicyFields {
  name: string;
  metric: SlaMetric;
  target: string;
  targetMs: number;
  warningRatio: number;
  match: { priority: string[] | null; country: string[] | null; mode: string[] | null };
}

@Injectable()
export class SlaPoliciesRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly active: ActivePolicyCache,
  ) {}

  async insert(p: PolicyFields, by: string): Promise<PolicyRow> {
    const [row]: PolicyRow[] = await this.dataSource.query(
      `INSERT INTO sla_policies (name, metric, target, target_ms, warning_ratio, match_priority,
              match_country, match_mode, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
      [
        p.name,
        p.metric,
        p.target,
        p.targetMs,
        p.warningRatio,
        p.match.priority,
        p.match.country,
        p.match.mode,
        by,
      ],
    );
    this.active.clear();
    return row;
  }

  /** Replaces the policy's terms if it is still at `version`; undefined if it changed since. */
  async update(
    id: string,
    version: number,
    p: PolicyFields,
    by: string,
  ): Promise<PolicyRow | undefined> {
    const rows = await returning<PolicyRow>(
      this.dataSource,
      `UPDATE sla_policies SET name = $3, target = $4, target_ms = $5, warning_ratio = $6,
              match_priority = $7, match_country = $8, match_mode = $9, version = version + 1,
              updated_at = date_trunc('milliseconds', now()), updated_by = $10
        WHERE id = $1 AND version = $2 AND archived_at IS NULL RETURNING *`,
      [
        id,
        version,
        p.name,
        p.target,
        p.targetMs,
        p.warningRatio,
        p.match.priority,
        p.match.country,
        p.match.mode,
        by,
      ],
    );
    this.active.clear();
    return rows[0];
  }

  /** Archives a policy: no new clock starts under it; running clocks keep their target. */
  async archive(id: string, by: string): Promise<boolean> {
    const rows = await returning<{ id: string }>(
      this.dataSource,
      `UPDATE sla_policies SET archived_at = now(), archived_by = $2
        WHERE id = $1 AND archived_at IS NULL RETURNING id`,
      [id, by],
    );
    this.active.clear();
    return rows.length === 1;
  }

  async findById(id: string): Promise<PolicyRow | undefined> {
    const rows: PolicyRow[] = await this.dataSource.query(
      `SELECT * FROM sla_policies WHERE id = $1 AND archived_at IS NULL`,
      [id],
    );
    return rows[0];
  }

  list(limit: number, metric: string | undefined, after?: [string, string]): Promise<PolicyRow[]> {
    return this.dataSource.query(
      `SELECT * FROM sla_policies WHERE archived_at IS NULL AND ($1::text IS NULL OR metric = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [metric ?? null, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }
}
