import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { openClockStateSql } from '../sla/sla-clocks.repository';

/** The few counts the Prometheus scrape reads from PostgreSQL (open rows, partial indexes). */
@Injectable()
export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Open clocks by the state they are in at `now`. */
  openClocks(now: Date): Promise<{ state: string; count: number }[]> {
    return this.dataSource.query(
      `SELECT ${openClockStateSql('$1')} AS state, count(*)::int AS count
         FROM sla_clocks c WHERE c.state IN ('running', 'paused') GROUP BY 1`,
      [now],
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
