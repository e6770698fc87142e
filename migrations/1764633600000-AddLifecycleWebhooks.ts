import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle webhooks (shipment.status_changed, shipment.delivered, request.approved,
 * request.fulfilled) share webhook_deliveries with alert messages, and need three things alerts
 * do not: to be sent once per cause without an alert (`message_key`), in the order they were
 * created for one shipment or request (`ordering_key`, `seq`), and after a subscription's
 * alerts (`priority`, 0 first).
 */
export class AddLifecycleWebhooks1764633600000 implements MigrationInterface {
  name = 'AddLifecycleWebhooks1764633600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
        ADD COLUMN priority smallint NOT NULL DEFAULT 0,
        ADD COLUMN ordering_key text,
        ADD COLUMN message_key text`);
    // One message per subscription, type and cause (the fact or the request behind it).
    await q.query(`
      CREATE UNIQUE INDEX webhook_deliveries_message ON webhook_deliveries (subscription_id, type, message_key)
        WHERE message_key IS NOT NULL`);
    // The lease walks a subscription's pending deliveries in this order: alerts first.
    await q.query(`DROP INDEX webhook_deliveries_pending`);
    await q.query(`
      CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, priority, next_attempt_at, seq)
        WHERE state = 'pending'`);
    // Whether an earlier message of the same shipment or request is still pending.
    await q.query(`
      CREATE INDEX webhook_deliveries_ordering ON webhook_deliveries (subscription_id, ordering_key, seq)
        WHERE state = 'pending' AND ordering_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_ordering`);
    await q.query(`DROP INDEX webhook_deliveries_pending`);
    await q.query(`DROP INDEX webhook_deliveries_message`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP COLUMN message_key, DROP COLUMN ordering_key, DROP COLUMN priority, DROP COLUMN seq`);
    await q.query(
      `CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, next_attempt_at) WHERE state = 'pending'`,
    );
  }
}
