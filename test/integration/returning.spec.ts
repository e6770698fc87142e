import { DataSource } from 'typeorm';
import { returning } from '../../src/common/db/returning';
import { dataSourceOptions } from '../../src/config/data-source';

describe('returning()', () => {
  const db = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 1), migrations: [] });

  beforeAll(async () => {
    await db.initialize();
    await db.query(`CREATE TEMP TABLE returning_probe (id int PRIMARY KEY, v text)`);
  });
  afterAll(() => db.destroy());

  it('gives the rows of INSERT, UPDATE and DELETE alike, and none when nothing matched', async () => {
    const inserted = await returning<{ id: number }>(
      db,
      `INSERT INTO returning_probe VALUES (1, 'a'), (2, 'b') RETURNING id`,
    );
    expect(inserted.map((r) => r.id)).toEqual([1, 2]);
    const updated = await returning<{ v: string }>(
      db,
      `UPDATE returning_probe SET v = 'c' WHERE id = $1 RETURNING v`,
      [1],
    );
    expect(updated).toEqual([{ v: 'c' }]);
    const missed = await returning(
      db,
      `UPDATE returning_probe SET v = 'd' WHERE id = 99 RETURNING v`,
    );
    expect(missed).toEqual([]);
    const deleted = await returning<{ id: number }>(
      db,
      `DELETE FROM returning_probe WHERE id = 2 RETURNING id`,
    );
    expect(deleted).toEqual([{ id: 2 }]);
    const selected = await returning<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM returning_probe`,
    );
    expect(selected).toEqual([{ n: 1 }]);
  });
});
