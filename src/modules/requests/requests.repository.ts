import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { returning } from '../../common/db/returning';
import { nextReferenceNumber } from '../../common/db/reference';

export interface RequestRow {
  id: string;
  reference: string;
  recipient_country: string;
  organisation: string;
  destination: string;
  priority: string;
  kind: string;
  workflow_status: string;
  status: string;
  received_at: Date;
  needed_by: Date | null;
  notes: string | null;
  first_dispatch_at: Date | null;
  delivered_at: Date | null;
  decision_reason: string | null;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface RequestLineRow {
  id: string;
  request_id: string;
  line_no: number;
  item_id: string;
  item_code: string;
  item_name: string;
  quantity: number;
  allocated: number;
  dispatched: number;
  delivered: number;
}

export interface RequestFilter {
  status?: string;
  country?: string;
  priority?: string;
  receivedFrom?: Date;
  receivedTo?: Date;
}

@Injectable()
export class RequestsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(
    manager: EntityManager,
    r: Pick<
      RequestRow,
      | 'recipient_country'
      | 'organisation'
      | 'destination'
      | 'priority'
      | 'kind'
      | 'received_at'
      | 'needed_by'
      | 'notes'
    >,
    lines: { itemId: string; quantity: number }[],
    by: string,
  ): Promise<string> {
    // The request and its lines in one statement (its foreign keys are checked at its end).
    const [row] = await manager.query(
      `WITH r AS (
         INSERT INTO requests (reference, recipient_country, organisation, destination, priority, kind,
                               received_at, needed_by, created_by, updated_by, notes)
         VALUES ('REQ-' || to_char($6::timestamptz AT TIME ZONE 'UTC', 'YYYY') || '-' ||
                 ${nextReferenceNumber('request_reference_seq')},
                 $1, $2, $3, $4, $5, $6, $7, $8, $8, $11)
         RETURNING id),
       lines AS (
         INSERT INTO request_lines (request_id, line_no, item_id, quantity)
         SELECT r.id, n, item_id, quantity
           FROM r, unnest($9::uuid[], $10::int[]) WITH ORDINALITY AS t(item_id, quantity, n))
       SELECT id FROM r`,
      [
        r.recipient_country,
        r.organisation,
        r.destination,
        r.priority,
        r.kind,
        r.received_at,
        r.needed_by,
        by,
        lines.map((l) => l.itemId),
        lines.map((l) => l.quantity),
        r.notes,
      ],
    );
    return row.id;
  }

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<RequestRow | undefined> {
    const rows: RequestRow[] = await manager.query(
      `SELECT * FROM requests WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  linesOf(
    requestIds: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<RequestLineRow[]> {
    return manager.query(
      `SELECT rl.*, i.code AS item_code, i.name AS item_name
         FROM request_lines rl JOIN items i ON i.id = rl.item_id
        WHERE rl.request_id = ANY($1::uuid[]) ORDER BY rl.request_id, rl.line_no`,
      [requestIds],
    );
  }

  async setWorkflowStatus(
    manager: EntityManager,
    id: string,
    from: string[],
    to: string,
    by: string,
    reason: string | null,
  ): Promise<boolean> {
    const rows = await returning(
      manager,
      `UPDATE requests SET workflow_status = $3, status = $3, decided_at = now(), decided_by = $4,
              decision_reason = coalesce($5, decision_reason), version = version + 1,
              updated_at = date_trunc('milliseconds', now()), updated_by = $4
        WHERE id = $1 AND workflow_status = ANY($2::text[]) RETURNING 1`,
      [id, from, to, by, reason],
    );
    return rows.length > 0;
  }

  async liveOrderReferences(manager: EntityManager, requestId: string): Promise<string[]> {
    const rows: { reference: string }[] = await manager.query(
      `SELECT reference FROM orders WHERE request_id = $1 AND workflow_status <> 'cancelled' ORDER BY reference`,
      [requestId],
    );
    return rows.map((r) => r.reference);
  }

  list(
    limit: number,
    f: RequestFilter,
    after?: { receivedAt: string; id: string },
  ): Promise<RequestRow[]> {
    return this.dataSource.query(
      `SELECT * FROM requests
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR recipient_country = $2)
          AND ($3::text IS NULL OR priority = $3)
          AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
          AND ($6::timestamptz IS NULL OR (received_at, id) < ($6, $7::uuid))
        ORDER BY received_at DESC, id DESC LIMIT $8`,
      [
        f.status ?? null,
        f.country ?? null,
        f.priority ?? null,
        f.receivedFrom ?? null,
        f.receivedTo ?? null,
        after?.receivedAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }
}
