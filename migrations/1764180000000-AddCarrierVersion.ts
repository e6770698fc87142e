import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Carriers get a version, so PATCH can require If-Match like shipments do. */
export class AddCarrierVersion1764180000000 implements MigrationInterface {
  name = 'AddCarrierVersion1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE carriers ADD COLUMN version int NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE carriers DROP COLUMN version`);
  }
}
