import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { JobItem } from './jobs';

export interface OutboxRow {
  id: string;
  queue: string;
  jobName: string;
  jobId: string | null;
  payload: unknown;
  runAt: Date | null;
}

export interface NewOutboxRow {
  queue: string;
  item: JobItem;
  jobId?: string;
  runAt?: Date;
}

/** The only place that speaks SQL to the outbox table. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, rows: NewOutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, run_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
      [
        rows.map((r) => r.queue),
        rows.map((r) => r.item.name),
        rows.map((r) => r.jobId ?? null),
        rows.map((r) => JSON.stringify(r.item.data)),
        rows.map((r) => r.runAt?.toISOString() ?? null),
      ],
    );
  }

  /** Whether any row waits to be relayed (one cheap statement, for the poll). */
  async anyUnsent(): Promise<boolean> {
    const [{ any }]: { any: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL) AS any`,
    );
    return any;
  }

  /**
   * Locks up to `limit` unsent rows (other relays skip them) and hands them to `send`, which
   * returns the ids it delivered; those are marked sent in the same transaction. If `send`
   * throws, nothing is marked, the rows wait, and the failure is recorded on them.
   */
  async relayBatch(limit: number, send: (rows: OutboxRow[]) => Promise<string[]>): Promise<number> {
    let locked: OutboxRow[] = [];
    try {
      return await this.dataSource.transaction(async (manager) => {
        locked = await manager.query(
          `SELECT id, queue, job_name AS "jobName", job_id AS "jobId", payload, run_at AS "runAt"
             FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [limit],
        );
        if (locked.length === 0) return 0;
        const delivered = await send(locked);
        await manager.query(`UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [
          delivered,
        ]);
        return locked.length;
      });
    } catch (error) {
      if (locked.length > 0)
        await this.recordFailure(
          locked.map((r) => r.id),
          (error as Error).message,
        );
      throw error;
    }
  }

  async recordFailure(ids: string[], error: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 1000)
          WHERE id = ANY($1::bigint[]) AND sent_at IS NULL`,
        [ids, error],
      )
      .catch(() => undefined);
  }

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS count,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldestAgeSeconds"
         FROM outbox WHERE sent_at IS NULL`,
    );
    return row;
  }

  async purgeSent(olderThanHours: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)`,
      [olderThanHours],
    );
    return result[1];
  }
}
