import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An alert names the request or shipment it is about by its reference, so a person reads
 * "REQ-2020-000123" in any language (the console, an email subject) without a join.
 */
export class AddAlertReference1764547200000 implements MigrationInterface {
  name = 'AddAlertReference1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN reference text`);
    await q.query(`
      UPDATE alerts a
         SET reference = COALESCE(
               (SELECT s.reference FROM shipments s WHERE s.id = a.shipment_id),
               (SELECT r.reference FROM requests r WHERE r.id = a.request_id),
               split_part(a.title, ' ', 1))`);
    await q.query(`ALTER TABLE alerts ALTER COLUMN reference SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts DROP COLUMN reference`);
  }
}
