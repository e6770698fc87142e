import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the requester wrote beside the request (a ministry's spreadsheet has a notes column). */
export class AddRequestNotes1764806400000 implements MigrationInterface {
  name = 'AddRequestNotes1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE requests ADD COLUMN notes text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE requests DROP COLUMN notes`);
  }
}
