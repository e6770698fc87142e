import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface BatchRow {
  id: string;
  submitted_by: string;
  carrier_id: string | null;
  total: number;
  submitted_at: Date;
  completed_at: Date | null;
}

export interface BatchItemRow {
  idx: number;
  shipment_id: string;
  payload: Record<string, unknown>;
}

export interface NewBatchItem {
  idx: number;
  part: number;
  shipmentKey: string;
  shipmentId: string | null;
  occurredAt: string | null;
  payload: object;
  /** Set when the event is refused at submission (unknown shipment, say). */
  rejectedReason: string | null;
}

@Injectable()
export class EventBatchesRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(
    manager: EntityManager,
    by: string,
    carrierId: string | null,
    items: NewBatchItem[],
  ): Promise<string> {
    const [batch] = await manager.query(
      `INSERT INTO shipment_event_batches (submitted_by, carrier_id, total) VALUES ($1, $2, $3) RETURNING id`,
      [by, carrierId, items.length],
    );
    await manager.query(
      `INSERT INTO shipment_event_batch_items (batch_id, idx, part, shipment_key, shipment_id, occurred_at, payload, result, reason)
       SELECT $1, idx, part, key, sid, at, payload, CASE WHEN reason IS NULL THEN NULL ELSE 'rejected' END, reason
         FROM unnest($2::int[], $3::int[], $4::text[], $5::uuid[], $6::timestamptz[], $7::jsonb[], $8::text[])
           AS t(idx, part, key, sid, at, payload, reason)`,
      [
        batch.id,
        items.map((i) => i.idx),
        items.map((i) => i.part),
        items.map((i) => i.shipmentKey),
        items.map((i) => i.shipmentId),
        items.map((i) => i.occurredAt),
        items.map((i) => JSON.stringify(i.payload)),
        items.map((i) => i.rejectedReason),
      ],
    );
    return batch.id;
  }

  async find(id: string): Promise<BatchRow | undefined> {
    const rows: BatchRow[] = await this.dataSource.query(
      `SELECT * FROM shipment_event_batches WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Shipments of one part of a batch that still have events to apply. */
  async pendingShipments(batchId: string, part: number): Promise<string[]> {
    const rows: { shipment_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT shipment_id FROM shipment_event_batch_items
        WHERE batch_id = $1 AND part = $2 AND result IS NULL ORDER BY shipment_id`,
      [batchId, part],
    );
    return rows.map((r) => r.shipment_id);
  }

  /** Locks shipments' pending items of a batch, in time order (a second run of the job finds none). */
  pendingItems(
    manager: EntityManager,
    batchId: string,
    shipmentIds: string[],
  ): Promise<BatchItemRow[]> {
    return manager.query(
      `SELECT idx, shipment_id, payload FROM shipment_event_batch_items
        WHERE batch_id = $1 AND shipment_id = ANY($2::uuid[]) AND result IS NULL
        ORDER BY shipment_id, occurred_at, idx FOR UPDATE`,
      [batchId, shipmentIds],
    );
  }

  async settle(
    manager: EntityManager,
    batchId: string,
    results: { idx: number; result: string; reason: string | null; eventId: string | null }[],
  ): Promise<void> {
    if (results.length === 0) return;
    await manager.query(
      `UPDATE shipment_event_batch_items b SET result = t.result, reason = t.reason, event_id = t.event_id
         FROM unnest($2::int[], $3::text[], $4::text[], $5::uuid[]) AS t(idx, result, reason, event_id)
        WHERE b.batch_id = $1 AND b.idx = t.idx`,
      [
        batchId,
        results.map((r) => r.idx),
        results.map((r) => r.result),
        results.map((r) => r.reason),
        results.map((r) => r.eventId),
      ],
    );
  }

  /** Parts of batches submitted over `olderThanSeconds` ago that still have events to apply. */
  stalledParts(
    manager: EntityManager,
    olderThanSeconds: number,
  ): Promise<{ batch_id: string; part: number }[]> {
    return manager.query(
      `SELECT DISTINCT i.batch_id, i.part
         FROM shipment_event_batches b JOIN shipment_event_batch_items i ON i.batch_id = b.id
        WHERE b.completed_at IS NULL AND b.submitted_at < now() - make_interval(secs => $1) AND i.result IS NULL
        ORDER BY i.batch_id, i.part LIMIT 1000`,
      [olderThanSeconds],
    );
  }

  async completeIfDone(batchId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE shipment_event_batches SET completed_at = clock_timestamp()
        WHERE id = $1 AND completed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM shipment_event_batch_items WHERE batch_id = $1 AND result IS NULL)`,
      [batchId],
    );
  }

  async counts(batchId: string): Promise<Record<string, number>> {
    const rows: { result: string | null; n: number }[] = await this.dataSource.query(
      `SELECT result, count(*)::int AS n FROM shipment_event_batch_items WHERE batch_id = $1 GROUP BY result`,
      [batchId],
    );
    return Object.fromEntries(rows.map((r) => [r.result ?? 'pending', r.n]));
  }

  rejections(batchId: string, limit: number): Promise<{ idx: number; reason: string }[]> {
    return this.dataSource.query(
      `SELECT idx, reason FROM shipment_event_batch_items WHERE batch_id = $1 AND result = 'rejected'
        ORDER BY idx LIMIT $2`,
      [batchId, limit],
    );
  }
}
