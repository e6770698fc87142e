import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import { nextReferenceNumber } from '../../common/db/reference';

export interface OrderRow {
  id: string;
  reference: string;
  request_id: string;
  source: string;
  workflow_status: string;
  status: string;
  allow_over_allocation: boolean;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface OrderLineRow {
  id: string;
  order_id: string;
  request_line_id: string;
  item_code: string;
  quantity: number;
  shipped: number;
  dispatched: number;
  delivered: number;
}

@Injectable()
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Request lines with what live orders already allocate (the caller holds the request lock). */
  requestLines(
    manager: EntityManager,
    requestId: string,
  ): Promise<{ id: string; quantity: number; allocated: number }[]> {
    return manager.query(
      `SELECT rl.id, rl.quantity,
              coalesce((SELECT sum(ol.quantity) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                         WHERE ol.request_line_id = rl.id AND o.workflow_status <> 'cancelled'), 0)::int AS allocated
         FROM request_lines rl WHERE rl.request_id = $1`,
      [requestId],
    );
  }

  async insert(
    manager: EntityManager,
    o: { requestId: string; source: string; allowOverAllocation: boolean },
    lines: { requestLineId: string; quantity: number }[],
    by: string,
  ): Promise<string> {
    const [row] = await manager.query(
      `INSERT INTO orders (reference, request_id, source, allow_over_allocation, created_by, updated_by)
       VALUES ('ORD-' || ${nextReferenceNumber('order_reference_seq')}, $1, $2, $3, $4, $4) RETURNING id`,
      [o.requestId, o.source, o.allowOverAllocation, by],
    );
    await manager.query(
      `INSERT INTO order_lines (order_id, request_line_id, quantity)
       SELECT $1, * FROM unnest($2::uuid[], $3::int[])`,
      [row.id, lines.map((l) => l.requestLineId), lines.map((l) => l.quantity)],
    );
    return row.id;
  }

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<OrderRow | undefined> {
    const rows: OrderRow[] = await manager.query(`SELECT * FROM orders WHERE id = $1`, [id]);
    return rows[0];
  }

  linesOf(orderIds: string[]): Promise<OrderLineRow[]> {
    return this.dataSource.query(
      `SELECT ol.*, i.code AS item_code FROM order_lines ol
         JOIN request_lines rl ON rl.id = ol.request_line_id JOIN items i ON i.id = rl.item_id
        WHERE ol.order_id = ANY($1::uuid[]) ORDER BY ol.order_id, ol.id`,
      [orderIds],
    );
  }

  /** Live (not cancelled) shipments carrying this order's goods. */
  async liveShipmentReferences(manager: EntityManager, orderId: string): Promise<string[]> {
    const rows: { reference: string }[] = await manager.query(
      `SELECT DISTINCT sh.reference FROM shipment_items si
         JOIN order_lines ol ON ol.id = si.order_line_id JOIN shipments sh ON sh.id = si.shipment_id
        WHERE ol.order_id = $1 AND sh.status <> 'cancelled' ORDER BY sh.reference`,
      [orderId],
    );
    return rows.map((r) => r.reference);
  }

  async setWorkflowStatus(
    manager: EntityManager,
    id: string,
    from: string[],
    to: string,
    by: string,
  ): Promise<boolean> {
    const rows = await returning(
      manager,
      `UPDATE orders SET workflow_status = $3,
              status = CASE WHEN status IN ('dispatched', 'delivered') AND $3 <> 'cancelled' THEN status ELSE $3 END,
              version = version + 1, updated_at = date_trunc('milliseconds', now()), updated_by = $4
        WHERE id = $1 AND workflow_status = ANY($2::text[]) RETURNING 1`,
      [id, from, to, by],
    );
    return rows.length > 0;
  }

  list(
    limit: number,
    f: { requestId?: string; status?: string },
    after?: { createdAt: string; id: string },
  ): Promise<OrderRow[]> {
    return this.dataSource.query(
      `SELECT * FROM orders
        WHERE ($1::uuid IS NULL OR request_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [f.requestId ?? null, f.status ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }
}
