import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a shipment weighs and measures: the campaign reported tonnes and cubic metres, and a
 * waybill states packages, gross weight, volume and the declared value (ISO 4217 currency).
 */
export class AddShipmentPhysicalFacts1764892800000 implements MigrationInterface {
  name = 'AddShipmentPhysicalFacts1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shipments
        ADD COLUMN packages int CHECK (packages > 0),
        ADD COLUMN package_marks text[],
        ADD COLUMN gross_weight_kg numeric(12, 3) CHECK (gross_weight_kg > 0),
        ADD COLUMN volume_m3 numeric(12, 3) CHECK (volume_m3 > 0),
        ADD COLUMN declared_value numeric(16, 2) CHECK (declared_value >= 0),
        ADD COLUMN currency char(3),
        ADD CONSTRAINT shipments_value_currency CHECK ((declared_value IS NULL) = (currency IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shipments DROP COLUMN packages, DROP COLUMN package_marks,
        DROP COLUMN gross_weight_kg, DROP COLUMN volume_m3, DROP COLUMN declared_value,
        DROP COLUMN currency`);
  }
}
