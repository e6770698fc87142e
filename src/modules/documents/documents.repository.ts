import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ConsigneeRow {
  request_reference: string;
  order_reference: string;
  organisation: string;
  recipient_country: string;
  kind: string;
}

/** What a shipment's papers name beyond the shipment: its requests, orders, items and carrier. */
@Injectable()
export class DocumentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  consignees(shipmentId: string): Promise<ConsigneeRow[]> {
    return this.dataSource.query(
      `SELECT DISTINCT r.reference AS request_reference, o.reference AS order_reference,
              r.organisation, r.recipient_country, r.kind
         FROM shipment_items si
         JOIN order_lines ol ON ol.id = si.order_line_id
         JOIN orders o ON o.id = ol.order_id
         JOIN requests r ON r.id = o.request_id
        WHERE si.shipment_id = $1
        ORDER BY r.reference, o.reference`,
      [shipmentId],
    );
  }

  async names(itemCodes: string[], carrierIds: string[]) {
    const items: { code: string; name: string; unit: string }[] = await this.dataSource.query(
      `SELECT code, name, unit FROM items WHERE code = ANY ($1::text[])`,
      [itemCodes],
    );
    const carriers: { id: string; name: string }[] = await this.dataSource.query(
      `SELECT id, name FROM carriers WHERE id = ANY ($1::uuid[])`,
      [carrierIds],
    );
    return {
      items: new Map(items.map((i) => [i.code, i])),
      carriers: new Map(carriers.map((c) => [c.id, c.name])),
    };
  }
}
