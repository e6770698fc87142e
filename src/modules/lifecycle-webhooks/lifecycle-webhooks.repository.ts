import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestSnapshot, ShipmentContext, ShippedItem } from './lifecycle-messages';

/**
 * Reads what lifecycle messages say about shipments and requests, in the transaction of the
 * change, so a message shows them as they stood at that moment.
 */
@Injectable()
export class LifecycleWebhooksRepository {
  async shipmentContexts(
    manager: EntityManager,
    shipmentIds: string[],
  ): Promise<Map<string, ShipmentContext>> {
    if (shipmentIds.length === 0) return new Map();
    const rows: (ShipmentContext & { id: string })[] = await manager.query(
      `SELECT s.id, s.tracking_reference AS "trackingReference", s.origin, s.destination,
              jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name) AS carrier,
              coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'reference', r.reference)
                                         ORDER BY r.reference)
                          FROM requests r
                         WHERE r.id IN (SELECT o.request_id FROM shipment_items si
                                          JOIN order_lines ol ON ol.id = si.order_line_id
                                          JOIN orders o ON o.id = ol.order_id
                                         WHERE si.shipment_id = s.id)), '[]'::jsonb) AS requests
         FROM shipments s JOIN carriers c ON c.id = s.carrier_id
        WHERE s.id = ANY($1::uuid[])`,
      [shipmentIds],
    );
    return new Map(rows.map(({ id, ...context }) => [id, context]));
  }

  async shipmentItems(
    manager: EntityManager,
    shipmentIds: string[],
  ): Promise<Map<string, ShippedItem>> {
    if (shipmentIds.length === 0) return new Map();
    const rows: ShippedItem[] = await manager.query(
      `SELECT si.id, i.code AS "itemCode", i.name AS "itemName", si.quantity, si.lot
         FROM shipment_items si JOIN order_lines ol ON ol.id = si.order_line_id
         JOIN request_lines rl ON rl.id = ol.request_line_id JOIN items i ON i.id = rl.item_id
        WHERE si.shipment_id = ANY($1::uuid[])`,
      [shipmentIds],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The requests with their lines, in the order of `ids`. */
  async requests(manager: EntityManager, ids: string[]): Promise<RequestSnapshot[]> {
    if (ids.length === 0) return [];
    const rows: (Omit<RequestSnapshot, 'lines'> & { lines: RequestSnapshot['lines'] })[] =
      await manager.query(
        `SELECT r.id, r.reference, r.recipient_country AS "recipientCountry", r.organisation,
                r.destination, r.priority, r.kind, r.status, r.received_at AS "receivedAt",
                r.needed_by AS "neededBy", r.decided_at AS "decidedAt", r.decided_by AS "decidedBy",
                r.first_dispatch_at AS "firstDispatchAt", r.delivered_at AS "deliveredAt",
                (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'lineNo', rl.line_no, 'itemCode', i.code, 'itemName', i.name,
                          'quantity', rl.quantity, 'dispatched', rl.dispatched,
                          'delivered', rl.delivered) ORDER BY rl.line_no), '[]'::jsonb)
                   FROM request_lines rl JOIN items i ON i.id = rl.item_id
                  WHERE rl.request_id = r.id) AS lines
           FROM unnest($1::uuid[]) WITH ORDINALITY AS q(id, n) JOIN requests r ON r.id = q.id
          ORDER BY q.n`,
        [ids],
      );
    return rows;
  }
}
