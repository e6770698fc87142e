import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The few counts the Prometheus scrape reads from PostgreSQL (each on a partial index). */
@Injectable()
export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Open clocks by the state they are in now. */
  openClocks(): Promise<{ state: string; count: number }[]> {
    return this.dataSource.query(
      `SELECT CASE WHEN state = 'paused' THEN 'paused'
                   WHEN due_at <= now() THEN 'breaching'
                   WHEN warning_ratio < 1 AND warn_at <= now() THEN 'at_risk'
                   ELSE 'running' END AS state, count(*)::int AS count
         FROM sla_clocks WHERE state IN ('running', 'paused') GROUP BY 1`,
    );
  }

  unresolvedAlerts(): Promise<{ kind: string; state: string; count: number }[]> {
    return this.dataSource.query(
      `SELECT kind, state, count(*)::int AS count FROM alerts WHERE state <> 'resolved' GROUP BY 1, 2`,
    );
  }

  async pendingWebhooks(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS count,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldestAgeSeconds"
         FROM webhook_deliveries WHERE state = 'pending'`,
    );
    return row;
  }
}
