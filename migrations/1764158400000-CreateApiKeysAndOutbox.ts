import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeysAndOutbox1764158400000 implements MigrationInterface {
  name = 'CreateApiKeysAndOutbox1764158400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'operator', 'viewer', 'carrier')),
        carrier_id uuid,
        prefix text NOT NULL,
        key_hash bytea NOT NULL UNIQUE,
        -- Millisecond precision, as JSON carries it, so keyset cursors compare exactly.
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        created_by text NOT NULL,
        revoked_at timestamptz,
        revoked_by text,
        CONSTRAINT api_keys_carrier_binding CHECK ((role = 'carrier') = (carrier_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX api_keys_created_at ON api_keys (created_at DESC, id DESC)`);

    // Jobs written in the same transaction as the change that causes them (transactional outbox).
    await q.query(`
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        queue text NOT NULL,
        job_name text NOT NULL,
        job_id text,
        payload jsonb NOT NULL,
        run_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        last_error text
      )`);
    await q.query(`CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL`);
    await q.query(`CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL`);
    // One NOTIFY per inserting statement wakes the relays right after commit.
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
    await q.query(`DROP FUNCTION outbox_notify()`);
    await q.query(`DROP TABLE api_keys`);
  }
}
