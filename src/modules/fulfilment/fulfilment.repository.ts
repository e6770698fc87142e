import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** How much one shipment's change adds to (or takes from) an order line. */
export interface LineDelta {
  orderLineId: string;
  shipped: number;
  dispatched: number;
  delivered: number;
}

export interface ItemContribution {
  id: string;
  shipment_id: string;
  order_line_id: string;
  request_id: string;
  quantity: number;
  received_good: number | null;
  damaged: number | null;
}

/** What a request must learn about its goods' departures. */
export interface RequestDispatch {
  requestId: string;
  /** The earliest dispatch among the shipments that changed (moves first_dispatch_at earlier). */
  earliestDispatch: Date | null;
  /** A dispatch was withdrawn (voided): search the first dispatch again. */
  recomputeDispatch: boolean;
}

/** What a refresh of statuses changed that others follow. */
export interface StatusRefresh {
  /** Requests that became delivered (every line's goods arrived). */
  fulfilled: string[];
}

/** The first dispatch of a request's goods (r is the request), from its live shipments. */
const EARLIEST_DISPATCH_SQL = `(
  SELECT min(sh.dispatched_at) FROM orders o JOIN order_lines ol ON ol.order_id = o.id
    JOIN shipment_items si ON si.order_line_id = ol.id
    JOIN shipments sh ON sh.id = si.shipment_id AND sh.status <> 'cancelled'
   WHERE o.request_id = r.id)`;

/** The last delivery of a request's goods. */
const LAST_DELIVERY_SQL = `(
  SELECT max(sh.delivered_at) FROM orders o JOIN order_lines ol ON ol.order_id = o.id
    JOIN shipment_items si ON si.order_line_id = ol.id
    JOIN shipments sh ON sh.id = si.shipment_id AND sh.status = 'delivered'
   WHERE o.request_id = r.id)`;

/**
 * Rolls shipment facts up into order lines, request lines, orders and requests, in the
 * caller's transaction, so every GET after a write sees consistent quantities and statuses.
 * Callers hold the requests' locks (common/db/locks.ts).
 */
@Injectable()
export class FulfilmentRepository {
  /**
   * What shipments carry of each order line (with any proof of delivery), and for which
   * request; those requests are locked in id order by the same statement (the items of a
   * locked shipment do not change, so reading them before the locks is safe).
   */
  lockRequestsOfItems(manager: EntityManager, shipmentIds: string[]): Promise<ItemContribution[]> {
    return manager.query(
      `WITH items AS (
         SELECT si.id, si.shipment_id, si.order_line_id, o.request_id, si.quantity, si.received_good, si.damaged
           FROM shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
           JOIN orders o ON o.id = ol.order_id
          WHERE si.shipment_id = ANY($1::uuid[])),
       locked AS (
         SELECT r.id FROM requests r WHERE r.id IN (SELECT request_id FROM items) ORDER BY r.id FOR UPDATE)
       SELECT items.*, (SELECT count(*) FROM locked) AS locked FROM items`,
      [shipmentIds],
    );
  }

  /**
   * Applies shipments' changes to the quantities they contribute, then refreshes the statuses
   * and dates that depend on them. Exact because every change of a shipment's contribution
   * passes here under that shipment's lock (the caller holds it, and the requests' locks);
   * `rollup` recomputes the same figures from scratch.
   */
  async applyShipmentDeltas(
    manager: EntityManager,
    deltas: LineDelta[],
    requests: RequestDispatch[],
  ): Promise<StatusRefresh> {
    const moving = deltas.filter((d) => d.shipped !== 0 || d.dispatched !== 0 || d.delivered !== 0);
    let orderIds: string[] = [];
    if (moving.length > 0) {
      // Order lines and, by their sums, request lines, in one statement.
      const orders: { order_id: string }[] = await manager.query(
        `WITH d AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[]) AS d(id, s, p, v)),
         ol AS (
           UPDATE order_lines ol SET shipped = ol.shipped + d.s, dispatched = ol.dispatched + d.p,
                  delivered = ol.delivered + d.v
             FROM d WHERE ol.id = d.id
           RETURNING ol.order_id, ol.request_line_id, d.p, d.v),
         rl AS (
           UPDATE request_lines rl SET dispatched = rl.dispatched + x.p, delivered = rl.delivered + x.v
             FROM (SELECT request_line_id, sum(p)::int AS p, sum(v)::int AS v FROM ol
                    GROUP BY request_line_id) x
            WHERE rl.id = x.request_line_id)
         SELECT DISTINCT order_id FROM ol`,
        [
          moving.map((d) => d.orderLineId),
          moving.map((d) => d.shipped),
          moving.map((d) => d.dispatched),
          moving.map((d) => d.delivered),
        ],
      );
      orderIds = orders.map((o) => o.order_id);
    }
    return this.refreshStatuses(manager, orderIds, requests);
  }

  /**
   * Order statuses from their lines, and request statuses from theirs, in one statement (it
   * reads the lines as the statements before left them). A request's first dispatch moves
   * earlier as goods leave, and is searched again only when a dispatch is withdrawn (a voided
   * event). Says which requests became delivered.
   */
  private async refreshStatuses(
    manager: EntityManager,
    orderIds: string[],
    requests: RequestDispatch[],
  ): Promise<StatusRefresh> {
    if (orderIds.length === 0 && requests.length === 0) return { fulfilled: [] };
    const [row]: { fulfilled: string[] }[] = await manager.query(
      `WITH orders_done AS (
         UPDATE orders o SET status = s.status, version = o.version + 1,
                updated_at = date_trunc('milliseconds', now())
           FROM (
             SELECT o.id,
                    CASE WHEN o.workflow_status IN ('draft', 'cancelled') THEN o.workflow_status
                         WHEN bool_and(ol.delivered >= ol.quantity) THEN 'delivered'
                         WHEN bool_and(ol.dispatched >= ol.quantity) THEN 'dispatched'
                         ELSE o.workflow_status END AS status
               FROM orders o JOIN order_lines ol ON ol.order_id = o.id
              WHERE o.id = ANY($1::uuid[])
              GROUP BY o.id) s
          WHERE o.id = s.id AND o.status <> s.status
         RETURNING o.id),
       requests_done AS (
         UPDATE requests r SET status = s.status, first_dispatch_at = s.first_dispatch_at,
                delivered_at = s.delivered_at, version = r.version + 1,
                updated_at = date_trunc('milliseconds', now())
           FROM (
             SELECT r.id, x.status, r.status AS was,
                    CASE WHEN q.recompute THEN ${EARLIEST_DISPATCH_SQL} ELSE least(r.first_dispatch_at, q.earliest) END AS first_dispatch_at,
                    CASE WHEN x.status <> 'delivered' THEN NULL
                         WHEN r.delivered_at IS NOT NULL AND r.status = 'delivered' THEN r.delivered_at
                         ELSE ${LAST_DELIVERY_SQL} END AS delivered_at
               FROM unnest($2::uuid[], $3::timestamptz[], $4::boolean[]) AS q(id, earliest, recompute)
               JOIN requests r ON r.id = q.id
               JOIN LATERAL (
                 SELECT CASE WHEN r.workflow_status <> 'approved' THEN r.workflow_status
                             WHEN bool_and(rl.delivered >= rl.quantity) THEN 'delivered'
                             WHEN bool_and(rl.dispatched >= rl.quantity) THEN 'dispatched'
                             WHEN bool_or(rl.allocated > 0) OR r.first_dispatch_at IS NOT NULL THEN 'in_fulfilment'
                             ELSE 'approved' END AS status
                   FROM request_lines rl WHERE rl.request_id = r.id) x ON true) s
          WHERE r.id = s.id
            AND (r.status, r.first_dispatch_at, r.delivered_at) IS DISTINCT FROM (s.status, s.first_dispatch_at, s.delivered_at)
         RETURNING r.id, s.was, r.status)
       SELECT (SELECT count(*) FROM orders_done) AS orders,
              ARRAY(SELECT id FROM requests_done WHERE status = 'delivered' AND was <> 'delivered' ORDER BY id) AS fulfilled`,
      [
        orderIds,
        requests.map((r) => r.requestId),
        requests.map((r) => r.earliestDispatch?.toISOString() ?? null),
        requests.map((r) => r.recomputeDispatch),
      ],
    );
    return { fulfilled: row.fulfilled };
  }

  /** Recomputes everything derived for these requests from their orders and shipments. */
  async rollup(manager: EntityManager, requestIds: string[]): Promise<StatusRefresh> {
    if (requestIds.length === 0) return { fulfilled: [] };
    const ids = [...new Set(requestIds)];
    // Order lines: what shipments carry (shipped), what left (dispatched), what arrived (delivered).
    await manager.query(
      `UPDATE order_lines l SET shipped = s.shipped, dispatched = s.dispatched, delivered = s.delivered
         FROM (
           SELECT ol.id,
                  coalesce(sum(si.quantity) FILTER (WHERE sh.status <> 'cancelled'), 0) AS shipped,
                  coalesce(sum(si.quantity) FILTER (WHERE sh.dispatched_at IS NOT NULL AND sh.status <> 'cancelled'), 0) AS dispatched,
                  coalesce(sum(coalesce(si.received_good + si.damaged, si.quantity)) FILTER (WHERE sh.status = 'delivered'), 0) AS delivered
             FROM order_lines ol JOIN orders o ON o.id = ol.order_id
             LEFT JOIN shipment_items si ON si.order_line_id = ol.id
             LEFT JOIN shipments sh ON sh.id = si.shipment_id
            WHERE o.request_id = ANY($1::uuid[])
            GROUP BY ol.id) s
        WHERE l.id = s.id AND (l.shipped, l.dispatched, l.delivered) IS DISTINCT FROM (s.shipped, s.dispatched, s.delivered)`,
      [ids],
    );
    // Request lines: allocated by live orders; dispatched and delivered through them.
    await manager.query(
      `UPDATE request_lines rl SET allocated = s.allocated, dispatched = s.dispatched, delivered = s.delivered
         FROM (
           SELECT rl.id,
                  coalesce(sum(ol.quantity) FILTER (WHERE o.workflow_status <> 'cancelled'), 0) AS allocated,
                  coalesce(sum(ol.dispatched), 0) AS dispatched,
                  coalesce(sum(ol.delivered), 0) AS delivered
             FROM request_lines rl
             LEFT JOIN order_lines ol ON ol.request_line_id = rl.id
             LEFT JOIN orders o ON o.id = ol.order_id
            WHERE rl.request_id = ANY($1::uuid[])
            GROUP BY rl.id) s
        WHERE rl.id = s.id AND (rl.allocated, rl.dispatched, rl.delivered) IS DISTINCT FROM (s.allocated, s.dispatched, s.delivered)`,
      [ids],
    );
    const orders: { id: string }[] = await manager.query(
      `SELECT id FROM orders WHERE request_id = ANY($1::uuid[])`,
      [ids],
    );
    return this.refreshStatuses(
      manager,
      orders.map((o) => o.id),
      ids.map((requestId) => ({ requestId, earliestDispatch: null, recomputeDispatch: true })),
    );
  }
}
